import { z } from 'zod';
import { tenantConfigInputSchema } from './tenant-config.schema.js';
import { oneLine } from '../common/validation/zod.js';

/** The last configuration version a tenant can have (the column is a Postgres integer). */
export const MAX_VERSION = 2_147_483_647;

/** A configuration version named in a JSON body: a whole number 1…MAX_VERSION (a larger one is no version, never a 500). */
export const versionNumber = z.number().int().min(1).max(MAX_VERSION, 'is not a version number (at most 2147483647)');

/** RFC 6749 §2.3.1 secrets are VSCHAR (printable ASCII); Okta's are 40 characters. */
export const clientSecretSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(512, 'must be at most 512 characters')
  .regex(/^[\x20-\x7E]+$/, 'must be printable ASCII (RFC 6749 VSCHAR)');

/**
 * A training database's connection URL: write-only (it usually carries a password), sealed at rest like the
 * client secret, never returned. postgres://user:password@host:port/database?sslmode=...
 */
export const trainingDatabaseUrlSchema = z
  .string()
  .max(2000, 'must be at most 2000 characters')
  .refine((v) => {
    try {
      const u = new URL(v);
      return (u.protocol === 'postgres:' || u.protocol === 'postgresql:') && u.hostname !== '' && /^\/[^/]+$/.test(u.pathname) && !u.hash;
    } catch {
      return false;
    }
  }, 'must be a Postgres connection URL like postgres://user:password@host:5432/database');

/** What account managers see of a connection URL: where it points, never who connects or how. */
export function databaseTarget(url: string): string {
  const u = new URL(url);
  return `${u.hostname}:${u.port || '5432'}${decodeURIComponent(u.pathname)}`;
}

/** A tenant's slug, as created and as asked for (`?tenant=` at /health/idp). */
export const SLUG = /^[a-z0-9][a-z0-9-]{1,62}$/;
export const SLUG_RULE = 'must be 2-63 lower-case letters, digits or hyphens';

export const createTenantSchema = z.object({
  slug: z.string().regex(SLUG, SLUG_RULE),
  name: oneLine(),
  clientSecret: clientSecretSchema,
  trainingDatabaseUrl: trainingDatabaseUrlSchema.optional(),
  config: tenantConfigInputSchema,
});

const note = z.string().trim().max(500, 'must be at most 500 characters');

/** The version in force a change was made from: if another has been put in force since, the change is refused (409). */
const baseVersion = versionNumber.describe('The version in force this change was made from: if another has been put in force since, it is refused (409), as a save is.');

/**
 * A new configuration version. The client secret is write-only: omit both fields to keep the one in force,
 * give `clientSecret` to seal and use a new one, or `clientSecretId` to use a secret staged earlier. The training
 * database URL (config.training.database = "url") is write-only the same way.
 */
export const updateConfigSchema = z
  .object({
    clientSecret: clientSecretSchema.optional(),
    clientSecretId: z.uuid('must be the id of a staged secret').optional(),
    /** Omitted: the training database URL in force is kept (when the configuration still names one). */
    trainingDatabaseUrl: trainingDatabaseUrlSchema.optional(),
    note: note.optional(),
    baseVersion: baseVersion.optional(),
    config: tenantConfigInputSchema,
  })
  .refine((v) => !(v.clientSecret && v.clientSecretId), { path: ['clientSecretId'], message: 'give either clientSecret or clientSecretId, not both' });

export const activateSchema = z.strictObject({
  note: note.optional(),
  baseVersion: baseVersion.optional(),
  /** Activate a draft made from an older version than the one in force, undoing what came between, on purpose. */
  replaceNewer: z.boolean().optional(),
});
export const rollbackSchema = z.strictObject({ toVersion: versionNumber, note: note.optional(), baseVersion: baseVersion.optional() });
export const stageSecretSchema = z.strictObject({ clientSecret: clientSecretSchema, label: oneLine().optional() });

export const locationsSchema = z.object({
  locations: z
    .array(
      z.object({
        externalId: z.string().trim().min(1).max(100).regex(/^[^\p{Cc}\p{Cf}]+$/u, 'must not contain control characters'),
        name: oneLine(),
        parentExternalId: z.string().trim().min(1).max(100).nullish().describe('Omitted or null: a root.'),
      }),
    )
    .max(20000),
});

export type CreateTenantInput = z.infer<typeof createTenantSchema>;
export type UpdateConfigInput = z.infer<typeof updateConfigSchema>;

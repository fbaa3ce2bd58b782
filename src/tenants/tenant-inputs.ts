import { z } from 'zod';
import { tenantConfigInputSchema } from './tenant-config.schema.js';

/** RFC 6749 §2.3.1 secrets are VSCHAR (printable ASCII); Okta's are 40 characters. */
export const clientSecretSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(512, 'must be at most 512 characters')
  .regex(/^[\x20-\x7E]+$/, 'must be printable ASCII (RFC 6749 VSCHAR)');

export const createTenantSchema = z.object({
  slug: z.string().regex(/^[a-z0-9][a-z0-9-]{1,62}$/, 'must be 2-63 lower-case letters, digits or hyphens'),
  name: z.string().trim().min(1).max(200),
  clientSecret: clientSecretSchema,
  config: tenantConfigInputSchema,
});

export const updateConfigSchema = z.object({
  clientSecret: clientSecretSchema.optional(),
  note: z.string().max(500).optional(),
  config: tenantConfigInputSchema,
});

export const locationsSchema = z.object({
  locations: z
    .array(
      z.object({
        externalId: z.string().trim().min(1).max(100).regex(/^[^\p{Cc}\p{Cf}]+$/u, 'must not contain control characters'),
        name: z.string().trim().min(1).max(200),
        parentExternalId: z.string().trim().min(1).max(100).optional(),
      }),
    )
    .max(20000),
});

export type CreateTenantInput = z.infer<typeof createTenantSchema>;
export type UpdateConfigInput = z.infer<typeof updateConfigSchema>;

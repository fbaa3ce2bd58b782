import { z } from 'zod';
import { fieldNames } from '../provisioning/fields/field-names.js';
import { RQ_ID } from '../provisioning/fields/formats.js';

/**
 * A tenant's configuration document. Every save is a new immutable version (tenant_config_versions);
 * the client secret is never part of it (only a reference to the sealed secret).
 */
const domain = z
  .string()
  .trim()
  .toLowerCase()
  .max(253)
  .regex(/^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$/, 'must be a domain name like kentel.com');
const domainPattern = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^(\*\.)?([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{1,63}$/, 'must be a domain like yvr.kentel.local or *.kentel.local');
const scopeToken = z.string().regex(/^[\x21\x23-\x5B\x5D-\x7E]{1,100}$/, 'must be a valid OAuth scope token');
const label = (max: number) => z.string().trim().min(1, 'must not be empty').max(max, `must be at most ${max} characters`);
const rqId = z.string().trim().regex(RQ_ID, 'must be an RQ ID (letters, digits, - or _; at most 50)');
/**
 * "__proto__" names every JavaScript object's prototype: as a key of a map (or a name that becomes one: a claim, a
 * custom field) it is dropped or taken as the prototype wherever the map is parsed or copied, so it would be lost
 * silently. It is refused with this reason instead.
 */
const PROTO_REASON = '"__proto__" cannot be used here: it names every JavaScript object\'s prototype, so it would be lost; rename it';
const notProto = (name: string) => name !== '__proto__';

/** A JSON object read as a map (the refusal runs on the input: zod's own output has already dropped "__proto__"). */
const map = <S extends z.ZodType>(schema: S) =>
  z.preprocess((input, ctx) => {
    if (typeof input === 'object' && input !== null && Object.hasOwn(input, '__proto__')) ctx.addIssue({ code: 'custom', path: ['__proto__'], message: PROTO_REASON, input });
    return input;
  }, schema);

const claimName = z.string().trim().regex(/^[A-Za-z0-9_.:-]{1,100}$/, 'must be a claim name').refine(notProto, PROTO_REASON);

/** A value map (claim value → RQ value). Keys are matched ignoring case too, so two keys may not differ only in case. */
const valueMap = (keyMax: number, valueMax: number) =>
  map(
    z.record(label(keyMax), label(valueMax)).superRefine((values, ctx) => {
      const seen = new Map<string, string>();
      for (const key of Object.keys(values)) {
        const folded = key.toLowerCase();
        if (seen.has(folded)) ctx.addIssue({ code: 'custom', path: [key], message: `differs from "${seen.get(folded)}" only in case; values are matched ignoring case` });
        else seen.set(folded, key);
      }
    }),
  );

export const httpsIssuer = z
  .string()
  .trim()
  .max(500)
  .refine((v) => {
    try {
      const u = new URL(v);
      return u.protocol === 'https:' && !u.search && !u.hash && !u.username && !u.password;
    } catch {
      return false;
    }
  }, 'must be an https:// URL without query, fragment or credentials, e.g. https://company.okta.com/oauth2/aus123');

export const oktaEndpointsSchema = z.object({
  authorization: z.url(),
  token: z.url(),
  userinfo: z.url(),
  jwks: z.url(),
  endSession: z.url().optional(),
  scopesSupported: z.array(z.string()).optional(),
  tokenEndpointAuthMethods: z.array(z.string()).optional(),
  /** authorization_response_iss_parameter_supported (RFC 9207): Okta names itself in every callback, so one without iss is refused. */
  issParameter: z.boolean().optional(),
});

const externalNodeId = z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters').regex(/^[^\p{Cc}\p{Cf}]+$/u, 'must not contain control characters');
const rolesSchema = z.object({
  /** Okta group (security_group_name value) → RQ security role. Matched exactly, then ignoring case. */
  map: valueMap(200, 100).default({}),
  /** Role for a user whose groups map to none (and for a new user whose Okta sends no group). */
  defaultRole: label(100).optional(),
});

/**
 * The tenant's training environment. Part of the versioned document, so every change to it is
 * versioned and attributed like the rest, and the audit of a training sign-in names the version in force.
 * The database is either `managed` (a database this service creates and migrates for the tenant, on the
 * server of TRAINING_DATABASES_URL or else the production one) or `url` (the connection URL is write-only:
 * given as `trainingDatabaseUrl` beside the configuration and sealed like the Okta client secret).
 * `roles` replaces the production role mapping for training sign-ins; `locations.map` translates the
 * External Node Identifiers Okta sends into the training company tree's, where the two trees differ.
 */
export const trainingConfigInputSchema = z.object({
  enabled: z.boolean().default(false),
  database: z.enum(['managed', 'url']).default('managed'),
  roles: rolesSchema.optional(),
  locations: z
    .object({
      map: map(z.record(externalNodeId, externalNodeId)).default({}),
      unknownLocations: z.enum(['refuse', 'assign-known']).optional(),
    })
    .optional(),
});
export type TrainingConfigInput = z.infer<typeof trainingConfigInputSchema>;

export const tenantConfigInputSchema = z.object({
  okta: z.object({
    issuer: httpsIssuer,
    clientId: label(200).regex(/^[\x21-\x7E]+$/, 'must be printable ASCII without spaces'),
    tokenEndpointAuthMethod: z.enum(['client_secret_basic', 'client_secret_post']).default('client_secret_basic'),
    scopes: z.array(scopeToken).max(30).default(['openid', 'email', 'profile', 'phone', 'iqmetrix']),
    autoProvisioning: z.boolean().default(true),
    passwordGrant: z.boolean().default(false),
  }),
  domains: z.array(domain).min(1, 'at least one verified domain is required').max(100),
  usernameRewrites: z.array(z.object({ from: domainPattern, to: domain })).max(50).default([]),
  /** Which claim feeds which field: one claim name, or several tried in order (the first present one wins). */
  claims: z.partialRecord(z.enum(fieldNames), z.union([claimName, z.array(claimName).min(1).max(5)], { error: 'must be a claim name, or a list of 1 to 5 claim names tried in order' })).default({}),
  roles: rolesSchema.default({ map: {} }),
  // Reference data supplied by iQmetrix in setup (bulk-loadable: PUT /admin/tenants/{slug}/rq-ids). The mapper checks
  // organizational role and commission group claims against these; the role and commission type maps must
  // point at securityRoles / commissionTypes when those lists are loaded.
  rqIds: z
    .object({
      organizationalRoles: z.array(rqId).max(5000).default([]),
      commissionGroups: z.array(rqId).max(5000).default([]),
      securityRoles: z.array(label(100)).max(5000).default([]),
      commissionTypes: z.array(label(100)).max(5000).default([]),
    })
    .default({ organizationalRoles: [], commissionGroups: [], securityRoles: [], commissionTypes: [] }),
  /** attribute_CommissionType value → RQ commission type. */
  commissionTypes: valueMap(200, 100).default({}),
  /** The attribute_rqCustomField_{name} claims this tenant provisions; others are reported and ignored. */
  customFields: z
    .array(
      z.object({
        name: z.string().regex(/^[A-Za-z0-9_]{1,64}$/, 'must be letters, digits or _').refine(notProto, PROTO_REASON),
        maxLength: z.number().int().min(1).max(4000).default(255),
        /** When set, the claim's value must be one of these keys and is stored as the RQ value it maps to. */
        values: valueMap(200, 4000).optional(),
      }),
    )
    .max(100)
    .superRefine((fields, ctx) => {
      const seen = new Map<string, number>();
      fields.forEach((f, i) => {
        const key = f.name.toLowerCase();
        if (seen.has(key)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `declares "${f.name}" again (also custom field ${seen.get(key)})` });
        else seen.set(key, i);
      });
    })
    .default([]),
  /** Unknown External Node Identifiers: refuse the sign-in, or assign the known ones and report the rest. */
  unknownLocations: z.enum(['refuse', 'assign-known']).default('refuse'),
  /** User lifecycle beyond sign-in (see README "User lifecycle"). Versions saved before it existed read as the defaults. */
  lifecycle: z
    .object({
      /** On deactivation (SCIM active=false or DELETE): remove the IdP-sourced location assignments, or keep them. Manual ones always stay. */
      deactivatedLocations: z.enum(['remove-idp', 'keep']).default('remove-idp'),
      /** Flag (never delete) users with no sign-in for this many days, for the account manager. Unset: off. */
      flagUnseenAfterDays: z.number().int().min(1).max(3650).optional(),
    })
    .default({ deactivatedLocations: 'remove-idp' }),
  training: trainingConfigInputSchema.default({ enabled: false, database: 'managed' }),
});

export type TenantConfigInput = z.input<typeof tenantConfigInputSchema>;

/** What is stored per version: the input plus what discovery said and the sealed secret reference. */
export const tenantConfigSchema = tenantConfigInputSchema.extend({
  okta: tenantConfigInputSchema.shape.okta.extend({
    endpoints: oktaEndpointsSchema,
    clientSecretId: z.uuid(),
  }),
  // Versions saved before training existed have no `training` key: read as training off.
  training: trainingConfigInputSchema
    .extend({
      /** The sealed connection URL (tenant_secrets, purpose training-database-url), when database = 'url'. */
      databaseUrlSecretId: z.uuid().optional(),
      /** host:port/database of that URL, never its credentials: shown to account managers and in diffs. */
      databaseTarget: z.string().optional(),
    })
    .optional(),
});
export type TenantConfig = z.infer<typeof tenantConfigSchema>;

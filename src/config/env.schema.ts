import { z } from 'zod';
import { parseTrustProxy } from './trust-proxy.js';

/**
 * Every environment variable the service reads, with its default and bounds.
 * This file is the configuration reference (the README's table is generated from it).
 */
const bool = (def: 'true' | 'false') =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'])
    .default(def)
    .transform((v) => v === 'true' || v === '1' || v === 'yes');
/**
 * A whole number within bounds. Only digits (with a sign, + or -, blanks around) become a number: z.coerce.number
 * would read a blank value as 0 and report it as "too small". Out of bounds is one line naming the setting's own
 * bounds, as the README's table does (a huge value is not also "too big" for zod's safe-integer check, and one with
 * hundreds of digits, Infinity to Number, is out of bounds, not "not a whole number").
 */
const int = (def: number, min: number, max: number) => {
  const range = `must be a whole number from ${min} to ${max}`;
  return z.preprocess(
    (v) => (typeof v === 'string' && /^\s*[-+]?\d+\s*$/.test(v) ? Number(v) + 0 : v), // + 0: -0 is 0
    z.number({ error: (iss) => (iss.code !== 'invalid_type' ? undefined : typeof iss.input === 'number' && !Number.isNaN(iss.input) ? range : 'must be a whole number') })
      .min(min, { error: range, abort: true }).max(max, { error: range, abort: true }).int({ error: range }).default(def),
  );
};

export const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development')
    .describe('In production every secret must be given explicitly; elsewhere missing ones are generated into the data folder.'),
  PORT: int(3000, 0, 65535).describe('HTTP port to listen on.'),
  HOST: z.string().default('0.0.0.0').describe('Interface to listen on.'),
  PUBLIC_URL: z.url({ protocol: /^https?$/, error: (iss) => (URL.canParse(String(iss.input)) ? 'must be an http:// or https:// URL' : undefined) })
    // It is the issuer of this service's tokens and the base of every published endpoint: an issuer has no query or
    // fragment (OIDC Discovery §3, RFC 8414 §2), and credentials in it would be published in the discovery document.
    .refine((v) => !/[?#]/.test(v), 'must have no query or fragment (it is the issuer of this service\'s tokens)')
    .refine((v) => !URL.canParse(v) || (!new URL(v).username && !new URL(v).password), 'must not contain a user name or password (it is published as the issuer)')
    .optional()
    .describe('Absolute external URL of this service (issuer of its tokens, base of the Okta callback): http or https, a path allowed, no query, fragment or user:password. Default http://localhost:PORT. Never derived from request headers.'),
  DATA_DIR: z.string().default('.data').describe('Folder for the embedded Postgres and generated development secrets.'),
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL').optional()
    .describe('Postgres connection URL. Unset: an embedded Postgres is started with its data in DATA_DIR/postgres.'),
  EMBEDDED_PG_PORT: int(54329, 1, 65535).describe('Port of the embedded Postgres (only when DATABASE_URL is unset).'),
  DATABASE_POOL_SIZE: int(20, 1, 200).describe('Connections per instance.'),
  TRAINING_DATABASES_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL').optional()
    .describe('Postgres server (connection URL of a database there whose user may CREATE DATABASE) on which managed training databases are created, one per tenant. Default: the production database server.'),
  TRAINING_POOL_SIZE: int(4, 1, 50).describe('Connections per tenant training database, per instance.'),
  TRAINING_POOL_IDLE_S: int(300, 1, 86400).describe('A tenant training database pool unused this long is closed.'),
  TRAINING_MAX_OPEN_DATABASES: int(100, 1, 10000).describe('Training database pools open at once per instance; beyond it the least recently used is closed.'),
  TENANT_CACHE_MAX: int(10000, 10, 1000000)
    .describe('Tenants whose configuration in force (as JSON text; the 256 most recent also decoded) and Okta documents (discovery, JWKS with its imported key) are kept in memory per instance, least recently used out. Set it at or above the number of tenants that sign in: a tenant outside it costs a database read and possibly Okta fetches on its next sign-in. Memory: ~5.6 KB of live heap per warm tenant with the benchmark\'s configuration (more with large mappings: a configuration\'s text is kept whole), and with V8\'s pacing under load about 30 KiB resident per tenant (the benchmark measured 480-550 MiB resident with 10,000 tenants warm, against about 220 MiB for 10).'),
  API_CACHE_TTL_S: int(30, 0, 3600)
    .describe("Longest a user's /v1/me view and a grant's revocation state are served from an instance's memory. Changes do not wait for it: Postgres triggers notify every instance at commit (LISTEN/NOTIFY) and the entry is dropped within milliseconds; while an instance's notification connection is down it serves nothing from this cache. The bound only limits the damage of a notification that never arrived. 0: no cache, every API call reads Postgres."),
  API_CACHE_MAX: int(10000, 10, 1000000)
    .describe('Entries per instance in each API cache (verified access tokens; users; grants), least recently used out. An entry is at most about 2 KiB.'),
  HEAP_GROWING_PERCENT: int(0, 0, 300)
    .describe("0: V8's own heap pacing. Otherwise how far V8 lets the old generation grow past what the last full collection kept before collecting again (V8's --heap-growing-percent, set by main.ts at start). A trade of memory for tail latency, measured by the benchmark: at 50, resident memory during a run of sign-ins and API calls fell from ~290 to ~185 MiB with the same throughput, but with 10,000 tenants warm (a live heap of ~150 MiB collected far more often) sign-in p99 rose to 1.2-1.9x that of 10 tenants, against 0.7-0.9x with V8's pacing (measured before the per-tenant objects were cut, one phase after the other); measured again in alternating rounds, callback p99 over all rounds was 0.89-1.49x (above 1.1 in four runs of five) at 50 against 0.76-0.94x at the default, with 320-329 against 480 MiB resident for 10,000 warm tenants. Worth setting for an instance that serves few tenants and is short of memory."),
  PASSWORD_GRANT_MAX_FAILURES_PER_USERNAME: int(5, 1, 1000)
    .describe('Failed password-grant attempts allowed per username within the window before further attempts are refused without asking Okta.'),
  PASSWORD_GRANT_MAX_FAILURES_PER_CLIENT: int(100, 1, 100000)
    .describe('Failed password-grant attempts allowed per client application within the window.'),
  PASSWORD_GRANT_FAILURE_WINDOW_S: int(900, 10, 86400).describe('Window over which failed password-grant attempts are counted (shared by all instances, in Postgres).'),
  ADMIN_API_KEY: z.string().min(24, 'must be at least 24 characters').optional()
    .describe('Bootstrap operator key for the admin API (X-Admin-Key or Bearer). Required in production.'),
  SECRETS_KEYS: z.string().optional()
    .describe('Keyring for encrypting tenant secrets at rest: comma-separated keyId:base64(32 bytes). The first is used for new secrets; the others still decrypt (rotation: put the new key first, POST /admin/secrets/reseal, then remove the old one; see README). Required in production.'),
  OUTBOUND_ALLOW_PRIVATE_NETWORKS: bool('false')
    .describe('Allow calls to tenant issuers on loopback, link-local and private addresses (tests and the demo only).'),
  OUTBOUND_TIMEOUT_MS: int(5000, 100, 60000).describe('Time limit for each call to a tenant Okta.'),
  OUTBOUND_MAX_BYTES: int(1048576, 1024, 10485760).describe('Largest response accepted from a tenant Okta.'),
  OUTBOUND_RETRIES: int(1, 0, 3)
    .describe('Extra attempts for idempotent GETs to a tenant Okta (discovery, JWKS, UserInfo) after a connection failure or HTTP 502/503/504; never for the code exchange or the password grant.'),
  OKTA_BACKOFF_MAX_S: int(300, 1, 3600)
    .describe("Longest back-off honoured from a tenant Okta's HTTP 429 (X-Rate-Limit-Reset); the back-off is kept in Postgres, so every instance respects it."),
  METADATA_MAX_AGE_S: int(3600, 60, 86400)
    .describe("Upper bound on how long a tenant's JWKS or discovery document is cached (its Cache-Control max-age is honoured below this, and at least 60 s)."),
  METADATA_REFETCH_INTERVAL_S: int(30, 1, 3600)
    .describe("Early refetches of a tenant's JWKS (an unknown kid, e.g. a key rotated mid-day) are limited to a burst of 2, then one per this many seconds."),
  ID_TOKEN_CLOCK_SKEW_S: int(60, 0, 600).describe('Clock skew tolerated on upstream ID tokens (exp, iat, nbf).'),
  LOGIN_STATE_TTL_S: int(600, 60, 3600).describe('How long a started sign-in may take before it must start over.'),
  ACCESS_TOKEN_TTL_S: int(300, 60, 3600).describe('Lifetime of access tokens issued to apps.'),
  REFRESH_TOKEN_TTL_S: int(86400, 300, 2592000).describe('Absolute lifetime of a refresh token family.'),
  AUTH_CODE_TTL_S: int(60, 10, 600).describe('Lifetime of authorization codes issued to apps.'),
  SSO_SESSION_IDLE_S: int(28800, 300, 604800).describe('This service\'s sign-in session ends after this long without use (a later authorize then asks the tenant\'s Okta again).'),
  SSO_SESSION_MAX_S: int(43200, 300, 2592000).describe('Absolute lifetime of this service\'s sign-in session, however much it is used.'),
  RECONCILE_INTERVAL_S: int(3600, 0, 604800).describe('How often each instance runs the reconciliation of users not seen for their tenant\'s chosen period (0: never; it can still be run from the admin API).'),
  HOUSEKEEPING_INTERVAL_S: int(900, 0, 86400).describe('How often each instance deletes dead rows: abandoned sign-in states, spent code markers, expired refresh tokens, grants, sessions and console sessions (0: never).'),
  HOUSEKEEPING_BATCH: int(1000, 10, 100000).describe('Rows one housekeeping statement deletes; a run makes at most 20 per table.'),
  RECONCILE_BATCH: int(1000, 1, 100000).describe('Most users one reconciliation run flags or clears per tenant.'),
  TOKEN_SIGNING_ALG: z.enum(['RS256', 'ES256']).default('RS256').describe('Algorithm of this service\'s own tokens (see README: chosen by measurement).'),
  TRUST_PROXY: z.string().default('false').transform((v, ctx) => {
    const parsed = parseTrustProxy(v);
    if ('error' in parsed) ctx.addIssue({ code: 'custom', message: parsed.error });
    return 'error' in parsed ? z.NEVER : parsed.value;
  })
    .describe("Express 'trust proxy': false, true (trust every hop), a hop count, or comma-separated IP addresses, CIDRs (address/prefix length; IPv4 also address/netmask) and the names loopback, linklocal, uniquelocal (no empty entry). Used only to find the client address for rate limits. URLs are never built from Host or X-Forwarded-* headers."),
  RATE_LIMIT_SIGNIN_PER_MIN: int(300, 1, 1000000)
    .describe('Sign-in requests (/oauth2/authorize, /oauth2/callback) per client address per minute, per instance.'),
  RATE_LIMIT_TOKEN_PER_MIN: int(1200, 1, 1000000)
    .describe('Token, revocation and introspection requests per client address per minute, per instance.'),
  RATE_LIMIT_ADMIN_PER_MIN: int(300, 1, 1000000)
    .describe('Admin API requests per client address per minute, per instance.'),
  RATE_LIMIT_SCIM_PER_MIN: int(600, 1, 1000000)
    .describe('SCIM requests per tenant and client address per minute, per instance (per tenant as well: every customer\'s Okta pushes from the same few Okta addresses).'),
  CONSOLE_SESSION_TTL_S: int(28800, 300, 86400)
    .describe('Lifetime of an account-manager console session (never beyond the expiry of the API token it was opened with).'),
  OPS_TOKEN: z.string().min(24, 'must be at least 24 characters').optional()
    .describe('Bearer token for /metrics and /health/idp (operators, Prometheus). Unset: the admin API key is accepted there.'),
  METRICS_TENANT_LABELS: int(200, 0, 10000)
    .describe('Tenants that get their own metric label; sign-ins of further tenants are counted under tenant="_other" (bounded cardinality).'),
  HTTP_HEADERS_TIMEOUT_S: int(20, 1, 300)
    .describe("Longest a client may take to send a request's headers; then 408 and the connection is closed, within a second (a slow client cannot hold connections open: Node's own default is 60, checked every 30 s)."),
  HTTP_REQUEST_TIMEOUT_S: int(120, 1, 3600)
    .describe('Longest a client may take to send a whole request, body included (bulk loads are at most a few MB); then 408 and the connection is closed, within a second (Node\'s own default is 300).'),
  SHUTDOWN_DRAIN_S: int(0, 0, 120)
    .describe('On SIGTERM, report not-ready for this long before closing the listener (lets a load balancer stop sending).'),
  SHUTDOWN_TIMEOUT_S: int(25, 1, 600)
    .describe('On SIGTERM, the longest wait for in-flight requests (sign-ins) to finish before exiting anyway.'),
  AUDIT_RETENTION_DAYS: int(365, 1, 3650)
    .describe('Provisioning audit rows older than this are deleted by a periodic, bounded purge.'),
  AUDIT_CLAIMS_RETENTION_DAYS: int(30, 0, 3650)
    .describe('The (redacted) claims kept in an audit row are removed after this many days; the row itself stays until AUDIT_RETENTION_DAYS. 0: claims are not stored at all.'),
  AUDIT_PURGE_INTERVAL_S: int(3600, 60, 86400).describe('How often each instance runs the audit retention purge.'),
  AUDIT_PURGE_BATCH: int(1000, 10, 100000)
    .describe('Rows deleted (or stripped of claims) per purge statement; a purge runs at most 20 such statements.'),
  LOG_FILE: z.string().optional().describe('Write the JSON logs to this file instead of standard output.'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info').describe('Log level.'),
});

export type Env = z.infer<typeof envSchema>;

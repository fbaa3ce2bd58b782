import { fieldTable } from './fields/field-table.js';
import { identityMatchSql, issuerMovedReason } from './issuer-origin.js';

/**
 * The provisioning write as ONE statement (writable CTEs), generated once from the field table: lock the
 * user's row, check the username is free across all tenants and the locations exist, insert or update the
 * user (never a value an account manager set by hand), replace the IdP-sourced location set (never a manual
 * one, never re-adding one unassigned by hand), compute the field diff and, in the production database,
 * write the audit row — atomically, in one round trip, without hydrating any entity.
 *
 * Concurrency (READ COMMITTED): all CTEs share one snapshot. Two first logins race on the INSERT: the loser's
 * ON CONFLICT DO NOTHING (or the username_key unique violation) leaves it with nothing written, and the
 * caller runs the statement again, now as an update. A re-login that had to wait for another writer's row lock
 * sees that writer's row (FOR UPDATE follows the update chain) but not its location rows (older snapshot);
 * `locations_rev`, bumped on every assignment change, tells it so (`fresh` is false) and it runs again.
 * Outcome 'retry' (never audited) means exactly that.
 */
const P = {
  tenant: [1, 'uuid'], issuer: [2, 'text'], subject: [3, 'text'], newId: [4, 'uuid'], username: [5, 'text'], usernameKey: [6, 'text'],
  /** jsonb: asserted columns → value or null (clear). */
  fields: [7, 'jsonb'],
  /** jsonb: asserted declared custom fields → value or null. */
  custom: [8, 'jsonb'],
  locPresent: [9, 'boolean'], locIds: [10, 'text[]'], policy: [11, 'text'],
  /** text[]: field names this sign-in supplies (provenance: they become IdP-owned unless set by hand). */
  asserted: [12, 'text[]'],
  /** jsonb: warnings from mapping. */
  warnings: [13, 'jsonb'],
  /** jsonb: columns → value used only when creating (default role). */
  onCreate: [14, 'jsonb'],
  /** jsonb: problems that refuse the attempt only if it would create the user. */
  ifNew: [15, 'jsonb'],
  /** boolean: the attempt is a login (sets last_login_at); SCIM pushes are not. */
  login: [16, 'boolean'],
  /** text: the origin of the issuer (its Okta org), or null: a user of the tenant under another issuer of this origin is this user. */
  issuerOrigin: [17, 'text'],
  // Audit variant only.
  environment: [18, 'text'], source: [19, 'text'], configVersion: [20, 'integer'], sources: [21, 'jsonb'], claims: [22, 'jsonb'], correlationId: [23, 'text'],
} as const satisfies Record<string, readonly [number, string]>;

export type ProvisionParams = { [K in keyof typeof P]: unknown };
export const provisionParamNames = Object.keys(P) as Array<keyof typeof P>;
const $ = (k: keyof typeof P) => `$${P[k][0]}::${P[k][1]}`;

/** Orders named values as the statement's positional parameters. */
export function positional(values: Partial<ProvisionParams>, audit: boolean): unknown[] {
  return provisionParamNames.filter((k) => audit || P[k][0] <= 17).sort((a, b) => P[a][0] - P[b][0]).map((k) => values[k] ?? null);
}

const rows = fieldTable.filter((r) => r.field !== 'username');
const notManual = (fieldSql: string) => `NOT (${fieldSql} = ANY(u.manual_fields))`;
const newValue = (r: (typeof rows)[number]) =>
  `CASE WHEN ${$('fields')} ? '${r.column}' AND ${notManual(`'${r.field}'`)} THEN ${$('fields')}->>'${r.column}' ELSE u.${r.column} END`;
/**
 * users.status is not a claim-mapped field: only SCIM asserts it (its `active`), through the fields parameter
 * like a column and under the same provenance rules (a status set by hand is left alone). Sign-in never sends
 * it, so a user deactivated by SCIM stays disabled when they sign in.
 */
const statusValue = `CASE WHEN ${$('fields')} ? 'status' AND ${notManual(`'status'`)} THEN ${$('fields')}->>'status' ELSE u.status END`;
const newCustom = `(u.custom_fields || COALESCE((SELECT jsonb_object_agg(k, v) FROM jsonb_each(${$('custom')}) AS e(k, v)
      WHERE v <> 'null'::jsonb AND ${notManual(`('custom.' || k)`)}), '{}'::jsonb))
    - ARRAY(SELECT k FROM jsonb_each(${$('custom')}) AS e(k, v) WHERE v = 'null'::jsonb AND ${notManual(`('custom.' || k)`)})`;

/** Masks a sensitive value in the audit diff: only its last two characters (of six or more) remain. */
export const maskSql = (x: string) => `CASE WHEN ${x} IS NULL THEN NULL WHEN length(${x}) >= 6 THEN '•••' || right(${x}, 2) ELSE '•••' END`;
const shown = (r: { sensitive?: boolean }, x: string) => (r.sensitive ? `to_jsonb(${maskSql(x)})` : `to_jsonb(${x})`);

/** The field diff between a before row `c` and an after row `n` (both users rows), as {field: {from, to}}. */
export function diffSql(c: string, n: string): string {
  const values = [
    `('username', to_jsonb(${c}.username), to_jsonb(${n}.username), to_jsonb(${c}.username), to_jsonb(${n}.username))`,
    ...rows.map((r) => `('${r.field}', to_jsonb(${c}.${r.column}), to_jsonb(${n}.${r.column}), ${shown(r, `${c}.${r.column}`)}, ${shown(r, `${n}.${r.column}`)})`),
    // A new user's status is not news; a change of it (SCIM, by hand) is.
    `('status', CASE WHEN ${c}.id IS NOT NULL THEN to_jsonb(${c}.status) END, CASE WHEN ${c}.id IS NOT NULL THEN to_jsonb(${n}.status) END, to_jsonb(${c}.status), to_jsonb(${n}.status))`,
  ].join(',\n        ');
  return `(SELECT COALESCE(jsonb_object_agg(f.k, jsonb_build_object('from', f.sb, 'to', f.sa)) FILTER (WHERE f.b IS DISTINCT FROM f.a), '{}')
      FROM (VALUES
        ${values}
      ) AS f(k, b, a, sb, sa))
    || (SELECT COALESCE(jsonb_object_agg('custom.' || k, jsonb_build_object('from', ${c}.custom_fields->k, 'to', ${n}.custom_fields->k)), '{}')
      FROM (SELECT jsonb_object_keys(COALESCE(${n}.custom_fields, '{}')) UNION SELECT jsonb_object_keys(COALESCE(${c}.custom_fields, '{}'))) AS keys(k)
      WHERE (${c}.custom_fields->k) IS DISTINCT FROM (${n}.custom_fields->k))`;
}

// An asserted value the IdP could not apply because an account manager set the field by hand.
const overridden = `CASE f ${rows.map((r) => `WHEN '${r.field}' THEN c.${r.column} IS DISTINCT FROM (${$('fields')}->>'${r.column}')`).join(' ')}
    ELSE (c.custom_fields->substr(f, 8)) IS DISTINCT FROM NULLIF(${$('custom')}->substr(f, 8), 'null'::jsonb) END`;

/** The user this attempt is about: the shared rule (identityMatchSql), over the statement's parameters. */
const { where: match, preferExact } = identityMatchSql({ tenant: $('tenant'), issuer: $('issuer'), subject: $('subject'), origin: $('issuerOrigin') });
/** issuerMovedReason as a SQL text expression, so the audit and the dry run say the same (its words hold no quote). */
const movedReasonSql = `'${issuerMovedReason(`' || (SELECT from_issuer FROM moved) || '`, `' || ${$('issuer')} || '`)}'`;
const locationsChange = `(EXISTS (SELECT 1 FROM plan_add) OR EXISTS (SELECT 1 FROM plan_del))`;

const core = `
snap AS (SELECT locations_rev FROM users WHERE ${match} ${preferExact}),
cur AS (SELECT * FROM users WHERE ${match} ${preferExact} FOR UPDATE),
moved AS (SELECT issuer AS from_issuer FROM cur WHERE issuer <> ${$('issuer')}),
taken AS (
  SELECT tenant_id = ${$('tenant')} AS same_tenant FROM users x
   WHERE username_key = ${$('usernameKey')} AND NOT (x.tenant_id = ${$('tenant')} AND x.issuer = ${$('issuer')} AND x.subject = ${$('subject')}) AND NOT EXISTS (SELECT 1 FROM cur WHERE cur.id = x.id) LIMIT 1
),
wanted AS (SELECT DISTINCT unnest(${$('locIds')}) AS ext),
known AS (SELECT l.external_id AS ext FROM locations l JOIN wanted w ON w.ext = l.external_id WHERE l.tenant_id = ${$('tenant')}),
unknown AS (SELECT ext FROM wanted EXCEPT SELECT ext FROM known),
excluded AS (SELECT k.ext FROM known k, cur WHERE k.ext = ANY(cur.excluded_locations)),
have AS (SELECT ul.location_external_id AS ext, ul.source FROM user_locations ul JOIN cur ON ul.user_id = cur.id),
gate AS (
  SELECT NOT EXISTS (SELECT 1 FROM taken) AS username_free,
         (${$('policy')} = 'assign-known' OR NOT ${$('locPresent')} OR NOT EXISTS (SELECT 1 FROM unknown)) AS locations_ok,
         (EXISTS (SELECT 1 FROM cur) OR jsonb_array_length(${$('ifNew')}) = 0) AS create_ok,
         NOT EXISTS (SELECT 1 FROM cur, snap WHERE cur.locations_rev <> snap.locations_rev) AS fresh
),
go AS (SELECT 1 FROM gate WHERE username_free AND locations_ok AND create_ok AND fresh),
plan_del AS (SELECT ext FROM have WHERE ${$('locPresent')} AND source = 'idp' AND ext NOT IN (SELECT ext FROM known)),
plan_add AS (SELECT ext FROM known WHERE ${$('locPresent')} AND ext NOT IN (SELECT ext FROM have) AND ext NOT IN (SELECT ext FROM excluded)),
ins AS (
  INSERT INTO users (id, tenant_id, issuer, subject, username, username_key, ${rows.map((r) => r.column).join(', ')}, status, custom_fields, idp_fields, last_login_at, locations_rev)
  SELECT ${$('newId')}, ${$('tenant')}, ${$('issuer')}, ${$('subject')}, ${$('username')}, ${$('usernameKey')},
         ${rows.map((r) => `COALESCE(${$('fields')}->>'${r.column}', ${$('onCreate')}->>'${r.column}')`).join(', ')},
         COALESCE(${$('fields')}->>'status', 'active'),
         COALESCE(jsonb_strip_nulls(${$('custom')}), '{}'), ${$('asserted')},
         CASE WHEN ${$('login')} THEN now() END, CASE WHEN EXISTS (SELECT 1 FROM plan_add) THEN 1 ELSE 0 END
  FROM go WHERE NOT EXISTS (SELECT 1 FROM cur)
  ON CONFLICT (tenant_id, issuer, subject) DO NOTHING
  RETURNING *
),
upd AS (
  UPDATE users u SET
    issuer = ${$('issuer')}, username = ${$('username')}, username_key = ${$('usernameKey')},
    ${rows.map((r) => `${r.column} = ${newValue(r)}`).join(',\n    ')},
    status = ${statusValue},
    custom_fields = ${newCustom},
    idp_fields = ARRAY(SELECT DISTINCT f COLLATE "C" FROM unnest(u.idp_fields || ${$('asserted')}) AS f WHERE NOT (f = ANY(u.manual_fields)) ORDER BY 1),
    updated_at = CASE WHEN ${locationsChange} OR u.issuer <> ${$('issuer')} OR ROW(${$('username')}, ${rows.map(newValue).join(', ')}, ${statusValue}, ${newCustom})
                      IS DISTINCT FROM ROW(u.username, ${rows.map((r) => `u.${r.column}`).join(', ')}, u.status, u.custom_fields)
                 THEN now() ELSE u.updated_at END,
    last_login_at = CASE WHEN ${$('login')} THEN now() ELSE u.last_login_at END,
    locations_rev = u.locations_rev + CASE WHEN ${locationsChange} THEN 1 ELSE 0 END
  FROM cur, go WHERE u.id = cur.id
  RETURNING u.*
),
n AS (SELECT * FROM ins UNION ALL SELECT * FROM upd),
del AS (
  DELETE FROM user_locations ul USING n
  WHERE ul.user_id = n.id AND ul.source = 'idp' AND ul.location_external_id IN (SELECT ext FROM plan_del)
  RETURNING ul.location_external_id AS ext
),
added AS (
  INSERT INTO user_locations (user_id, tenant_id, location_external_id, source)
  SELECT n.id, ${$('tenant')}, p.ext, 'idp' FROM n, plan_add p
  ON CONFLICT (user_id, location_external_id) DO NOTHING
  RETURNING location_external_id AS ext
),
diff AS (SELECT ${diffSql('c', 'n')} AS fields FROM n LEFT JOIN cur c ON true),
skipped AS (
  SELECT COALESCE(jsonb_agg(jsonb_build_object('field', f, 'reason',
           'set by hand by an account manager; the identity provider''s value was not applied') ORDER BY f), '[]') AS w
  FROM cur c, unnest(c.manual_fields) AS f
  WHERE f = ANY(${$('asserted')}) AND ${overridden}
),
result AS (
  SELECT
    COALESCE((SELECT id FROM n), (SELECT id FROM cur)) AS user_id,
    COALESCE((SELECT status FROM n), (SELECT status FROM cur)) AS status,
    EXISTS (SELECT 1 FROM n) AS written,
    CASE WHEN NOT g.fresh THEN 'retry'
         WHEN NOT (g.username_free AND g.locations_ok AND g.create_ok) THEN 'refused'
         WHEN EXISTS (SELECT 1 FROM ins) THEN 'created'
         WHEN NOT EXISTS (SELECT 1 FROM n) THEN 'retry'
         WHEN COALESCE((SELECT fields FROM diff), '{}') <> '{}' OR EXISTS (SELECT 1 FROM added) OR EXISTS (SELECT 1 FROM del) OR EXISTS (SELECT 1 FROM moved) THEN 'updated'
         ELSE 'unchanged' END AS outcome,
    COALESCE((SELECT fields FROM diff), '{}')
      || CASE WHEN EXISTS (SELECT 1 FROM added) OR EXISTS (SELECT 1 FROM del) THEN jsonb_build_object('locations', jsonb_build_object(
           'added', (SELECT COALESCE(jsonb_agg(ext ORDER BY ext), '[]') FROM added),
           'removed', (SELECT COALESCE(jsonb_agg(ext ORDER BY ext), '[]') FROM del)))
         ELSE '{}' END
      || CASE WHEN EXISTS (SELECT 1 FROM upd) AND EXISTS (SELECT 1 FROM moved) THEN jsonb_build_object('issuer', jsonb_build_object('from', (SELECT from_issuer FROM moved), 'to', ${$('issuer')}))
         ELSE '{}' END AS changes,
    (SELECT COALESCE(jsonb_agg(jsonb_build_object('field', 'username', 'reason', 'the username ' || ${$('username')} || CASE WHEN t.same_tenant
        THEN ' already belongs to another user of this tenant (a different identity-provider subject); it was not taken over'
        ELSE ' already belongs to a user of another tenant; it was not taken over' END)), '[]') FROM taken t)
    || (CASE WHEN NOT g.locations_ok THEN jsonb_build_array(jsonb_build_object('field', 'locations', 'reason',
        'unknown External Node Identifiers (not in this tenant''s company tree): ' || (SELECT string_agg(ext, ', ' ORDER BY ext) FROM unknown)))
      ELSE '[]' END)
    || (CASE WHEN NOT g.create_ok THEN ${$('ifNew')} ELSE '[]' END) AS reasons,
    ${$('warnings')}
    || (CASE WHEN ${$('locPresent')} AND g.locations_ok AND EXISTS (SELECT 1 FROM unknown) THEN jsonb_build_array(jsonb_build_object('field', 'locations', 'reason',
        'unknown External Node Identifiers were not assigned: ' || (SELECT string_agg(ext, ', ' ORDER BY ext) FROM unknown)))
      ELSE '[]' END)
    || (CASE WHEN EXISTS (SELECT 1 FROM excluded) THEN jsonb_build_array(jsonb_build_object('field', 'locations', 'reason',
        'unassigned by hand by an account manager, so not assigned again: ' || (SELECT string_agg(ext, ', ' ORDER BY ext) FROM excluded)))
      ELSE '[]' END)
    || (SELECT w FROM skipped)
    || (CASE WHEN EXISTS (SELECT 1 FROM upd) AND EXISTS (SELECT 1 FROM moved) THEN jsonb_build_array(jsonb_build_object('field', 'issuer', 'reason',
        ${movedReasonSql}))
      ELSE '[]' END) AS warnings
  FROM gate g
)`;

/** Provisioning in a directory database that is not the audit's (training): the caller writes the audit. */
export const provisionSql = `WITH ${core}\nSELECT * FROM result`;

/** Provisioning plus its audit row in the same statement (production database). 'retry' runs are not audited. */
export const provisionAndAuditSql = `WITH ${core},
audit AS (
  INSERT INTO provisioning_audit (tenant_id, environment, source, config_version, issuer, subject, username, user_id,
    outcome, changes, sources, reasons, warnings, claims, correlation_id)
  SELECT ${$('tenant')}, ${$('environment')}, ${$('source')}, ${$('configVersion')}, ${$('issuer')}, ${$('subject')}, ${$('username')}, r.user_id,
         r.outcome, r.changes, ${$('sources')}, r.reasons, r.warnings, ${$('claims')}, ${$('correlationId')}
  FROM result r
  WHERE r.outcome <> 'retry'
  RETURNING id
)
SELECT r.*, (SELECT id FROM audit) AS audit_id FROM result r`;

const auditInsert = (userId: string) => `
INSERT INTO provisioning_audit (tenant_id, environment, source, config_version, issuer, subject, username, user_id,
  outcome, changes, sources, reasons, warnings, claims, correlation_id, actor)
VALUES ($1, $2, $3, $4, $5, $6, $7, ${userId}, $9, $10, $11, $12, $13, $14, $15, $16)
RETURNING id`;

/** Columns of an audit row, in the order of the parameters $1..$16. */
export const auditInsertSql = auditInsert('$8');

/** The same, for a production attempt refused before the write: the audit still names the existing user, if any. */
export const auditInsertWithUserSql = auditInsert('COALESCE($8::uuid, (SELECT id FROM users WHERE tenant_id = $1 AND issuer = $5 AND subject = $6))');

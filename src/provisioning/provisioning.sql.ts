import { fieldTable } from './fields/field-table.js';

/**
 * The provisioning write as ONE statement (writable CTEs): lock the current row, check the username is free
 * across all tenants and the locations exist, insert or update the user, replace the IdP-sourced location
 * set, compute the field diff, and (in the production database) write the audit row — atomically, in one
 * round trip. Generated once from the field table, so a new field is a new row there, not new SQL here.
 *
 * Parameters:
 *  $1 tenant_id  $2 issuer  $3 subject  $4 id for a new user  $5 username  $6 username_key
 *  $7 jsonb: asserted columns → value or null (and 'status' when SCIM asserts active)   $8 jsonb: asserted custom fields → value or null
 *  $9 bool: locations asserted   $10 text[]: asserted location ids   $11 unknown-location policy
 *  $12 text[]: fields asserted by the IdP this time   $13 jsonb: warnings from mapping
 *  (audit variant) $14 environment $15 source $16 config_version $17 jsonb sources
 *                  $18 jsonb redacted claims $19 correlation id
 */
const columns = fieldTable.map((r) => r.column).filter((c) => c !== 'username');

/**
 * users.status is not a claim-mapped field: only SCIM asserts it (its `active`), through $7 like a field and
 * under the same provenance rules (a status an account manager set by hand is left alone). Sign-in never
 * sends it, so a user deactivated by SCIM stays disabled when they sign in.
 */
const statusValue = `CASE WHEN $7::jsonb ? 'status' AND NOT ('status' = ANY(u.manual_fields)) THEN $7::jsonb->>'status' ELSE u.status END`;

const newValue = (col: string) =>
  `CASE WHEN $7::jsonb ? '${col}' AND NOT ('${col}' = ANY(u.manual_fields)) THEN $7::jsonb->>'${col}' ELSE u.${col} END`;
const newCustom = `(u.custom_fields || COALESCE((SELECT jsonb_object_agg(k, v) FROM jsonb_each($8::jsonb) AS e(k, v)
    WHERE NOT ('custom.' || k = ANY(u.manual_fields))), '{}'::jsonb)) - ARRAY(SELECT k FROM jsonb_each($8::jsonb) AS e(k, v)
    WHERE v = 'null'::jsonb AND NOT ('custom.' || k = ANY(u.manual_fields)))`;

const diffRows = [
  `('username', to_jsonb(c.username), to_jsonb(n.username))`,
  ...fieldTable.filter((r) => r.field !== 'username').map((r) => `('${r.field}', to_jsonb(c.${r.column}), to_jsonb(n.${r.column}))`),
  `('status', CASE WHEN $7::jsonb ? 'status' THEN to_jsonb(c.status) END, CASE WHEN $7::jsonb ? 'status' THEN to_jsonb(n.status) END)`,
  `('customFields', CASE WHEN c.id IS NULL THEN NULL ELSE c.custom_fields END, CASE WHEN n.custom_fields = '{}' AND c.id IS NULL THEN NULL ELSE n.custom_fields END)`,
].join(',\n        ');

const core = `
cur AS (
  SELECT * FROM users WHERE tenant_id = $1 AND issuer = $2 AND subject = $3 FOR UPDATE
),
taken AS (
  SELECT 1 FROM users WHERE username_key = $6 AND NOT (tenant_id = $1 AND issuer = $2 AND subject = $3) LIMIT 1
),
wanted AS (SELECT DISTINCT unnest($10::text[]) AS ext),
known AS (SELECT l.external_id AS ext FROM locations l JOIN wanted w ON w.ext = l.external_id WHERE l.tenant_id = $1),
unknown AS (SELECT ext FROM wanted EXCEPT SELECT ext FROM known),
gate AS (
  SELECT NOT EXISTS (SELECT 1 FROM taken) AS username_free,
         ($11 = 'assign-known' OR NOT $9 OR NOT EXISTS (SELECT 1 FROM unknown)) AS locations_ok
),
ins AS (
  INSERT INTO users (id, tenant_id, issuer, subject, username, username_key, ${columns.join(', ')}, status, custom_fields, idp_fields, last_login_at)
  SELECT $4, $1, $2, $3, $5, $6, ${columns.map((c) => `$7::jsonb->>'${c}'`).join(', ')}, COALESCE($7::jsonb->>'status', 'active'),
         COALESCE(jsonb_strip_nulls($8::jsonb), '{}'), $12::text[], now()
  FROM gate WHERE username_free AND locations_ok AND NOT EXISTS (SELECT 1 FROM cur)
  ON CONFLICT (tenant_id, issuer, subject) DO NOTHING
  RETURNING *
),
upd AS (
  UPDATE users u SET
    username = $5, username_key = $6,
    ${columns.map((c) => `${c} = ${newValue(c)}`).join(',\n    ')},
    status = ${statusValue},
    custom_fields = ${newCustom},
    idp_fields = ARRAY(SELECT DISTINCT f FROM unnest(u.idp_fields || $12::text[]) AS f WHERE NOT (f = ANY(u.manual_fields)) ORDER BY 1),
    updated_at = CASE WHEN ROW($5::text, ${columns.map(newValue).join(', ')}, ${statusValue}, ${newCustom})
                      IS DISTINCT FROM ROW(u.username, ${columns.map((c) => `u.${c}`).join(', ')}, u.status, u.custom_fields)
                 THEN now() ELSE u.updated_at END,
    last_login_at = now()
  FROM cur, gate WHERE u.id = cur.id AND gate.username_free AND gate.locations_ok
  RETURNING u.*
),
n AS (SELECT * FROM ins UNION ALL SELECT * FROM upd),
del AS (
  DELETE FROM user_locations ul USING n
  WHERE $9 AND ul.user_id = n.id AND ul.source = 'idp' AND ul.location_external_id NOT IN (SELECT ext FROM known)
  RETURNING ul.location_external_id AS ext
),
added AS (
  INSERT INTO user_locations (user_id, tenant_id, location_external_id, source)
  SELECT n.id, $1, k.ext, 'idp' FROM n, known k WHERE $9
  ON CONFLICT (user_id, location_external_id) DO NOTHING
  RETURNING location_external_id AS ext
),
diff AS (
  SELECT COALESCE(jsonb_object_agg(f.k, jsonb_build_object('from', f.b, 'to', f.a)) FILTER (WHERE f.b IS DISTINCT FROM f.a), '{}') AS fields
  FROM n LEFT JOIN cur c ON true,
  LATERAL (VALUES
        ${diffRows}
  ) AS f(k, b, a)
),
result AS (
  SELECT
    COALESCE((SELECT id FROM n), (SELECT id FROM cur)) AS user_id,
    EXISTS (SELECT 1 FROM n) AS written,
    (SELECT COALESCE(array_agg(ext ORDER BY ext), '{}') FROM unknown) AS unknown_locations,
    CASE WHEN NOT g.username_free OR NOT g.locations_ok THEN 'refused'
         WHEN EXISTS (SELECT 1 FROM ins) THEN 'created'
         WHEN COALESCE((SELECT fields FROM diff), '{}') <> '{}' OR EXISTS (SELECT 1 FROM added) OR EXISTS (SELECT 1 FROM del) THEN 'updated'
         ELSE 'unchanged' END AS outcome,
    COALESCE((SELECT fields FROM diff), '{}')
      || CASE WHEN EXISTS (SELECT 1 FROM added) OR EXISTS (SELECT 1 FROM del) THEN jsonb_build_object('locations', jsonb_build_object(
           'added', (SELECT COALESCE(jsonb_agg(ext ORDER BY ext), '[]') FROM added),
           'removed', (SELECT COALESCE(jsonb_agg(ext ORDER BY ext), '[]') FROM del)))
         ELSE '{}' END AS changes,
    (CASE WHEN NOT g.username_free THEN jsonb_build_array(jsonb_build_object('field', 'username', 'reason',
        'the username ' || $5 || ' already belongs to another user (another tenant or identity provider); it was not taken over'))
      ELSE '[]' END)
    || (CASE WHEN NOT g.locations_ok THEN jsonb_build_array(jsonb_build_object('field', 'locations', 'reason',
        'unknown External Node Identifiers: ' || (SELECT string_agg(ext, ', ' ORDER BY ext) FROM unknown)))
      ELSE '[]' END) AS reasons,
    $13::jsonb || (CASE WHEN g.locations_ok AND EXISTS (SELECT 1 FROM unknown) THEN jsonb_build_array(jsonb_build_object('field', 'locations', 'reason',
        'unknown External Node Identifiers were not assigned: ' || (SELECT string_agg(ext, ', ' ORDER BY ext) FROM unknown)))
      ELSE '[]' END) AS warnings
  FROM gate g
)`;

/** Provisioning in a directory database that is not the audit's (training): the caller writes the audit. */
export const provisionSql = `WITH ${core}\nSELECT * FROM result`;

/** Columns of an audit row, in the order of auditInsertSql's parameters $1..$15. */
export const auditInsertSql = `
INSERT INTO provisioning_audit (tenant_id, environment, source, config_version, issuer, subject, username, user_id,
  outcome, changes, sources, reasons, warnings, claims, correlation_id)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
RETURNING id`;

/** Provisioning plus its audit row in the same statement (production database). */
export const provisionAndAuditSql = `WITH ${core},
audit AS (
  INSERT INTO provisioning_audit (tenant_id, environment, source, config_version, issuer, subject, username, user_id,
    outcome, changes, sources, reasons, warnings, claims, correlation_id)
  SELECT $1, $14, $15, $16, $2, $3, $5, r.user_id, r.outcome, r.changes, $17::jsonb, r.reasons, r.warnings, $18::jsonb, $19
  FROM result r
  WHERE r.written OR r.outcome = 'refused'
  RETURNING id
)
SELECT r.*, (SELECT id FROM audit) AS audit_id FROM result r`;

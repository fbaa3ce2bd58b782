import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Stored configuration checks name their fields as every answer now does, from the top of the document the
 * configuration sits in (src/common/validation/field-path.ts): `domains[1]` becomes `config.domains[1]`, and a
 * retired secret's `clientSecret` becomes `config.okta.clientSecretId`. Version history then reads one way,
 * whichever release checked a version. Fields outside the configuration (`slug`, `clientSecretId`) stay.
 */
export class FieldNamesFromDocument1796360000000 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await rewrite(q, `CASE
      WHEN p->>'field' = 'clientSecret' THEN jsonb_set(p, '{field}', '"config.okta.clientSecretId"')
      WHEN p->>'field' IN ('slug', 'clientSecretId', '(body)') OR p->>'field' LIKE 'config.%' OR p->>'field' LIKE 'config[%' THEN p
      ELSE jsonb_set(p, '{field}', to_jsonb('config.' || (p->>'field'))) END`);
  }

  async down(q: QueryRunner): Promise<void> {
    await rewrite(q, `CASE
      WHEN p->>'field' = 'config.okta.clientSecretId' THEN jsonb_set(p, '{field}', '"clientSecret"')
      WHEN p->>'field' LIKE 'config.%' THEN jsonb_set(p, '{field}', to_jsonb(substr(p->>'field', 8)))
      ELSE p END`);
  }
}

/** Applies `each` (an expression of one problem `p`) to every problem of every stored check, keeping the order. */
async function rewrite(q: QueryRunner, each: string): Promise<void> {
  await q.query(`
    CREATE FUNCTION pg_temp.iqsso_rename_fields(list jsonb) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
      SELECT CASE WHEN jsonb_typeof(list) <> 'array' THEN list ELSE (
        SELECT coalesce(jsonb_agg(CASE WHEN jsonb_typeof(p->'field') = 'string' THEN ${each} ELSE p END ORDER BY i), '[]'::jsonb)
        FROM jsonb_array_elements(list) WITH ORDINALITY AS e(p, i)) END
    $$;
    UPDATE tenant_config_versions SET
      warnings = pg_temp.iqsso_rename_fields(warnings),
      check_result = CASE WHEN check_result IS NULL THEN NULL ELSE check_result
        || jsonb_build_object('problems', pg_temp.iqsso_rename_fields(coalesce(check_result->'problems', '[]')))
        || jsonb_build_object('warnings', pg_temp.iqsso_rename_fields(coalesce(check_result->'warnings', '[]'))) END
      WHERE warnings <> '[]' OR check_result IS NOT NULL;
    DROP FUNCTION pg_temp.iqsso_rename_fields(jsonb);
  `);
}

import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The source domains of username rewrites become rows of tenant_domains beside the verified domains (kind),
 * so that no two tenants can claim the same addresses (see src/tenants/domain-claims.ts) and home-realm
 * discovery is an index lookup rather than a scan of every configuration. A rewrite source that another
 * tenant already holds exactly is left out here; that tenant's next save reports the conflict.
 */
export class DomainClaims1796340000000 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE tenant_domains ADD COLUMN kind text NOT NULL DEFAULT 'verified' CHECK (kind IN ('verified', 'rewrite'))`);
    await q.query(`ALTER TABLE tenant_domains ALTER COLUMN kind DROP DEFAULT`);
    await q.query(
      `INSERT INTO tenant_domains (domain, tenant_id, kind)
       SELECT DISTINCT lower(r->>'from'), t.id, 'rewrite'
         FROM tenants t
         JOIN tenant_config_versions v ON v.tenant_id = t.id AND v.version = t.active_version
         CROSS JOIN LATERAL jsonb_array_elements(COALESCE(v.config->'usernameRewrites', '[]'::jsonb)) r
       ON CONFLICT (domain) DO NOTHING`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM tenant_domains WHERE kind = 'rewrite'`);
    await q.query(`ALTER TABLE tenant_domains DROP COLUMN kind`);
  }
}

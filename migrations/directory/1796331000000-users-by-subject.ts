import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Provisioning matches a returning user by (tenant, sub) under an earlier issuer of the same Okta org when the
 * tenant's issuer changed (provisioning.sql.ts): an index probe, not a scan of the tenant's users.
 */
export class UsersBySubject1796331000000 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX users_tenant_subject ON users (tenant_id, subject)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX users_tenant_subject`);
  }
}

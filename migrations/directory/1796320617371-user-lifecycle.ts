import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Lifecycle marks on users (issue 8). Users are never deleted by deprovisioning:
 * - scim_deleted_at: the customer's Okta sent SCIM DELETE; the user is disabled and hidden from SCIM;
 * - unseen_flagged_at: reconciliation found no sign-in for the tenant's chosen period (a flag, not a change).
 */
export class UserLifecycle1796320617371 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE users ADD COLUMN scim_deleted_at timestamptz, ADD COLUMN unseen_flagged_at timestamptz;
      CREATE INDEX users_tenant_seen ON users (tenant_id, last_login_at) WHERE status = 'active';
      CREATE INDEX users_unseen ON users (tenant_id) WHERE unseen_flagged_at IS NOT NULL;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX users_unseen; DROP INDEX users_tenant_seen; ALTER TABLE users DROP COLUMN unseen_flagged_at, DROP COLUMN scim_deleted_at;`);
  }
}

import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The provisioning audit as account managers query it and as retention purges it:
 * - source 'admin' with the actor: hand edits of users and location assignments are audited like sign-ins;
 * - indexes for the queries the audit API runs (tenant + time, tenant + user + time), and for the retention
 *   purge (time alone; rows that still hold claims).
 */
export class ProvisioningAuditQuery1796320967186 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE provisioning_audit DROP CONSTRAINT provisioning_audit_source_check;
      ALTER TABLE provisioning_audit ADD CONSTRAINT provisioning_audit_source_check CHECK (source IN ('sign-in', 'password', 'scim', 'admin'));
      ALTER TABLE provisioning_audit ADD COLUMN actor text;
      DROP INDEX provisioning_audit_user;
      CREATE INDEX provisioning_audit_user_time ON provisioning_audit (tenant_id, user_id, created_at DESC, id DESC);
      CREATE INDEX provisioning_audit_created ON provisioning_audit (created_at);
      CREATE INDEX provisioning_audit_with_claims ON provisioning_audit (created_at) WHERE claims IS NOT NULL;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP INDEX provisioning_audit_with_claims, provisioning_audit_created, provisioning_audit_user_time;
      CREATE INDEX provisioning_audit_user ON provisioning_audit (tenant_id, user_id);
      ALTER TABLE provisioning_audit DROP COLUMN actor;
      DELETE FROM provisioning_audit WHERE source = 'admin';
      ALTER TABLE provisioning_audit DROP CONSTRAINT provisioning_audit_source_check;
      ALTER TABLE provisioning_audit ADD CONSTRAINT provisioning_audit_source_check CHECK (source IN ('sign-in', 'password', 'scim'));
    `);
  }
}

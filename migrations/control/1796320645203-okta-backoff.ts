import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Per-tenant back-off after a tenant's Okta answered HTTP 429, shared by every instance (see OktaBackoff). */
export class OktaBackoff1796320645203 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE okta_backoff (
        tenant_id   uuid PRIMARY KEY REFERENCES tenants(id) ON DELETE CASCADE,
        until       timestamptz NOT NULL,
        updated_at  timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE okta_backoff`);
  }
}

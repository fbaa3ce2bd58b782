import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Token introspection (RFC 7662) is for resource servers, not for every confidential client: a POS app's secret
 * ships on every till, and with it any token of any user could be read (RFC 7662 §4: limit which clients may
 * introspect). A client may introspect only when registered with `introspection: true`. Confidential clients
 * registered before this migration could introspect, and keep it, so no running resource server breaks.
 */
export class ClientIntrospection1796360000100 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE oauth_clients ADD COLUMN may_introspect boolean NOT NULL DEFAULT false;
      UPDATE oauth_clients SET may_introspect = true WHERE client_type = 'confidential';
      ALTER TABLE oauth_clients ADD CONSTRAINT oauth_clients_introspection_confidential CHECK (NOT may_introspect OR client_type = 'confidential');
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE oauth_clients DROP COLUMN may_introspect;`);
  }
}

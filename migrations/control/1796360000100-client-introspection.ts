import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Token introspection (RFC 7662) is for resource servers, not for every confidential client: a POS app's secret
 * ships on every till, and with it any token of any user could be read (RFC 7662 §4: limit which clients may
 * introspect). A client may introspect only when registered with `introspection: true` (or given it later,
 * PATCH /admin/clients/{clientId}). Confidential clients registered before this migration could introspect; those
 * whose secret stays on a server keep it, so no running resource server breaks, but not those registered for the
 * password grant: that is the POS app, whose secret is on every till (an operator can give it back by PATCH, which
 * then requires the password grant gone).
 */
export class ClientIntrospection1796360000100 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE oauth_clients ADD COLUMN may_introspect boolean NOT NULL DEFAULT false;
      UPDATE oauth_clients SET may_introspect = true WHERE client_type = 'confidential' AND NOT ('password' = ANY (grant_types));
      ALTER TABLE oauth_clients ADD CONSTRAINT oauth_clients_introspection_confidential CHECK (NOT may_introspect OR client_type = 'confidential');
      ALTER TABLE oauth_clients ADD CONSTRAINT oauth_clients_introspection_no_password CHECK (NOT may_introspect OR NOT ('password' = ANY (grant_types)));
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE oauth_clients DROP COLUMN may_introspect;`);
  }
}

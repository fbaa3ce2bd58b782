import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Failed password-grant attempts, counted per username and per client in a fixed window. In Postgres, not
 * in process memory, so the limit holds across every instance. Keys are hashes: no username is stored.
 */
export class PasswordGrantThrottle1796326831593 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE password_grant_failures (
        key                text PRIMARY KEY,          -- 'user:' || sha256(tenant, username) or 'client:' || sha256(client_id)
        window_started_at  timestamptz NOT NULL,
        failures           integer NOT NULL CHECK (failures >= 0)
      );
      CREATE INDEX password_grant_failures_window ON password_grant_failures (window_started_at);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE password_grant_failures;`);
  }
}

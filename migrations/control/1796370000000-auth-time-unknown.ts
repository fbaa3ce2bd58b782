import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * An authentication time may be unknown: the tenant's Okta sent no auth_time and nothing (prompt=login, max_age)
 * required one. Sessions and refresh tokens then hold NULL rather than a made-up time; our tokens carry no
 * auth_time, and a session of unknown age is never reused for a request with max_age.
 */
export class AuthTimeUnknown1796370000000 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE sso_sessions ALTER COLUMN auth_time DROP NOT NULL`);
    await q.query(`ALTER TABLE refresh_tokens ALTER COLUMN auth_time DROP NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    // The epoch: older than any max_age, so a session of unknown age still goes back to Okta when one is asked.
    await q.query(`UPDATE sso_sessions SET auth_time = to_timestamp(0) WHERE auth_time IS NULL`);
    await q.query(`ALTER TABLE sso_sessions ALTER COLUMN auth_time SET NOT NULL`);
    await q.query(`UPDATE refresh_tokens SET auth_time = to_timestamp(0) WHERE auth_time IS NULL`);
    await q.query(`ALTER TABLE refresh_tokens ALTER COLUMN auth_time SET NOT NULL`);
  }
}

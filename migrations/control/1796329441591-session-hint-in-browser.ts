import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The tenant's Okta ID token (the id_token_hint for Okta's logout) now stays in the user's browser, sealed, in a
 * cookie sent only to /oauth2/logout; sessions start when the app redeems the sign-in's code. The column that
 * held it is gone, and any copies with it.
 */
export class SessionHintInBrowser1796329441591 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE sso_sessions DROP COLUMN upstream_id_token`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE sso_sessions ADD COLUMN upstream_id_token jsonb`);
  }
}

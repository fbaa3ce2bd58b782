import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A token someone issues themselves records the credential they issued it with (`parent_id`, as a console session
 * already records the token it was opened with): it expires no later than that credential, and revoking that
 * credential revokes it too (src/admin-auth/admin-credentials.service.ts). So an API token may now have a parent;
 * a session still must. The index serves the revocation, which follows parents down to every descendant.
 */
export class AdminCredentialParents1796372418000 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE admin_credentials DROP CONSTRAINT admin_credentials_check;
      ALTER TABLE admin_credentials ADD CONSTRAINT admin_credentials_session_parent CHECK (kind = 'api-token' OR parent_id IS NOT NULL);
      CREATE INDEX admin_credentials_parent ON admin_credentials (parent_id) WHERE parent_id IS NOT NULL;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP INDEX admin_credentials_parent;
      UPDATE admin_credentials SET parent_id = NULL WHERE kind = 'api-token';
      ALTER TABLE admin_credentials DROP CONSTRAINT admin_credentials_session_parent;
      ALTER TABLE admin_credentials ADD CONSTRAINT admin_credentials_check CHECK ((kind = 'session') = (parent_id IS NOT NULL));
    `);
  }
}

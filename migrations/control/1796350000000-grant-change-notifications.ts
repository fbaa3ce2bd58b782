import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Every instance caches grant state for the API (src/api/api-state-cache.ts) and must hear at once when a
 * grant is revoked, shortened or deleted: a trigger notifies `g:<grant id>` on channel iqsso_changes
 * (src/database/change-feed.ts). Postgres delivers it at commit, to every listening instance.
 */
export class GrantChangeNotifications1796350000000 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION iqsso_notify_grant_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('iqsso_changes', 'g:' || OLD.id);
        RETURN NULL;
      END $$;
      CREATE TRIGGER token_grants_changed AFTER UPDATE ON token_grants FOR EACH ROW
        WHEN (OLD.revoked_at IS DISTINCT FROM NEW.revoked_at OR OLD.expires_at IS DISTINCT FROM NEW.expires_at)
        EXECUTE FUNCTION iqsso_notify_grant_change();
      CREATE TRIGGER token_grants_deleted AFTER DELETE ON token_grants FOR EACH ROW EXECUTE FUNCTION iqsso_notify_grant_change();
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER token_grants_deleted ON token_grants; DROP TRIGGER token_grants_changed ON token_grants; DROP FUNCTION iqsso_notify_grant_change();`);
  }
}

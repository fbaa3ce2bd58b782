import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Every instance caches the production users the API shows (src/api/api-state-cache.ts) and must hear at once
 * when one changes: a trigger notifies `u:<user id>:<tenant id>` on channel iqsso_changes
 * (src/database/change-feed.ts), delivered at commit to every listening instance.
 * - users: any update except the sign-in bookkeeping columns (an unchanged sign-in only sets last_login_at and
 *   notifies nobody: the common sign-in stays free of it), and deletes;
 * - user_locations: updates and deletes, including those cascaded from a company-tree location removed. Inserts
 *   need no trigger: a new user was never cached, and an existing user's new assignment bumps its row
 *   (locations_rev, updated_at), which the users trigger reports.
 * Training databases get the same triggers; nobody listens there (training users are not cached).
 */
export class UserChangeNotifications1796350000100 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION iqsso_notify_user_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_TABLE_NAME = 'users' THEN
          PERFORM pg_notify('iqsso_changes', 'u:' || OLD.id || ':' || OLD.tenant_id);
        ELSE
          PERFORM pg_notify('iqsso_changes', 'u:' || OLD.user_id || ':' || OLD.tenant_id);
        END IF;
        RETURN NULL;
      END $$;
      CREATE TRIGGER users_changed AFTER UPDATE ON users FOR EACH ROW
        WHEN ((to_jsonb(OLD) - 'last_login_at' - 'unseen_flagged_at') IS DISTINCT FROM (to_jsonb(NEW) - 'last_login_at' - 'unseen_flagged_at'))
        EXECUTE FUNCTION iqsso_notify_user_change();
      CREATE TRIGGER users_deleted AFTER DELETE ON users FOR EACH ROW EXECUTE FUNCTION iqsso_notify_user_change();
      CREATE TRIGGER user_locations_changed AFTER UPDATE OR DELETE ON user_locations FOR EACH ROW EXECUTE FUNCTION iqsso_notify_user_change();
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TRIGGER user_locations_changed ON user_locations; DROP TRIGGER users_deleted ON users; DROP TRIGGER users_changed ON users;
      DROP FUNCTION iqsso_notify_user_change();
    `);
  }
}

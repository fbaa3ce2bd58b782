import type { MigrationInterface, QueryRunner } from 'typeorm';

const fields: Array<[string, string]> = [
  ['username', 'username'], ['first_name', 'firstName'], ['last_name', 'lastName'], ['security_role', 'securityRole'],
  ['email', 'email'], ['email_display_name', 'emailDisplayName'], ['home_phone', 'homePhone'], ['cell_phone', 'cellPhone'],
  ['organizational_role_id', 'organizationalRoleId'], ['supervisor_username', 'supervisor'], ['id_number', 'idNumber'],
  ['commission_group_id', 'commissionGroupId'], ['commission_type', 'commissionType'],
];
const rename = (col: string, from: 'c' | 'f') =>
  `ARRAY(SELECT CASE x ${fields.map(([c, f]) => (from === 'c' ? `WHEN '${c}' THEN '${f}'` : `WHEN '${f}' THEN '${c}'`)).join(' ')} ELSE x END FROM unnest(${col}) AS x)`;

/**
 * Provenance, as the admin API speaks it:
 * - idp_fields / manual_fields name fields by their API names (firstName, custom.Region), not columns;
 * - excluded_locations: locations an account manager unassigned by hand, which sign-in does not re-add;
 * - locations_rev: bumped whenever a user's assignments change, so the one-statement sign-in can tell that a
 *   concurrent writer changed them after its snapshot (and run again) instead of acting on a stale set;
 * - user_locations.assigned_by: who assigned a location by hand.
 */
export class Provenance1796320967286 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      UPDATE users SET idp_fields = ${rename('idp_fields', 'c')}, manual_fields = ${rename('manual_fields', 'c')};
      ALTER TABLE users ADD COLUMN excluded_locations text[] NOT NULL DEFAULT '{}';
      ALTER TABLE users ADD COLUMN locations_rev integer NOT NULL DEFAULT 0;
      ALTER TABLE user_locations ADD COLUMN assigned_by text;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE user_locations DROP COLUMN assigned_by;
      ALTER TABLE users DROP COLUMN locations_rev, DROP COLUMN excluded_locations;
      UPDATE users SET idp_fields = ${rename('idp_fields', 'f')}, manual_fields = ${rename('manual_fields', 'f')};
    `);
  }
}

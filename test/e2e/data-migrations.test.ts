import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { FieldNamesFromDocument1796360000000 } from '../../migrations/control/1796360000000-field-names-from-document.js';
import { ClientIntrospection1796360000100 } from '../../migrations/control/1796360000100-client-introspection.js';
import { openDatabase } from '../../src/database/data-source.js';
import { type TestDatabase, createTestDatabase } from '../support/test-database.js';

/** Migrations that change what stored rows say, run over rows an earlier release wrote. */
describe('data migrations', () => {
  let db: TestDatabase;
  let ds: DataSource;
  const before = {
    problems: [
      { field: 'domains[1]', reason: 'a' },
      { field: 'clientSecret', reason: 'b' },
      { field: 'okta.issuer', reason: 'c' },
      { field: 'config.okta.scopes', reason: 'd' },
      { field: 'slug', reason: 'e' },
      { field: 42, reason: 'not a string: left alone' },
    ],
    warnings: [{ field: 'roles.map["Store Manager"]', reason: 'f' }],
    ok: false,
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    ds = await openDatabase(db.url, 'control', 2);
    const [{ id }] = await db.query<{ id: string }>(`INSERT INTO tenants (slug, name) VALUES ('old', 'Old') RETURNING id`);
    await db.query(
      `INSERT INTO tenant_config_versions (tenant_id, version, config, status, author, check_result, warnings) VALUES
         ($1, 1, '{}', 'draft', 'x', $2, $3), ($1, 2, '{}', 'draft', 'x', NULL, '[]')`,
      [id, JSON.stringify(before), JSON.stringify(before.warnings)],
    );
  });
  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  const stored = () => db.query<{ version: number; check_result: unknown; warnings: unknown }>(`SELECT version, check_result, warnings FROM tenant_config_versions ORDER BY version`);

  it('FieldNamesFromDocument: renames every stored field into the document (field-path.ts), in order, and back down', async () => {
    const runner = ds.createQueryRunner();
    try {
      await new FieldNamesFromDocument1796360000000().up(runner);
      const after = {
        ok: false,
        problems: [
          { field: 'config.domains[1]', reason: 'a' },
          { field: 'config.okta.clientSecretId', reason: 'b' },
          { field: 'config.okta.issuer', reason: 'c' },
          { field: 'config.okta.scopes', reason: 'd' },
          { field: 'slug', reason: 'e' },
          { field: 42, reason: 'not a string: left alone' },
        ],
        warnings: [{ field: 'config.roles.map["Store Manager"]', reason: 'f' }],
      };
      expect(await stored()).toEqual([
        { version: 1, check_result: after, warnings: after.warnings },
        { version: 2, check_result: null, warnings: [] },
      ]);
      await new FieldNamesFromDocument1796360000000().down(runner);
      const [v1] = await stored();
      expect(v1!.warnings).toEqual(before.warnings);
      expect((v1!.check_result as typeof before).problems.map((p) => p.field)).toEqual(['domains[1]', 'clientSecret', 'okta.issuer', 'okta.scopes', 'slug', 42]);
    } finally {
      await runner.release();
    }
  });

  it('ClientIntrospection: confidential clients registered before it keep introspection, except password-grant ones (a secret on every till); public ones never have it', async () => {
    const runner = ds.createQueryRunner();
    try {
      await new ClientIntrospection1796360000100().down(runner);
      await db.query(`INSERT INTO oauth_clients (client_id, name, client_type, secret_hash, redirect_uris, post_logout_redirect_uris, grant_types, environment) VALUES
        ('old-rs', 'RS', 'confidential', 'x', '{https://rs.example.com/cb}', '{}', '{authorization_code}', 'production'),
        ('old-pos', 'POS', 'confidential', 'x', '{https://pos.example.com/cb}', '{}', '{password,refresh_token}', 'production'),
        ('old-spa', 'SPA', 'public', NULL, '{https://spa.example.com/cb}', '{}', '{authorization_code}', 'production')`);
      await new ClientIntrospection1796360000100().up(runner);
      expect(await db.query(`SELECT client_id, may_introspect FROM oauth_clients WHERE client_id LIKE 'old-%' ORDER BY client_id`)).toEqual([
        { client_id: 'old-pos', may_introspect: false },
        { client_id: 'old-rs', may_introspect: true },
        { client_id: 'old-spa', may_introspect: false },
      ]);
      await expect(db.query(`UPDATE oauth_clients SET may_introspect = true WHERE client_id = 'old-spa'`)).rejects.toThrow(/oauth_clients_introspection_confidential/);
      await expect(db.query(`UPDATE oauth_clients SET may_introspect = true WHERE client_id = 'old-pos'`)).rejects.toThrow(/oauth_clients_introspection_no_password/);
    } finally {
      await runner.release();
    }
  });
});

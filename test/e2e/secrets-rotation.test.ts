import { createDecipheriv } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as oidc from 'openid-client';
import { startService, TEST_SECRETS_KEYS } from '../support/service.js';
import { TEST_SECRETS_KEY_2 } from '../support/secrets.mjs';
import { OKTA_CLIENT_SECRET, World } from '../support/world.js';

/**
 * Rotating the secrets keyring (SECRETS_KEYS) over real restarts of the service on one database: values sealed
 * under the old key still open once a new key is put first, new ones are sealed under the new key, the
 * operators' reseal moves everything to the new key (idempotent, counts only, in the admin action log), and
 * then the old key can go. A value under a key that is missing gives a clear error, never a 500.
 */
describe('secrets keyring rotation', () => {
  let w: World;
  let app: oidc.Configuration;
  let port: string;
  const bob = { login: 'bob@kentel.com', password: 'B0b-pass' };
  const OLD = TEST_SECRETS_KEYS.split(':')[0]!; // test1
  const NEW = TEST_SECRETS_KEY_2.split(':')[0]!; // test2
  const TRAINING_URL = 'postgres://trainer:not-a-real-password@127.0.0.1:1/kentel_training';
  /** Every sealed tenant secret opened here, with the given keyring entry (AES-256-GCM, the service's additional data). */
  const openTenantSecrets = async (entry: string) => {
    const [id, b64] = entry.split(':') as [string, string];
    const rows = await w.db.query<{ tenant_id: string; purpose: string; key_id: string; iv: Buffer; ciphertext: Buffer; tag: Buffer }>(
      `SELECT tenant_id, purpose, key_id, iv, ciphertext, tag FROM tenant_secrets WHERE ciphertext IS NOT NULL ORDER BY created_at`);
    return rows.map((r) => {
      expect(r.key_id).toBe(id);
      const d = createDecipheriv('aes-256-gcm', Buffer.from(b64, 'base64'), r.iv);
      d.setAAD(Buffer.from(r.purpose === 'client-secret' ? `tenant-client-secret:${r.tenant_id}` : `tenant-training-database-url:${r.tenant_id}`));
      d.setAuthTag(r.tag);
      return Buffer.concat([d.update(r.ciphertext), d.final()]).toString('utf8');
    });
  };

  beforeAll(async () => {
    w = await World.start();
    port = new URL(w.service.url).port;
    // A training database named by URL: sealed like the client secret (enabled: false, so nothing connects to it).
    const kentel = await w.addTenant('kentel', ['kentel.com'], { training: { enabled: false, database: 'url' } }, { trainingDatabaseUrl: TRAINING_URL });
    await w.addApp('hub');
    kentel.authServer.setUser(bob.login, { password: bob.password, sub: '00uBOB000001', claims: { userName: bob.login, name: 'Bob', family_name: 'Baker', email: bob.login, security_group_name: 'Associate' } });
  });
  afterAll(() => w?.close());

  /** The service again on the same port and database (Okta knows its callback), with another keyring. */
  async function restartWith(keyring: string) {
    await w.service.close();
    w.service = await startService(w.db.url, { PORT: port, SECRETS_KEYS: keyring });
    app = await w.app('hub');
  }
  async function signsIn() {
    const r = await w.signIn(app, bob);
    expect(r).toHaveProperty('tokens');
    expect((await w.me(app, (r as { tokens: { access_token: string } }).tokens.access_token)).status).toBe(200);
  }
  const keyIds = () => w.db.query<{ kind: string; key_id: string }>(
    `SELECT 'secret' AS kind, key_id FROM tenant_secrets WHERE ciphertext IS NOT NULL UNION ALL SELECT 'signing', private_jwk->>'keyId' FROM signing_keys ORDER BY 1, 2`,
  );

  it('a secret sealed under the old key still opens with the new key first; new secrets are sealed under the new key', async () => {
    app = await w.app('hub');
    await signsIn();
    expect(await keyIds()).toEqual([{ kind: 'secret', key_id: OLD }, { kind: 'secret', key_id: OLD }, { kind: 'signing', key_id: OLD }]);

    await restartWith(`${TEST_SECRETS_KEY_2},${TEST_SECRETS_KEYS}`);
    await signsIn(); // the client secret and the signing key, both sealed under test1, open
    const staged = await w.service.admin('POST', '/admin/tenants/kentel/secrets', { clientSecret: OKTA_CLIENT_SECRET, label: 'after rotation' });
    expect(staged.status).toBe(201);
    const [row] = await w.db.query<{ key_id: string }>(`SELECT key_id FROM tenant_secrets WHERE id = $1`, [staged.body.id]);
    expect(row!.key_id).toBe(NEW);
  });

  it('only operators may reseal', async () => {
    const p = await w.service.admin('POST', '/admin/principals', { name: 'Mia Manager', role: 'manager', tenants: ['kentel'] });
    const c = await w.service.admin('POST', `/admin/principals/${p.body.id}/credentials`, { label: 'laptop', expiresInDays: 30 });
    const res = await fetch(`${w.service.url}/admin/secrets/reseal`, { method: 'POST', headers: { authorization: `Bearer ${c.body.token}` } });
    expect(res.status).toBe(403);
    expect(await keyIds()).toContainEqual({ kind: 'secret', key_id: OLD });
  });

  it('the reseal moves every sealed value to the new key in batches, reports counts per key id (never values), and is idempotent', async () => {
    const res = await w.service.admin('POST', '/admin/secrets/reseal', { batchSize: 1 });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      activeKeyId: NEW,
      keyring: [NEW, OLD],
      before: { clientSecrets: { [OLD]: 1, [NEW]: 1 }, trainingDatabaseUrls: { [OLD]: 1 }, signingKeys: { [OLD]: 1 } },
      after: { clientSecrets: { [NEW]: 2 }, trainingDatabaseUrls: { [NEW]: 1 }, signingKeys: { [NEW]: 1 } },
      resealed: { clientSecrets: 1, trainingDatabaseUrls: 1, signingKeys: 1 },
      remaining: 0,
    });
    expect(JSON.stringify(res.body)).not.toContain(OKTA_CLIENT_SECRET);
    expect(JSON.stringify(res.body)).not.toContain('not-a-real-password');
    expect(await keyIds()).toEqual([{ kind: 'secret', key_id: NEW }, { kind: 'secret', key_id: NEW }, { kind: 'secret', key_id: NEW }, { kind: 'signing', key_id: NEW }]);
    // The same plaintexts under the new key, with the same additional data (so each still opens only as what it is).
    expect((await openTenantSecrets(TEST_SECRETS_KEY_2)).sort()).toEqual([OKTA_CLIENT_SECRET, OKTA_CLIENT_SECRET, TRAINING_URL].sort());

    const again = await w.service.admin('POST', '/admin/secrets/reseal');
    expect(again.body).toMatchObject({ resealed: { clientSecrets: 0, trainingDatabaseUrls: 0, signingKeys: 0 }, remaining: 0, before: res.body.after, after: res.body.after });

    const actions = await w.service.admin('GET', '/admin/actions');
    const entries = (actions.body.items as Array<Record<string, any>>).filter((a) => a.path === '/admin/secrets/reseal');
    // newest first: the idempotent run, the run that resealed, the manager's refused attempt
    expect(entries.map((a) => [a.status, a.outcome])).toEqual([[200, 'ok'], [200, 'ok'], [403, 'denied']]);
    expect(entries[1]!.detail).toMatchObject({ activeKeyId: NEW, resealed: { clientSecrets: 1, trainingDatabaseUrls: 1, signingKeys: 1 }, remaining: 0, before: res.body.before, after: res.body.after });
  });

  it('the reseal is described in the OpenAPI document like the other admin routes', async () => {
    const doc = (await (await fetch(`${w.service.url}/docs/openapi.json`)).json()) as { paths: Record<string, Record<string, { summary?: string; tags?: string[]; responses?: Record<string, unknown> }>> };
    const op = doc.paths['/admin/secrets/reseal']?.post;
    expect(op?.summary).toMatch(/^Operators only\. Re-encrypt every sealed value/);
    expect(op?.tags).toEqual(['secrets']);
    expect(Object.keys(op?.responses ?? {})).toEqual(expect.arrayContaining(['200', '409']));
  });

  it('after the reseal the old key can be removed: sign-in still works with the new key alone', async () => {
    await restartWith(TEST_SECRETS_KEY_2);
    await signsIn();
  });

  it('a value under a key missing from the keyring: a clear 409 from the reseal (nothing written) and a clear check, never a 500', async () => {
    const staged = await w.service.admin('POST', '/admin/tenants/kentel/secrets', { clientSecret: OKTA_CLIENT_SECRET, label: 'orphan' });
    await w.db.query(`UPDATE tenant_secrets SET key_id = 'gone' WHERE id = $1`, [staged.body.id]);
    const res = await w.service.admin('POST', '/admin/secrets/reseal');
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({
      detail: 'Some sealed values use a key that is not in SECRETS_KEYS, so they cannot be opened; nothing was resealed.',
      errors: [{ field: 'clientSecrets["gone"]', reason: '1 sealed value was sealed with key "gone", which is not in this instance\'s SECRETS_KEYS; add that key back (after the active one) and run the reseal again' }],
    });
    const report = await w.service.admin('POST', '/admin/tenants/kentel/troubleshoot', { clientSecretId: staged.body.id });
    expect(report.status).toBe(200);
    expect(report.body.checks.find((c: { id: string }) => c.id === 'client-authentication')).toMatchObject({
      status: 'fail',
      summary: 'The staged client secret cannot be opened: it was sealed with key "gone", which is not in SECRETS_KEYS. An operator must add that key back, then reseal (POST /admin/secrets/reseal).',
    });
  });
});

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { decodeJwt } from 'jose';
import * as oidc from 'openid-client';
import pg from 'pg';
import { directoryMigrations } from '../../migrations/index.js';
import { DirectoryDatabases } from '../../src/database/directory-databases.js';
import { managedDatabaseName } from '../../src/database/managed-database-name.js';
import { withDatabase } from '../support/database-urls.js';
import { APP_REDIRECT, type TenantSetup, World } from '../support/world.js';

/**
 * Training: the same Okta, the same flow, another directory. A training sign-in provisions into the tenant's
 * own training database (here the default: one the service creates and migrates), audits in production with
 * environment = training, and gets tokens that production endpoints refuse (and the other way round).
 */
describe('training sign-in', () => {
  let w: World;
  let kentel: TenantSetup;
  let plain: TenantSetup;
  let hub: oidc.Configuration;
  let hubTraining: oidc.Configuration;
  let trainingDb: pg.Pool;
  let trainingDbName: string;
  const alice = { login: 'alice@kentel.com', password: 'Al1ce-pass' };

  beforeAll(async () => {
    w = await World.start({ TRAINING_POOL_SIZE: '2' });
    kentel = await w.addTenant('kentel', ['kentel.com'], {
      okta: { passwordGrant: true },
      training: {
        enabled: true,
        // The training company tree differs: LOC-1 is TRN-1 there, and trainees get a trainee role.
        roles: { map: { 'Store Manager': 'RQ-Trainee' } },
        locations: { map: { 'LOC-1': 'TRN-1' } },
      },
    });
    plain = await w.addTenant('plain', ['plain.com']);
    await w.addLocations('kentel', ['LOC-1', 'LOC-2']);
    const loaded = await w.service.admin('PUT', '/admin/tenants/kentel/training/locations', { locations: [{ externalId: 'TRN-1', name: 'Training store' }, { externalId: 'LOC-2', name: 'Store 2' }] });
    expect(loaded).toMatchObject({ status: 200, body: { added: ['LOC-2', 'TRN-1'], changed: [], rejected: [] } });
    await w.addApp('hub');
    await w.addApp('hub-training', { environment: 'training' });
    hub = await w.app('hub');
    hubTraining = await w.app('hub-training');
    kentel.authServer.setUser(alice.login, {
      password: alice.password,
      sub: '00uALICE0001',
      claims: { userName: 'alice@kentel.com', name: 'Alice', family_name: 'Archer', email: 'alice@kentel.com', security_group_name: 'Store Manager', assigned_entity_client_entity_ids: ['LOC-1', 'LOC-2'] },
    });
    plain.authServer.setUser('bob@plain.com', { password: 'B0b', sub: '00uBOB', claims: { userName: 'bob@plain.com', security_group_name: 'Associate' } });
    const tenant = await w.service.admin('GET', '/admin/tenants/kentel');
    trainingDbName = managedDatabaseName(w.db.name, tenant.body.id);
    trainingDb = new pg.Pool({ connectionString: withDatabase(trainingDbName), max: 2 });
  });
  afterAll(async () => {
    await trainingDb?.end();
    await w?.close();
  });

  it('one person in production and in training: two users in two databases, two audits, and each token refused by the other API', async () => {
    const prod = (await w.signIn(hub, alice)) as { tokens: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers };
    const train = (await w.signIn(hub, alice, { environment: 'training' })) as typeof prod;
    expect(prod.tokens).toBeDefined();
    expect(train.tokens).toBeDefined();

    expect(decodeJwt(prod.tokens.access_token)).toMatchObject({ aud: 'urn:iqmetrix:api', env: 'production' });
    expect(decodeJwt(train.tokens.access_token)).toMatchObject({ aud: 'urn:iqmetrix:api:training', env: 'training', tenant: 'kentel', role: 'RQ-Trainee' });
    expect(train.tokens.claims()).toMatchObject({ env: 'training', tenant: 'kentel' });

    const prodMe = (await w.me(hub, prod.tokens.access_token)) as { status: number; body: any };
    expect(prodMe).toMatchObject({ status: 200, body: { environment: 'production', securityRole: 'RQ-StoreManager', locations: ['LOC-1', 'LOC-2'] } });
    const trainMe = await w.bearer('/v1/training/me', train.tokens.access_token);
    expect(trainMe).toMatchObject({ status: 200, body: { environment: 'training', username: 'alice@kentel.com', securityRole: 'RQ-Trainee', locations: ['LOC-2', 'TRN-1'] } });
    // The training userinfo answers POST as GET (OIDC Core §5.3.1), and refuses a production token the same way.
    const trainPost = await fetch(`${w.service.url}/v1/training/me`, { method: 'POST', headers: { authorization: `bearer ${train.tokens.access_token}` } });
    expect({ status: trainPost.status, body: await trainPost.json() }).toEqual({ status: 200, body: trainMe.body });
    const wrongPost = await fetch(`${w.service.url}/v1/training/me`, { method: 'POST', headers: { authorization: `Bearer ${prod.tokens.access_token}` } });
    expect([wrongPost.status, ((await wrongPost.json()) as { detail: string }).detail]).toEqual([401, 'The access token is not for the training API.']);

    // A production-only REST call with the training token, and the training one with the production token.
    const wrong = await w.bearer('/v1/me', train.tokens.access_token);
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
    expect(wrong.body.detail).toBe('The access token is not for the production API.');
    const wrongWay = await w.bearer('/v1/training/me', prod.tokens.access_token);
    expect(wrongWay.status).toBe(401);
    expect(wrongWay.body.detail).toBe('The access token is not for the training API.');

    // Two users, in two databases, with different ids.
    const inProduction = await w.db.query<{ id: string }>(`SELECT id FROM users WHERE subject = '00uALICE0001'`);
    const inTraining = (await trainingDb.query(`SELECT id, security_role FROM users WHERE subject = '00uALICE0001'`)).rows;
    expect(inProduction.map((u) => u.id)).toEqual([prodMe.body.sub]);
    expect(inTraining).toEqual([{ id: trainMe.body.sub, security_role: 'RQ-Trainee' }]);
    expect(trainMe.body.sub).not.toBe(prodMe.body.sub);
    expect(await w.db.query(`SELECT 1 FROM users WHERE id = $1`, [trainMe.body.sub])).toHaveLength(0);

    // Two audit rows, both in production, each marked with its environment.
    const audits = await w.audits('kentel');
    expect(audits.map((a) => [a.environment, a.outcome, a.source, a.user_id])).toEqual([
      ['production', 'created', 'sign-in', prodMe.body.sub],
      ['training', 'created', 'sign-in', trainMe.body.sub],
    ]);
    expect(audits[1]!.changes.locations).toEqual({ added: ['LOC-2', 'TRN-1'], removed: [] });

    // The training database holds the directory schema only, migrated by the service.
    const tables = (await trainingDb.query(`SELECT to_regclass('users') AS users, to_regclass('tenants') AS tenants, to_regclass('provisioning_audit') AS audit`)).rows[0];
    expect(tables).toEqual({ users: 'users', tenants: null, audit: null });
  });

  it('a training client signs in to training without asking, can refresh within training, and cannot ask for production', async () => {
    const r = (await w.signIn(hubTraining, alice)) as { tokens: oidc.TokenEndpointResponse };
    expect(decodeJwt(r.tokens.access_token)).toMatchObject({ aud: 'urn:iqmetrix:api:training', env: 'training', client_id: 'hub-training' });
    const refreshed = await oidc.refreshTokenGrant(hubTraining, r.tokens.refresh_token!);
    expect(decodeJwt(refreshed.access_token)).toMatchObject({ aud: 'urn:iqmetrix:api:training', env: 'training' });
    expect((await w.bearer('/v1/training/me', refreshed.access_token)).status).toBe(200);

    const asked = await w.signIn(hubTraining, alice, { environment: 'production' });
    expect(asked).toMatchObject({ error: 'invalid_request', description: 'This application is registered for training; it cannot ask for a production sign-in.' });
    const bogus = await w.signIn(hub, alice, { environment: 'staging' });
    expect(bogus).toMatchObject({ error: 'invalid_request', description: 'environment must be production or training.' });
  });

  it('a training sign-in for a tenant without training ends before Okta, with a clear error and an unchanged production', async () => {
    plain.authServer.clearRequests();
    const r = await w.signIn(hub, { login: 'bob@plain.com', password: 'B0b' }, { environment: 'training' });
    expect(r).toMatchObject({ error: 'access_denied', description: 'Training sign-in is not enabled for this organization.' });
    expect(plain.authServer.requestsTo('authorize')).toHaveLength(0);
    expect((await w.signIn(hub, { login: 'bob@plain.com', password: 'B0b' })).error).toBeUndefined();
  });

  it('credential forwarding from a training client provisions into training only', async () => {
    const pos = await w.addApp('pos-training', { type: 'confidential', grantTypes: ['password', 'refresh_token'], environment: 'training' });
    kentel.authServer.setUser('carol@kentel.com', { password: 'C4rol-pass', sub: '00uCAROL', claims: { userName: 'carol@kentel.com', security_group_name: 'Store Manager', assigned_entity_client_entity_ids: 'LOC-1' } });
    const r = await w.passwordGrant(pos, 'carol@kentel.com', 'C4rol-pass');
    expect(r.status).toBe(200);
    expect(decodeJwt(r.body.access_token)).toMatchObject({ aud: 'urn:iqmetrix:api:training', env: 'training', locations: ['TRN-1'] });
    expect(await w.db.query(`SELECT 1 FROM users WHERE subject = '00uCAROL'`)).toHaveLength(0);
    expect((await trainingDb.query(`SELECT username FROM users WHERE subject = '00uCAROL'`)).rows).toEqual([{ username: 'carol@kentel.com' }]);
    const audits = await w.audits('kentel');
    expect(audits[audits.length - 1]).toMatchObject({ environment: 'training', source: 'password', outcome: 'created' });
  });

  it('translates location identifiers by the training map\'s own keys only: "constructor" is no key of it, and stays itself', async () => {
    kentel.authServer.setUser('ned@kentel.com', { password: 'N3d-pass', sub: '00uNED0001', claims: { userName: 'ned@kentel.com', name: 'Ned', email: 'ned@kentel.com', security_group_name: 'Store Manager', assigned_entity_client_entity_ids: ['LOC-1', 'constructor', 'toString'] } });
    const r = await w.signIn(hub, { login: 'ned@kentel.com', password: 'N3d-pass' }, { environment: 'training' });
    expect(r.error).toBe('access_denied');
    const audit = (await w.audits('kentel')).at(-1)!;
    expect([audit.environment, audit.outcome, audit.reasons]).toEqual(['training', 'refused', [{ field: 'locations', reason: 'unknown External Node Identifiers (not in this tenant\'s company tree): constructor, toString' }]]);
  });

  it('training pools are bounded per tenant, closed when idle and when the configuration changes', async () => {
    const directories = w.service.app.get(DirectoryDatabases);
    const tenantId = (await w.service.admin('GET', '/admin/tenants/kentel')).body.id;
    const train = (await w.signIn(hub, alice, { environment: 'training' })) as { tokens: oidc.TokenEndpointResponse };
    await Promise.all(Array.from({ length: 10 }, () => w.bearer('/v1/training/me', train.tokens.access_token)));
    expect(directories.openPools()).toEqual([expect.objectContaining({ tenantId, maxConnections: 2 })]);
    expect(await trainingConnections()).toBeLessThanOrEqual(2);

    expect(await directories.closeIdle(60_000)).toBe(0); // just used: stays open
    expect(await directories.closeIdle(0)).toBe(1);
    expect(directories.openPools()).toEqual([]);
    expect(await eventually(trainingConnections, 0)).toBe(0);

    // Reopened on next use; a configuration that turns training off closes it at once.
    expect((await w.bearer('/v1/training/me', train.tokens.access_token)).status).toBe(200);
    expect(directories.openPools()).toHaveLength(1);
    const config = await w.configOf('kentel');
    await w.putConfig('kentel', { ...config, training: { ...config.training, enabled: false } });
    expect(directories.openPools()).toEqual([]);
    expect(await eventually(trainingConnections, 0)).toBe(0);
    const refused = await w.bearer('/v1/training/me', train.tokens.access_token);
    expect(refused).toMatchObject({ status: 401, body: { error: 'invalid_token', detail: 'Training sign-in is not enabled for this organization.' } });
    await w.putConfig('kentel', config);
    expect((await w.bearer('/v1/training/me', train.tokens.access_token)).status).toBe(200);
  });

  it('turning training off refuses training tokens and codes in RFC terms without using them up: once it is back on they work', async () => {
    const signedIn = (await w.signIn(hub, alice, { environment: 'training' })) as { tokens: oidc.TokenEndpointResponse };
    const pending = await w.startSignIn(hub, alice, { environment: 'training' });
    const exchange = () => w.tokenRequest({ clientId: 'hub' }, { grant_type: 'authorization_code', code: pending.callback!.searchParams.get('code')!, redirect_uri: APP_REDIRECT, code_verifier: pending.verifier });
    const refresh = () => w.tokenRequest({ clientId: 'hub' }, { grant_type: 'refresh_token', refresh_token: signedIn.tokens.refresh_token! });
    const pos = await w.addApp('pos-training-off', { type: 'confidential', grantTypes: ['password'], environment: 'training' });
    const config = await w.configOf('kentel');
    await w.putConfig('kentel', { ...config, training: { ...config.training, enabled: false } });
    try {
      const description = 'Training sign-in is not enabled for this organization.';
      // The token endpoint (RFC 6749 §5.2 has no access_denied): the grant cannot be used now.
      for (let attempt = 1; attempt <= 2; attempt++) {
        const refused = await refresh();
        expect({ attempt, status: refused.status, body: refused.body }).toEqual({ attempt, status: 400, body: { error: 'invalid_grant', error_description: description } });
      }
      const code = await exchange();
      expect([code.status, code.body]).toEqual([400, { error: 'invalid_grant', error_description: description }]);
      const password = await w.passwordGrant(pos, alice.login, alice.password);
      expect([password.status, password.body]).toEqual([400, { error: 'invalid_grant', error_description: description }]);
      // The Bearer API (RFC 6750 §3.1 has no access_denied either): a token that no longer stands.
      for (const path of ['/v1/training/me', '/oauth2/userinfo']) {
        const api = await w.bearer(path, signedIn.tokens.access_token);
        expect({ path, status: api.status, challenge: api.headers.get('www-authenticate'), error: api.body.error, detail: api.body.detail })
          .toEqual({ path, status: 401, challenge: `Bearer realm="api", error="invalid_token", error_description="${description}"`, error: 'invalid_token', detail: description });
      }
    } finally {
      await w.putConfig('kentel', config);
    }
    // The same refresh token (not used, so no reuse, no revoked family) and the same code.
    const refreshed = await refresh();
    expect([refreshed.status, decodeJwt(refreshed.body.access_token).env]).toEqual([200, 'training']);
    expect((await w.bearer('/v1/training/me', refreshed.body.access_token)).status).toBe(200);
    const exchanged = await exchange();
    expect([exchanged.status, decodeJwt(exchanged.body.access_token).env]).toEqual([200, 'training']);
  });

  it('account managers see the training status, its tree, and can reset its users without touching production', async () => {
    const status = await w.service.admin('GET', '/admin/tenants/kentel/training');
    expect(status).toMatchObject({ status: 200, body: { enabled: true, database: 'managed', status: 'available', users: 2, locations: 2, schema: directoryMigrations[directoryMigrations.length - 1]!.name } });
    expect(await w.service.admin('GET', '/admin/tenants/plain/training')).toMatchObject({ status: 200, body: { enabled: false, status: 'disabled' } });
    const copy = await w.service.admin('PUT', '/admin/tenants/plain/training/locations', { copyFromProduction: true });
    expect(copy).toMatchObject({ status: 409, body: { detail: expect.stringMatching(/Training is not enabled for this tenant/) } });

    // Saving a training role mapping that maps nothing is allowed, with a warning.
    const config = await w.configOf('kentel');
    const saved = await w.putConfig('kentel', { ...config, training: { ...config.training, roles: { map: {} } } });
    expect(saved.warnings).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'config.training.roles' })]));
    await w.putConfig('kentel', config);

    const reset = await w.service.admin('DELETE', '/admin/tenants/kentel/training/users');
    expect(reset).toMatchObject({ status: 200, body: { deleted: 2 } });
    expect((await trainingDb.query(`SELECT count(*)::int AS n FROM users`)).rows[0].n).toBe(0);
    expect((await trainingDb.query(`SELECT count(*)::int AS n FROM locations`)).rows[0].n).toBe(2);
    expect(await w.db.query(`SELECT 1 FROM users WHERE subject = '00uALICE0001'`)).toHaveLength(1);

    // The training tree is its own: loaded like production's (here CSV), or copied from it once on request.
    const csv = await w.service.admin('PUT', '/admin/tenants/kentel/training/locations', 'externalId,name,parentExternalId\nTRN-2,Training store 2,TRN-1\n', { 'content-type': 'text/csv' });
    expect(csv).toMatchObject({ status: 200, body: { added: ['TRN-2'], changed: [], rejected: [] } });
    const copied = await w.service.admin('PUT', '/admin/tenants/kentel/training/locations', { copyFromProduction: true });
    expect(copied).toMatchObject({ status: 200, body: { added: ['LOC-1'], changed: ['LOC-2'], rejected: [] } });
    expect((await w.service.admin('GET', '/admin/tenants/kentel/training/locations')).body.map((l: { externalId: string }) => l.externalId)).toEqual(['LOC-1', 'LOC-2', 'TRN-1', 'TRN-2']);
    expect((await w.service.admin('GET', '/admin/tenants/kentel/locations')).body.map((l: { externalId: string }) => l.externalId)).toEqual(['LOC-1', 'LOC-2']);

    // What GET lists (roots with parentExternalId null) loads back unchanged.
    const listed = (await w.service.admin('GET', '/admin/tenants/kentel/training/locations')).body as Array<{ parentExternalId: string | null }>;
    expect(listed.filter((l) => l.parentExternalId === null)).toHaveLength(3);
    const back = await w.service.admin('PUT', '/admin/tenants/kentel/training/locations', { locations: listed });
    expect([back.status, back.body]).toEqual([200, { added: [], changed: [], unchanged: 4, rejected: [] }]);
    expect((await w.service.admin('GET', '/admin/tenants/kentel/training/locations')).body).toEqual(listed);
  });

  async function trainingConnections(): Promise<number> {
    const rows = await w.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND application_name = 'iqsso-training'`, [trainingDbName]);
    return rows[0]!.n;
  }
});

/** Polls until `read` gives `want` (a server-side disconnect shows in pg_stat_activity a moment later), at most ~5 s. */
async function eventually<T>(read: () => Promise<T>, want: T): Promise<T> {
  let last = await read();
  for (let i = 0; i < 50 && last !== want; i++) {
    await new Promise((r) => setTimeout(r, 100));
    last = await read();
  }
  return last;
}

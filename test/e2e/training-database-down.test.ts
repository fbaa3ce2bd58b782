import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { decodeJwt } from 'jose';
import * as oidc from 'openid-client';
import pg from 'pg';
import { directoryMigrations } from '../../migrations/index.js';
import { Browser } from '../../tools/browser.js';
import { startSecondPostgres, type SecondPostgres } from '../support/second-postgres.js';
import { APP_REDIRECT, type TenantSetup, World } from '../support/world.js';

type Tokens = { tokens: oidc.TokenEndpointResponse };

/**
 * A tenant's training database on its own Postgres server (named by a connection URL), which the test stops
 * for real: training sign-ins fail with a clear, retryable error, production carries on, nothing crashes,
 * and training works again as soon as the server is back.
 */
describe('training database on another server, stopped', () => {
  let w: World;
  let pg2: SecondPostgres;
  let kentel: TenantSetup;
  let hub: oidc.Configuration;
  const alice = { login: 'alice@kentel.com', password: 'Al1ce-pass' };
  /** A training refresh token refused while the server is stopped: it must still work once it is back. */
  let refusedRefresh: string;

  beforeAll(async () => {
    pg2 = await startSecondPostgres(['rq_training']);
    w = await World.start();
    kentel = await w.addTenant('kentel', ['kentel.com'], { training: { enabled: true, database: 'url' } }, { trainingDatabaseUrl: pg2.url('rq_training') });
    await w.addLocations('kentel', ['LOC-1']);
    await w.addApp('hub');
    hub = await w.app('hub');
    kentel.authServer.setUser(alice.login, {
      password: alice.password, sub: '00uALICE0001',
      claims: { userName: 'alice@kentel.com', name: 'Alice', security_group_name: 'Associate', assigned_entity_client_entity_ids: [] },
    });
  });
  afterAll(async () => {
    await w?.close();
    await pg2?.dispose();
  });

  it('keeps the connection URL write-only: where it points is shown, never its credentials', async () => {
    const res = await w.service.admin('GET', '/admin/tenants/kentel');
    expect(res.body.config.training).toEqual({ enabled: true, database: 'url', databaseTarget: `127.0.0.1:${pg2.port}/rq_training`, databaseUrl: { set: true } });
    expect(JSON.stringify(res.body)).not.toContain('pg2-secret-pw');
    const versions = await w.db.query<{ config: string }>(`SELECT config::text FROM tenant_config_versions`);
    expect(versions.map((v) => v.config).join()).not.toContain('pg2-secret-pw');
    // A configuration naming a URL database must bring the URL (or keep the saved one).
    const other = await w.service.admin('PUT', '/admin/tenants/kentel/config', { config: { ...(await w.configOf('kentel')), training: { enabled: true, database: 'managed' } }, trainingDatabaseUrl: pg2.url('x') });
    expect(other).toMatchObject({ status: 422, body: { errors: [{ field: 'trainingDatabaseUrl', reason: 'is only used when config.training.database is "url"' }] } });
  });

  it('signs in to training on the other server, migrated there on first use', async () => {
    const r = (await w.signIn(hub, alice, { environment: 'training' })) as Tokens;
    expect(decodeJwt(r.tokens.access_token)).toMatchObject({ env: 'training' });
    const direct = new pg.Client(pg2.url('rq_training'));
    await direct.connect();
    try {
      expect((await direct.query(`SELECT username FROM users`)).rows).toEqual([{ username: 'alice@kentel.com' }]);
      expect((await direct.query(`SELECT name FROM schema_migrations ORDER BY id`)).rows.map((m) => m.name)).toEqual(directoryMigrations.map((m) => m.name)); // the directory set only
    } finally {
      await direct.end();
    }
  });

  it('stopped: training sign-in fails clearly (before Okta, or at the callback), production still works', async () => {
    const before = (await w.signIn(hub, alice, { environment: 'training' })) as Tokens & { tokens: { refresh_token?: string } };
    // A training sign-in already at Okta when the server goes down: the browser stops before our callback.
    const browser = new Browser();
    const verifier = oidc.randomPKCECodeVerifier();
    const url = oidc.buildAuthorizationUrl(hub, {
      redirect_uri: APP_REDIRECT, scope: 'openid', code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
      login_hint: alice.login, environment: 'training', state: 'st-1',
    });
    const atCallback = await browser.follow(url.href, { stopAt: `${w.service.url}/oauth2/callback`, username: alice.login, password: alice.password });
    expect(atCallback.reached).toBe(true);

    await pg2.stop();

    const finished = await browser.follow(atCallback.url, { stopAt: APP_REDIRECT });
    const cb = new URL(finished.url);
    expect(cb.searchParams.get('error')).toBe('temporarily_unavailable');
    expect(cb.searchParams.get('error_description')).toBe("This organization's training database is not available right now; production sign-in is not affected. Try training again later.");
    expect(cb.searchParams.get('state')).toBe('st-1');

    // A new training sign-in ends before the user is sent to Okta.
    kentel.authServer.clearRequests();
    const refused = await w.signIn(hub, alice, { environment: 'training' });
    expect(refused).toMatchObject({ error: 'temporarily_unavailable', description: expect.stringMatching(/training database is not available/) });
    expect(kentel.authServer.requestsTo('authorize')).toHaveLength(0);

    // Production is untouched.
    const prod = (await w.signIn(hub, alice)) as Tokens;
    expect((await w.me(hub, prod.tokens.access_token)).status).toBe(200);

    // Training tokens already issued: their API and refresh answer 503, not a 500.
    const me = await w.bearer('/v1/training/me', before.tokens.access_token);
    expect(me).toMatchObject({ status: 503, body: { title: 'Service Unavailable', error: 'temporarily_unavailable' } });
    refusedRefresh = before.tokens.refresh_token!;
    for (let attempt = 1; attempt <= 2; attempt++) {
      const refresh = await w.tokenRequest({ clientId: 'hub' }, { grant_type: 'refresh_token', refresh_token: refusedRefresh });
      expect({ attempt, ...refresh }).toMatchObject({ attempt, status: 503, body: { error: 'temporarily_unavailable' } });
    }

    // Audited in production, marked training.
    const audits = await w.audits('kentel');
    const failed = audits.filter((a) => a.environment === 'training' && a.outcome === 'failed');
    expect(failed.map((a) => a.reasons[0].field)).toEqual(['trainingDatabase', 'trainingDatabase']);
    expect(audits[audits.length - 1]).toMatchObject({ environment: 'production', outcome: 'created' });
  });

  it('training works again once the server is back, without restarting the service', async () => {
    await pg2.start();
    const r = (await w.signIn(hub, alice, { environment: 'training' })) as Tokens;
    expect((await w.bearer('/v1/training/me', r.tokens.access_token)).status).toBe(200);
    // The refresh refused (503) while it was down, retried then: its token was never used, so it works now.
    const refreshed = await w.tokenRequest({ clientId: 'hub' }, { grant_type: 'refresh_token', refresh_token: refusedRefresh });
    expect([refreshed.status, decodeJwt(refreshed.body.access_token).env]).toEqual([200, 'training']);
  });
});

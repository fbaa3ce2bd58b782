import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as oidc from 'openid-client';
import { decodeJwt } from 'jose';
import pg from 'pg';
import { servableAfter } from '../../src/api/api-state-cache.js';
import { freePort, startService, type TestService } from '../support/service.js';
import { type TenantSetup, World } from '../support/world.js';

/**
 * /v1/me serves users and grant state from each instance's memory (src/api/api-state-cache.ts). These tests
 * prove that a change made through one instance — revocation, an account manager's edit, a deactivation, a
 * location removed underneath — is seen by another instance that had the old state cached, within a second
 * (Postgres NOTIFY at commit; in practice milliseconds), and that the cache recovers when its notification
 * connection is cut.
 */
describe('API state cache across instances', () => {
  let w: World;
  let kentel: TenantSetup;
  let app: oidc.Configuration;
  let b: TestService;
  let bUrl: string;
  const pat = { login: 'pat@kentel.com', password: 'Pat-pass1' };

  beforeAll(async () => {
    w = await World.start();
    kentel = await w.addTenant('kentel', ['kentel.com']);
    await w.addLocations('kentel', ['LOC-1', 'LOC-2']);
    await w.addApp('hub');
    app = await w.app('hub');
    kentel.authServer.setUser(pat.login, {
      password: pat.password, sub: '00uCACHE01',
      claims: { userName: pat.login, name: 'Pat', family_name: 'Doe', email: pat.login, security_group_name: 'Associate', assigned_entity_client_entity_ids: ['LOC-1', 'LOC-2'] },
    });
    // A second instance behind the same public URL (the issuer of the tokens), on its own port.
    const port = await freePort();
    // B keeps an entry at most 2 s (API_CACHE_TTL_S), so that the bound itself can be seen.
    b = await startService(w.db.url, { PORT: String(port), PUBLIC_URL: w.service.url, API_CACHE_TTL_S: '2' });
    bUrl = `http://127.0.0.1:${port}`;
    await waitFeedLive();
  });
  afterAll(async () => {
    await b?.close();
    await w?.close();
  });

  /** Both instances listen on the change feed (one connection each, application_name iqsso-changes). */
  async function waitFeedLive(count = 2): Promise<void> {
    for (let i = 0; i < 200; i++) {
      const rows = await w.db.query(`SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'iqsso-changes' AND query ILIKE 'LISTEN%'`);
      if (rows.length >= count) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('the change feed is not listening');
  }

  /**
   * Tokens from a sign-in, returned once B may cache for them: a token's first calls read Postgres until a read is
   * provably later than its issuance (its iat second plus a second of clock skew between instances; ApiStateCache's
   * read-your-writes rule). Without the wait these tests would pass through Postgres, not through the cache.
   */
  async function signIn(): Promise<{ access_token: string; refresh_token?: string }> {
    const r = await w.signIn(app, pat);
    if (!('tokens' in r) || !r.tokens) throw new Error(`sign-in failed: ${JSON.stringify(r)}`);
    const { iat } = decodeJwt(r.tokens.access_token as string);
    await new Promise((done) => setTimeout(done, Math.max(0, servableAfter(iat!) + 20 - Date.now())));
    return r.tokens as { access_token: string; refresh_token?: string };
  }
  const me = (base: string, token: string) => fetch(`${base}/v1/me`, { headers: { authorization: `Bearer ${token}` } });
  /** Polls B until `done` holds for its answer; the time it took, in ms (fails the test past 1 s). */
  async function untilOnB(token: string, done: (status: number, body: any) => boolean): Promise<number> {
    const t0 = performance.now();
    for (;;) {
      const res = await me(bUrl, token);
      const body = await res.json();
      if (done(res.status, body)) return performance.now() - t0;
      if (performance.now() - t0 > 1000) throw new Error(`B still answers ${res.status} ${JSON.stringify(body)}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }
  const userId = async () => (await w.db.query<{ id: string }>(`SELECT id FROM users WHERE username = $1`, [pat.login]))[0]!.id;

  it('a grant revoked through A is refused by B, which had it cached', async () => {
    const t = await signIn();
    for (let i = 0; i < 3; i++) expect((await me(bUrl, t.access_token)).status).toBe(200); // cached on B now
    const revoke = await fetch(`${w.service.url}/oauth2/revoke`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token: t.refresh_token!, client_id: 'hub' }) });
    expect(revoke.status).toBe(200);
    const ms = await untilOnB(t.access_token, (status) => status === 401);
    expect(ms).toBeLessThan(1000);
    const res = await me(bUrl, t.access_token);
    expect(res.headers.get('www-authenticate')).toContain('invalid_token');
    expect(await res.json()).toMatchObject({ title: 'Unauthorized', error: 'invalid_token', status: 401, detail: 'The access token has been revoked.' });
  });

  it("an account manager's edit through A shows on B at once", async () => {
    const t = await signIn();
    expect(await (await me(bUrl, t.access_token)).json()).toMatchObject({ given_name: 'Pat' });
    const edit = await w.service.admin('PATCH', `/admin/tenants/kentel/users/${await userId()}`, { set: { firstName: 'Patricia' } });
    expect(edit.status).toBe(200);
    await untilOnB(t.access_token, (status, body) => status === 200 && body.given_name === 'Patricia');
  });

  it('a location removed underneath (directly in Postgres, cascading to the assignment) shows on B', async () => {
    const t = await signIn();
    expect(((await (await me(bUrl, t.access_token)).json()) as { locations: string[] }).locations).toEqual(['LOC-1', 'LOC-2']);
    await w.db.query(`DELETE FROM locations WHERE external_id = 'LOC-2'`);
    await untilOnB(t.access_token, (status, body) => status === 200 && JSON.stringify(body.locations) === '["LOC-1"]');
    await w.addLocations('kentel', ['LOC-2']); // the next sign-ins assign it again
  });

  it('an unchanged sign-in notifies nobody (it only sets last_login_at)', async () => {
    await signIn();
    const listener = new pg.Client(w.db.url);
    await listener.connect();
    const heard: string[] = [];
    listener.on('notification', (n) => heard.push(String(n.payload)));
    await listener.query('LISTEN iqsso_changes');
    try {
      await signIn();
      await w.db.query(`SELECT pg_sleep(0.2)`);
      expect(heard.filter((p) => p.startsWith('u:'))).toEqual([]);
      await w.db.query(`UPDATE users SET email = 'pat2@kentel.com' WHERE username = $1`, [pat.login]);
      for (let i = 0; i < 100 && !heard.length; i++) await new Promise((r) => setTimeout(r, 10));
      const tenantId = (await w.db.query<{ id: string }>(`SELECT id FROM tenants WHERE slug = 'kentel'`))[0]!.id;
      expect(heard).toEqual([`u:${await userId()}:${tenantId}`]);
    } finally {
      await listener.end();
    }
  });

  it('a user disabled (status set in Postgres, as SCIM deactivation does) is refused by B', async () => {
    const t = await signIn();
    expect((await me(bUrl, t.access_token)).status).toBe(200);
    await w.db.query(`UPDATE users SET status = 'disabled' WHERE username = $1`, [pat.login]);
    try {
      await untilOnB(t.access_token, (status, body) => status === 401 && body.detail === 'The user of this token is no longer active.');
    } finally {
      await w.db.query(`UPDATE users SET status = 'active' WHERE username = $1`, [pat.login]);
    }
  });

  it('B really answers from memory: a change made with triggers off is not seen until API_CACHE_TTL_S has passed', async () => {
    const t = await signIn();
    expect(await (await me(bUrl, t.access_token)).json()).toMatchObject({ email: pat.login });
    const c = new pg.Client(w.db.url);
    await c.connect();
    try {
      await c.query(`SET session_replication_role = replica`); // no triggers for this session: nobody is notified
      await c.query(`UPDATE users SET email = 'quiet@kentel.com' WHERE username = $1`, [pat.login]);
    } finally {
      await c.end();
    }
    await new Promise((r) => setTimeout(r, 300));
    expect(await (await me(bUrl, t.access_token)).json()).toMatchObject({ email: pat.login }); // B: still the cached row
    expect(await (await me(w.service.url, t.access_token)).json()).toMatchObject({ email: 'quiet@kentel.com' }); // A had not cached it
    const t0 = performance.now();
    for (;;) {
      const body = (await (await me(bUrl, t.access_token)).json()) as { email: string };
      if (body.email === 'quiet@kentel.com') break;
      expect(performance.now() - t0).toBeLessThan(2500);
      await new Promise((r) => setTimeout(r, 50));
    }
    await w.db.query(`UPDATE users SET email = $1 WHERE username = $1`, [pat.login]);
  });

  it('read your writes: a token issued after a change never gets an entry read before it, however late the notification', async () => {
    const t = await signIn();
    expect(await (await me(bUrl, t.access_token)).json()).toMatchObject({ email: pat.login }); // cached on B
    // A change whose notification has not reached B (triggers off: it never will), then a new token (a refresh at A).
    const c = new pg.Client(w.db.url);
    await c.connect();
    try {
      await c.query(`SET session_replication_role = replica`);
      await c.query(`UPDATE users SET email = 'late@kentel.com' WHERE username = $1`, [pat.login]);
    } finally {
      await c.end();
    }
    try {
      // The older token is still answered from B's memory (so what follows is not the luck of an expiry)…
      expect(await (await me(bUrl, t.access_token)).json()).toMatchObject({ email: pat.login });
      const refreshed = await w.tokenRequest({ clientId: 'hub' }, { grant_type: 'refresh_token', refresh_token: t.refresh_token! });
      expect(refreshed.status).toBe(200);
      // …the new one reads Postgres, and what it read replaces the entry for everyone.
      expect(await (await me(bUrl, refreshed.body.access_token)).json()).toMatchObject({ email: 'late@kentel.com' });
      expect(await (await me(bUrl, t.access_token)).json()).toMatchObject({ email: 'late@kentel.com' });
    } finally {
      await w.db.query(`UPDATE users SET email = $1 WHERE username = $1`, [pat.login]);
    }
  });

  it("B's notification connection cut: it reconnects, and changes still reach it afterwards", async () => {
    const t = await signIn();
    expect((await me(bUrl, t.access_token)).status).toBe(200);
    const cut = await w.db.query<{ n: number }>(
      `SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'iqsso-changes'`,
    );
    expect(cut[0]!.n).toBe(2);
    // While it is down nothing is served from memory, so this change shows whether or not it was heard.
    await w.db.query(`UPDATE users SET last_name = 'Dough' WHERE username = $1`, [pat.login]);
    await untilOnB(t.access_token, (status, body) => status === 200 && body.family_name === 'Dough');
    await waitFeedLive();
    expect((await me(bUrl, t.access_token)).status).toBe(200);
    await w.db.query(`UPDATE users SET last_name = 'Doe' WHERE username = $1`, [pat.login]);
    await untilOnB(t.access_token, (status, body) => status === 200 && body.family_name === 'Doe');
  });
});

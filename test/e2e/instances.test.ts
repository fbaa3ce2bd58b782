import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as oidc from 'openid-client';
import { migrationsFor } from '../../src/database/migrate.js';
import { startOktaStandIn } from '../../tools/okta-stand-in/index.js';
import { freePort } from '../../tools/ports.js';
import { TEST_ADMIN_KEY, TEST_SECRETS_KEYS, type TestService } from '../support/service.js';
import { callback, toCallback } from '../support/steps.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { APP_REDIRECT, type TenantSetup, World } from '../support/world.js';

const MAIN = join(process.cwd(), 'dist', 'src', 'main.js');

interface Instance {
  name: string;
  url: string;
  child: ChildProcess;
  exited: Promise<number | null>;
}

/** The service as deployed: `node dist/src/main.js`, configured only through its environment. */
function spawnInstance(name: string, port: number, publicUrl: string, databaseUrl: string, extra: Record<string, string> = {}): Instance {
  const child = spawn(process.execPath, [MAIN], {
    env: {
      PATH: process.env.PATH, NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS,
      NODE_ENV: 'test', PORT: String(port), HOST: '127.0.0.1', PUBLIC_URL: publicUrl, DATABASE_URL: databaseUrl,
      ADMIN_API_KEY: TEST_ADMIN_KEY, SECRETS_KEYS: TEST_SECRETS_KEYS, OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'true',
      DATA_DIR: join(process.cwd(), '.test-tmp', 'data'), LOG_FILE: join(process.cwd(), '.test-tmp', 'logs', `instance-${name}-${port}-${Date.now()}.log`),
      RATE_LIMIT_SIGNIN_PER_MIN: '100000', RATE_LIMIT_TOKEN_PER_MIN: '100000', RATE_LIMIT_ADMIN_PER_MIN: '100000',
      ...extra,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d) => { stderr += String(d); });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => {
    if (code) console.error(`instance ${name} exited ${code}: ${stderr.slice(-2000)}`);
    resolve(code);
  }));
  return { name, url: `http://127.0.0.1:${port}`, child, exited };
}

async function ready(i: Instance): Promise<void> {
  const until = Date.now() + 90_000;
  while (Date.now() < until) {
    if (i.child.exitCode !== null) throw new Error(`instance ${i.name} exited with ${i.child.exitCode}`);
    try {
      if ((await fetch(`${i.url}/health/ready`)).status === 200) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`instance ${i.name} did not become ready`);
}

function ensureBuilt(): void {
  // test/run-tests.mjs builds dist while type-checking; a run with SKIP_TYPECHECK builds it here.
  if (existsSync(MAIN)) return;
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('build failed');
}

/**
 * Two service processes against one Postgres: both start at once on an empty database (migrations and the
 * first signing key under advisory locks), a sign-in started on one finishes on the other, and SIGTERM lets
 * an in-flight sign-in finish before the process exits.
 */
describe('several instances', () => {
  let db: TestDatabase;
  let a: Instance;
  let b: Instance;
  let w: World;
  let t: TenantSetup;
  let app: oidc.Configuration;
  const user = { login: 'ann@multi.com', password: 'Ann-pass1' };

  beforeAll(async () => {
    ensureBuilt();
    db = await createTestDatabase('empty');
    const [pa, pb] = [await freePort(), await freePort()];
    // Behind one load balancer both instances have the same public URL (here: A's address).
    const publicUrl = `http://127.0.0.1:${pa}`;
    a = spawnInstance('a', pa, publicUrl, db.url);
    b = spawnInstance('b', pb, publicUrl, db.url, { SHUTDOWN_DRAIN_S: '2' });
    await Promise.all([ready(a), ready(b)]);

    w = new World();
    w.db = db;
    w.okta = await startOktaStandIn({ pkiDir: process.env.TEST_PKI_DIR ?? '.test-tmp/pki' });
    w.service = {
      url: publicUrl,
      async admin(method: string, path: string, body?: unknown) {
        const res = await fetch(`${publicUrl}${path}`, { method, headers: { 'x-admin-key': TEST_ADMIN_KEY, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
        const text = await res.text();
        return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
      },
    } as unknown as TestService;
    t = await w.addTenant('multi', ['multi.com']);
    await w.addLocations('multi', ['S1']);
    await w.addApp('hub');
    app = await w.app('hub');
    t.authServer.setUser(user.login, { password: user.password, sub: '00uMULTI1', claims: { userName: user.login, name: 'Ann', email: user.login, security_group_name: 'Associate', assigned_entity_client_entity_ids: ['S1'] } });
  }, 180_000);

  afterAll(async () => {
    for (const i of [a, b]) if (i && i.child.exitCode === null) i.child.kill('SIGKILL');
    await w?.okta?.close();
    await db?.drop();
  });

  it('both started at once on an empty database: each migration ran exactly once, one signing key', async () => {
    const rows = await db.query<{ name: string }>(`SELECT name FROM schema_migrations ORDER BY id`);
    expect(rows.map((r) => r.name)).toEqual(migrationsFor('control').map((m) => m.name));
    const keys = await db.query(`SELECT kid FROM signing_keys WHERE status = 'active'`);
    expect(keys).toHaveLength(1);
    const [jwksA, jwksB] = await Promise.all([a, b].map(async (i) => (await fetch(`${i.url}/oauth2/jwks`)).json()));
    expect(jwksA).toEqual(jwksB);
  });

  it('a sign-in started on one instance completes on the other', async () => {
    const s = await toCallback(w, app, user); // authorize on A (the public URL)
    const onB = s.callbackUrl.replace(a.url, b.url);
    expect(onB).not.toBe(s.callbackUrl);
    const r = await callback(s.browser, onB);
    expect(r.error).toBeUndefined();
    expect(r.code).toBeTruthy();
    // B's code is redeemed at A, and A's token is accepted by B.
    const tokens = await oidc.authorizationCodeGrant(app, r.appRedirect!, { pkceCodeVerifier: s.verifier, expectedState: s.state, expectedNonce: s.nonce });
    const me = await fetch(`${b.url}/v1/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ tenant: 'multi', username: user.login });
  });

  it('on SIGTERM an in-flight sign-in finishes, readiness says so, then the process exits cleanly', async () => {
    const s = await toCallback(w, app, user);
    t.authServer.clearRequests();
    t.authServer.faults.next('token', { delayMs: 4000 }); // past the 2 s drain: still in flight when the listener closes
    const pending = callback(s.browser, s.callbackUrl.replace(a.url, b.url));
    for (let i = 0; i < 500 && t.authServer.requestsTo('token').length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(t.authServer.requestsTo('token')).toHaveLength(1); // B is waiting for Okta now
    b.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 200));
    expect((await fetch(`${b.url}/health/ready`)).status).toBe(503); // draining: the balancer stops sending
    const r = await pending;
    expect(r.error).toBeUndefined();
    expect(r.appRedirect?.href.startsWith(APP_REDIRECT)).toBe(true);
    expect(r.code).toBeTruthy();
    expect(await b.exited).toBe(0);
    await expect(fetch(`${b.url}/health/live`)).rejects.toThrow();
    // A is unaffected.
    expect((await fetch(`${a.url}/health/ready`)).status).toBe(200);
    a.child.kill('SIGTERM');
    expect(await a.exited).toBe(0);
  });
});

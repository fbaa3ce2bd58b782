/**
 * `npm run demo`: the whole product in one go, on real parts and real HTTP, without a browser:
 * starts Postgres (embedded unless DATABASE_URL), an Okta-like provider over HTTPS (tools/okta-stand-in),
 * and this service; configures a demo tenant through the admin API; signs a demo user in as an iQmetrix app
 * would (openid-client, PKCE); prints the provisioned user, its locations and the audit row; exits 0.
 */
import 'reflect-metadata';
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { ensureTestPki } from '../pki.mjs';

const root = resolve(fileURLToPath(import.meta.url), '../../../..');
const dataDir = join(root, '.data', 'demo');
const pkiDir = join(dataDir, 'pki');

// The service trusts extra CAs only through NODE_EXTRA_CA_CERTS, read at process start: re-run with it set.
const pki = await ensureTestPki(pkiDir);
if (process.env.NODE_EXTRA_CA_CERTS !== pki.caCertPath) {
  const r = spawnSync(process.execPath, process.argv.slice(1), { stdio: 'inherit', env: { ...process.env, NODE_EXTRA_CA_CERTS: pki.caCertPath } });
  process.exit(r.status ?? 1);
}

const oidc = await import('openid-client');
const { Browser } = await import('../browser.js');
const { startOktaStandIn } = await import('../okta-stand-in/index.js');
const { createApp } = await import('../../src/bootstrap.js');
const { loadConfig } = await import('../../src/config/app-config.js');
const { startEmbeddedPostgres } = await import('../../src/database/embedded-postgres.js');
const { freePort } = await import('../ports.js');
const { startDemoApp } = await import('./demo-app.js');

const step = (text: string) => console.log(`\n== ${text}`);
const cleanups: Array<() => Promise<unknown>> = [];

async function main(): Promise<void> {
  step('Postgres');
  let serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) {
    const embedded = await startEmbeddedPostgres(join(dataDir, 'postgres'), process.env.EMBEDDED_PG_PORT ? Number(process.env.EMBEDDED_PG_PORT) : await freePort(), 'postgres');
    cleanups.push(() => embedded.stop());
    serverUrl = embedded.url;
    console.log(`embedded Postgres, data in ${join(dataDir, 'postgres')}`);
  } else {
    console.log('the Postgres server of DATABASE_URL');
  }
  // A name of this run's own: on a shared server, another run's (or anyone's) database is never touched.
  const name = `iqsso_demo_${randomBytes(4).toString('hex')}`;
  const databaseUrl = await freshDatabase(serverUrl, name);
  // Dropped after everything else has closed (the embedded server, if any, is stopped before: its data dir is the demo's).
  const dropIt = async () => dropDatabase(serverUrl!, name);
  if (process.env.DATABASE_URL) cleanups.push(dropIt);
  console.log(`database ${name} (created for this run, dropped at its end)`);

  step('Okta-like provider (oidc-provider, HTTPS, an Okta custom authorization server)');
  const okta = await startOktaStandIn({ pkiDir });
  cleanups.push(() => okta.close());
  const aus = okta.addAuthServer('ausDEMOKENTEL');
  console.log(`issuer ${aus.issuer}`);

  step('the service');
  const port = process.env.PORT ? Number(process.env.PORT) : await freePort();
  const adminKey = randomBytes(24).toString('base64url');
  const config = loadConfig({
    ...process.env,
    NODE_ENV: 'development',
    PORT: String(port),
    HOST: '127.0.0.1',
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    DATA_DIR: dataDir,
    ADMIN_API_KEY: adminKey,
    SECRETS_KEYS: `demo1:${randomBytes(32).toString('base64')}`,
    OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'true',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
    LOG_FILE: process.env.LOG_FILE ?? join(dataDir, 'service.log'),
  });
  const app = await createApp(config, databaseUrl);
  await app.listen(port, '127.0.0.1');
  cleanups.unshift(() => app.close());
  const base = config.publicUrl;
  console.log(`listening on ${base} (logs in ${config.env.LOG_FILE})`);
  const admin = async (method: string, path: string, body?: unknown): Promise<any> => {
    const res = await fetch(`${base}${path}`, { method, headers: { 'x-admin-key': adminKey, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    const json = await res.json();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };

  step('demo tenant "kentel" (Okta client, tenant, company tree, an iQmetrix app)');
  const oktaSecret = randomBytes(20).toString('base64url');
  // As the customer sets up their Okta app: our callback, and our sign-out return as a sign-out redirect URI (README).
  await aus.addClient({ client_id: '0oaDEMOKENTEL', client_secret: oktaSecret, redirect_uris: [`${base}/oauth2/callback`], post_logout_redirect_uris: [`${base}/oauth2/logout/callback`] });
  aus.setUser('john.smith@yvr.kentel.local', {
    password: 'demo-Passw0rd',
    sub: '00uDEMOJOHN001',
    claims: {
      userName: 'john.smith@yvr.kentel.local',
      name: 'John',
      family_name: 'Smith',
      email: 'john.smith@kentel.com',
      security_group_name: 'Store Manager',
      assigned_entity_client_entity_ids: 'KEN-VAN-01, KEN-VAN-02',
      phone_number: '+1 604 555 0100',
      attribute_EmailDisplayName: 'John Smith (Kentel)',
    },
  });
  await admin('POST', '/admin/tenants', {
    slug: 'kentel',
    name: 'Kentel Communications',
    clientSecret: oktaSecret,
    config: {
      okta: { issuer: aus.issuer, clientId: '0oaDEMOKENTEL' },
      domains: ['kentel.com'],
      usernameRewrites: [{ from: 'yvr.kentel.local', to: 'kentel.com' }],
      roles: { map: { 'Store Manager': 'RQ-StoreManager', Associate: 'RQ-Associate' } },
    },
  });
  await admin('PUT', '/admin/tenants/kentel/locations', {
    locations: [
      { externalId: 'KEN-VAN-01', name: 'Vancouver Downtown' },
      { externalId: 'KEN-VAN-02', name: 'Vancouver Airport' },
      { externalId: 'KEN-TOR-01', name: 'Toronto Eaton Centre' },
    ],
  });
  const redirectUri = 'http://127.0.0.1:9/hub/callback';
  await admin('POST', '/admin/clients', { clientId: 'hub-demo', name: 'Hub (demo)', type: 'public', redirectUris: [redirectUri] });
  console.log('tenant kentel: domain kentel.com, rewrite yvr.kentel.local -> kentel.com, 3 locations; app hub-demo');

  step('sign-in as john.smith@yvr.kentel.local, as the Hub app would (authorization code + PKCE)');
  const client = await oidc.discovery(new URL(base), 'hub-demo', undefined, oidc.None(), { execute: [oidc.allowInsecureRequests] });
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const authorizeUrl = oidc.buildAuthorizationUrl(client, {
    redirect_uri: redirectUri, scope: 'openid profile email offline_access', state, nonce,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', login_hint: 'john.smith@yvr.kentel.local',
  });
  const trip = await new Browser().follow(authorizeUrl.href, { stopAt: redirectUri, username: 'john.smith@yvr.kentel.local', password: 'demo-Passw0rd' });
  if (!trip.reached) throw new Error(`the sign-in stopped at ${trip.url} (HTTP ${trip.response?.status})`);
  for (const hop of trip.trail) console.log(`  ${hop.status} ${hop.method} ${new URL(hop.url).origin}${new URL(hop.url).pathname}`);
  const back = new URL(trip.url);
  if (back.searchParams.get('error')) throw new Error(`sign-in refused: ${back.searchParams.get('error')}: ${back.searchParams.get('error_description')}`);
  const tokens = await oidc.authorizationCodeGrant(client, back, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce });
  console.log(`app received: access token (${tokens.expires_in}s), refresh token, ID token for sub ${tokens.claims()?.sub}`);

  step('GET /v1/me with the access token');
  const me: any = await (await oidc.fetchProtectedResource(client, tokens.access_token, new URL(`${base}/v1/me`), 'GET')).json();
  console.log(JSON.stringify(me, null, 2));

  step('the provisioned user, its locations and the audit row (admin API)');
  const user = await admin('GET', `/admin/tenants/kentel/users/${me.sub}`);
  console.log(JSON.stringify(user, null, 2));
  const { items: [audit] } = await admin('GET', '/admin/tenants/kentel/audits?limit=1');
  console.log(JSON.stringify(audit, null, 2));
  if (audit?.outcome !== 'created' || user.locations.length !== 2) throw new Error('unexpected provisioning result');
  console.log('\ndemo complete: signed in through the Okta-like provider, provisioned, and issued our tokens.');
  if (process.env.DEMO_KEEP_RUNNING === '1') {
    // For trying a sign-in in a browser, the admin API, the console and the troubleshooting tool against a real Okta-like provider.
    const webApp = await startDemoApp(base, 'hub-browser', (redirect, signedOut) =>
      admin('POST', '/admin/clients', { clientId: 'hub-browser', name: 'Hub (demo, in a browser)', type: 'public', redirectUris: [redirect], postLogoutRedirectUris: [signedOut] }));
    cleanups.unshift(() => webApp.close());
    console.log(`\nstill running (Ctrl-C stops it):
  demo app      ${webApp.url}   open it in a browser and sign in (the Okta-like provider's certificate is from a
                test CA, ${pki.caCertPath}: the browser warns once; scripts calling the provider need
                NODE_EXTRA_CA_CERTS=${pki.caCertPath})
  service       ${base}   console ${base}/console   API docs ${base}/docs
  credentials   in ${join(dataDir, 'admin-key.txt')} (mode 0600): the admin key, and a demo operator's token for the console
  tenant        kentel, Okta issuer ${aus.issuer}
  demo user     john.smith@yvr.kentel.local / demo-Passw0rd (at the Okta-like provider's login page)`);
    // The console takes a personal API token (the bootstrap key belongs to no one): a demo operator's.
    const person = await admin('POST', '/admin/principals', { name: 'Demo Operator', email: 'operator@demo.example', role: 'operator' });
    const { token } = await admin('POST', `/admin/principals/${person.id}/credentials`, { label: 'demo', expiresInDays: 1 });
    writeFileSync(join(dataDir, 'admin-key.txt'), `X-Admin-Key (bootstrap operator key): ${adminKey}\nconsole / Bearer token of Demo Operator: ${token}\n`, { mode: 0o600 });
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    rmSync(join(dataDir, 'admin-key.txt'), { force: true });
  }
}

async function dropDatabase(serverUrl: string, name: string): Promise<void> {
  const admin = new pg.Client(serverUrl);
  await admin.connect();
  try {
    // With the managed training databases the service made beside it (<name>_trn_<tenant>).
    const training = await admin.query(`SELECT datname FROM pg_database WHERE datname LIKE $1`, [`${name}\\_trn\\_%`]);
    for (const { datname } of training.rows) await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(datname)} WITH (FORCE)`);
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

async function freshDatabase(serverUrl: string, name: string): Promise<string> {
  const admin = new pg.Client(serverUrl);
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const u = new URL(serverUrl);
  u.pathname = `/${name}`;
  return u.toString();
}

let code = 0;
try {
  await main();
} catch (e) {
  console.error(`\ndemo failed: ${e instanceof Error ? e.message : String(e)}`);
  code = 1;
} finally {
  for (const c of cleanups) await c().catch(() => undefined);
}
process.exit(code);

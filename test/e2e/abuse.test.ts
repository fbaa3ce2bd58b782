import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { connect } from 'node:net';
import { startService, TEST_ADMIN_KEY, type TestService } from '../support/service.js';
import { World } from '../support/world.js';

const admin = { 'x-admin-key': TEST_ADMIN_KEY };
const PAGE_CSP = "default-src 'none';style-src 'unsafe-inline';img-src 'self';form-action 'self';frame-ancestors 'none';base-uri 'none'";
const authorizeQuery = (extra: Record<string, string> = {}) => new URLSearchParams({
  client_id: 'hub', response_type: 'code', redirect_uri: 'http://127.0.0.1:9/app/callback', scope: 'openid',
  code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256', ...extra,
});

/** `csp`: a page whose form leads on through redirects names where they may go in form-action (pageCsp). */
function expectStrictPageHeaders(res: Response, csp = PAGE_CSP) {
  expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
  expect(res.headers.get('content-security-policy')).toBe(csp);
  expect(res.headers.get('x-frame-options')).toBe('DENY');
  expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  expect(res.headers.get('referrer-policy')).toBe('no-referrer');
  expect(res.headers.get('cross-origin-opener-policy')).toBe('same-origin');
  expect(res.headers.get('cache-control')).toBe('no-store');
  expect(res.headers.get('x-powered-by')).toBeNull();
}

/** Abuse: rate limits, size limits, security headers, cookies, and URLs never taken from the request. */
describe('abuse limits and hardening', () => {
  let w: World;
  /** As deployed behind a TLS-terminating proxy: PUBLIC_URL https, one trusted proxy hop. */
  let proxied: TestService;
  /** Low limits, trusting one proxy hop (X-Forwarded-For decides the client). */
  let limited: TestService;
  /** Low limits, trusting no proxy (X-Forwarded-For ignored). */
  let direct: TestService;

  beforeAll(async () => {
    w = await World.start();
    await w.addTenant('acme', ['acme.com']);
    await w.addApp('hub');
    proxied = await startService(w.db.url, { PUBLIC_URL: 'https://sso.example.test', TRUST_PROXY: '1' });
    limited = await startService(w.db.url, { TRUST_PROXY: '1', RATE_LIMIT_SIGNIN_PER_MIN: '3', RATE_LIMIT_TOKEN_PER_MIN: '2', RATE_LIMIT_ADMIN_PER_MIN: '2', RATE_LIMIT_SCIM_PER_MIN: '2' });
    direct = await startService(w.db.url, { RATE_LIMIT_ADMIN_PER_MIN: '2', HTTP_HEADERS_TIMEOUT_S: '2' });
  });
  afterAll(async () => {
    await Promise.all([proxied?.close(), limited?.close(), direct?.close()]);
    await w?.close();
  });

  it('matches paths in their case: /ADMIN/… is not the admin API, so no rule keyed on the path can be passed by', async () => {
    for (const path of ['/ADMIN/me', '/Admin/principals', '/OAUTH2/TOKEN', '/V1/ME', '/SCIM/v2/acme/Users']) {
      const res = await fetch(`${w.service.url}${path}`, { method: path.includes('principals') || path.includes('TOKEN') ? 'POST' : 'GET', headers: { 'x-admin-key': TEST_ADMIN_KEY, 'content-type': 'application/x-www-form-urlencoded' }, body: path.includes('principals') || path.includes('TOKEN') ? 'name=X&role=operator' : undefined });
      expect([path, res.status]).toEqual([path, 404]);
    }
    expect(await w.db.query(`SELECT 1 FROM admin_principals WHERE name = 'X'`)).toEqual([]);
    expect((await fetch(`${w.service.url}/admin/me`, { headers: { 'x-admin-key': TEST_ADMIN_KEY } })).status).toBe(200);
  });

  it("answers what Node's HTTP parser refuses (headers too large) as problem details, and bounds slow clients", async () => {
    const res = await fetch(`${w.service.url}/v1/me`, { headers: { 'x-big': 'a'.repeat(20_000) } });
    expect(res.status).toBe(431);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(await res.json()).toEqual({ type: 'about:blank', title: 'Request Header Fields Too Large', status: 431, detail: 'The request headers are too large.' });
    const server = w.service.app.getHttpServer() as import('node:http').Server;
    expect([server.headersTimeout, server.requestTimeout]).toEqual([20_000, 120_000]);
    // The bound is the setting, not the setting plus Node's 30-second sweep: a client that never finishes its
    // headers is answered 408 about HTTP_HEADERS_TIMEOUT_S after it connected (here 2 s; it was 32 s).
    const started = Date.now();
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(direct.config.env.PORT), '127.0.0.1', () => socket.write('GET /health/live HTTP/1.1\r\nHost: x\r\n'));
      let got = '';
      socket.on('data', (d) => (got += d.toString('latin1')));
      socket.on('close', () => resolve(got));
      socket.on('error', reject);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('puts strict security headers on every page it renders', async () => {
    const homeRealm = await fetch(`${w.service.url}/oauth2/authorize?${authorizeQuery()}`);
    expect(homeRealm.status).toBe(200);
    // The work-email form leads to the tenant's Okta (whichever the address names: any https origin) and back to
    // the app's redirect URI (loopback here, any port).
    const homeRealmCsp = PAGE_CSP.replace("form-action 'self'", "form-action 'self' https: http://127.0.0.1:*");
    expectStrictPageHeaders(homeRealm, homeRealmCsp);
    const badClient = await fetch(`${w.service.url}/oauth2/authorize?${authorizeQuery({ client_id: 'nope' })}`);
    expect(badClient.status).toBe(400);
    expectStrictPageHeaders(badClient);
    const badState = await fetch(`${w.service.url}/oauth2/callback?code=x&state=unknown`);
    expect(badState.status).toBe(400);
    expectStrictPageHeaders(badState);
    // HSTS only where the public URL is HTTPS.
    expect(homeRealm.headers.get('strict-transport-security')).toBeNull();
    const secure = await fetch(`${proxied.url.replace('https://sso.example.test', `http://127.0.0.1:${proxied.config.env.PORT}`)}/oauth2/authorize?${authorizeQuery()}`);
    expectStrictPageHeaders(secure, homeRealmCsp);
    expect(secure.headers.get('strict-transport-security')).toBe('max-age=31536000; includeSubDomains');
    // The API answers carry them too.
    const api = await fetch(`${w.service.url}/v1/me`);
    expect(api.headers.get('x-content-type-options')).toBe('nosniff');
    expect(api.headers.get('content-security-policy')).toBe(PAGE_CSP);
  });

  it('behind a proxy: the callback URL, the issuer and cookies come from PUBLIC_URL, never Host or X-Forwarded-*', async () => {
    const base = `http://127.0.0.1:${proxied.config.env.PORT}`;
    const spoof = { host: 'evil.example', 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'http', 'x-forwarded-port': '8080', forwarded: 'host=evil.example;proto=http' };
    const res = await fetch(`${base}/oauth2/authorize?${authorizeQuery({ login_hint: 'a@acme.com' })}`, { redirect: 'manual', headers: spoof });
    expect(res.status).toBe(302);
    const okta = new URL(res.headers.get('location')!);
    expect(okta.searchParams.get('redirect_uri')).toBe('https://sso.example.test/oauth2/callback');
    // Secure, HttpOnly, SameSite=Lax, and __Host- (no Domain, Path=/) since PUBLIC_URL is HTTPS.
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith('__Host-iqsso_signin='))!;
    expect(cookie).toMatch(/^__Host-iqsso_signin=[A-Za-z0-9_-]+; Max-Age=600; Path=\/; Expires=[^;]+; HttpOnly; Secure; SameSite=Lax$/);
    const discovery = (await (await fetch(`${base}/.well-known/openid-configuration`, { headers: spoof })).json()) as Record<string, string>;
    expect(discovery.issuer).toBe('https://sso.example.test');
    expect(discovery.authorization_endpoint).toBe('https://sso.example.test/oauth2/authorize');
    expect(JSON.stringify(discovery)).not.toContain('evil.example');
  });

  it('over plain http (development) cookies are still HttpOnly and SameSite=Lax', async () => {
    const res = await fetch(`${w.service.url}/oauth2/authorize?${authorizeQuery({ login_hint: 'a@acme.com' })}`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.getSetCookie().find((c) => c.startsWith('iqsso_signin='))).toMatch(/; Path=\/; Expires=[^;]+; HttpOnly; SameSite=Lax$/);
  });

  it('rate-limits sign-in per client address, with a plain page and Retry-After', async () => {
    const from = { 'x-forwarded-for': '203.0.113.7' };
    for (let i = 0; i < 3; i++) expect((await fetch(`${limited.url}/oauth2/authorize?${authorizeQuery()}`, { headers: from })).status).toBe(200);
    const res = await fetch(`${limited.url}/oauth2/authorize?${authorizeQuery()}`, { headers: from });
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    expectStrictPageHeaders(res);
    expect(await res.text()).toContain('Too many sign-in requests from your network. Please wait a moment and try again.');
    // Another address (through the trusted proxy) is not affected.
    expect((await fetch(`${limited.url}/oauth2/authorize?${authorizeQuery()}`, { headers: { 'x-forwarded-for': '203.0.113.8' } })).status).toBe(200);
  });

  it('rate-limits the token endpoint in OAuth form', async () => {
    const from = { 'x-forwarded-for': '203.0.113.9', 'content-type': 'application/x-www-form-urlencoded' };
    const body = 'grant_type=authorization_code&client_id=hub&code=x&redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fapp%2Fcallback&code_verifier=' + 'a'.repeat(43);
    for (let i = 0; i < 2; i++) expect((await fetch(`${limited.url}/oauth2/token`, { method: 'POST', headers: from, body })).status).toBe(400);
    const res = await fetch(`${limited.url}/oauth2/token`, { method: 'POST', headers: from, body });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(await res.json()).toEqual({ error: 'temporarily_unavailable', error_description: 'Too many token requests from this client address; slow down.' });
  });

  it('rate-limits the admin API as problem details, counting failed authentications too', async () => {
    const from = { 'x-forwarded-for': '203.0.113.10', 'x-admin-key': 'wrong-key-wrong-key-wrong-key' };
    for (let i = 0; i < 2; i++) expect((await fetch(`${limited.url}/admin/tenants`, { headers: from })).status).toBe(401);
    const res = await fetch(`${limited.url}/admin/tenants`, { headers: { ...from, 'x-admin-key': TEST_ADMIN_KEY } });
    expect(res.status).toBe(429);
    expect(res.headers.get('content-type')).toBe('application/problem+json; charset=utf-8');
    expect(await res.json()).toMatchObject({ status: 429, title: 'Too Many Requests', detail: 'Too many admin API requests from this address; slow down.' });
  });

  it('rate-limits SCIM per tenant and address in SCIM form, counting failed authentications too', async () => {
    const from = { 'x-forwarded-for': '203.0.113.11', authorization: 'Bearer wrong-scim-token' };
    for (let i = 0; i < 2; i++) expect((await fetch(`${limited.url}/scim/v2/acme/Users`, { headers: from })).status).toBe(401);
    const res = await fetch(`${limited.url}/scim/v2/acme/Users?filter=${encodeURIComponent('userName eq "a@acme.com"')}`, { headers: from });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
    expect(res.headers.get('content-type')).toBe('application/scim+json; charset=utf-8');
    expect(await res.json()).toEqual({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '429',
      detail: 'Too many SCIM requests for this tenant from this address; retry after the time in Retry-After.',
    });
    // Okta pushes every customer's changes from the same few addresses: another tenant keeps its own budget.
    expect((await fetch(`${limited.url}/scim/v2/other/Users`, { headers: from })).status).not.toBe(429);
  });

  it('without TRUST_PROXY, X-Forwarded-For does not let a client pick a fresh bucket', async () => {
    for (let i = 0; i < 2; i++) expect((await fetch(`${direct.url}/admin/tenants`, { headers: { ...admin, 'x-forwarded-for': `198.51.100.${i}` } })).status).toBe(200);
    expect((await fetch(`${direct.url}/admin/tenants`, { headers: { ...admin, 'x-forwarded-for': '198.51.100.99' } })).status).toBe(429);
  });

  it('bounds request sizes, answering in each endpoint\'s own error form', async () => {
    const big = JSON.stringify({ slug: 'x', name: 'y'.repeat(3 * 1024 * 1024) });
    const adminRes = await fetch(`${w.service.url}/admin/tenants`, { method: 'POST', headers: { ...admin, 'content-type': 'application/json' }, body: big });
    expect(adminRes.status).toBe(413);
    expect(await adminRes.json()).toMatchObject({ status: 413, title: 'Content Too Large', detail: 'The request body is too large.' });
    const form = `grant_type=authorization_code&code=${'a'.repeat(100 * 1024)}`;
    const tokenRes = await fetch(`${w.service.url}/oauth2/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form });
    expect(tokenRes.status).toBe(413);
    expect(await tokenRes.json()).toEqual({ error: 'invalid_request', error_description: 'The request body is too large.' });
    const manyParams = Array.from({ length: 200 }, (_, i) => `p${i}=1`).join('&');
    const paramsRes = await fetch(`${w.service.url}/oauth2/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: manyParams });
    expect(paramsRes.status).toBe(413);
    expect(await paramsRes.json()).toEqual({ error: 'invalid_request', error_description: 'The request has too many parameters.' });
  });
});

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { freePort, startService, type TestService } from '../support/service.js';
import { APP_REDIRECT, World } from '../support/world.js';

/** This service's metadata documents and JWKS, and which endpoints browser apps may call from another origin. */
describe('metadata and cross-origin calls', () => {
  let w: World;
  const HUB = 'https://hub.example.com';
  const pat = { login: 'pat@kentel.com', password: 'Pat-pass1' };

  beforeAll(async () => {
    w = await World.start();
    const kentel = await w.addTenant('kentel', ['kentel.com']);
    kentel.authServer.setUser(pat.login, { password: pat.password, sub: '00uCORS01', claims: { userName: pat.login, name: 'Pat', email: pat.login, security_group_name: 'Associate' } });
    await w.addApp('hub', { redirectUris: [`${HUB}/callback`, APP_REDIRECT] });
    await w.addApp('rq-desktop', { redirectUris: ['com.iqmetrix.rq:/callback'] });
  });
  afterAll(() => w?.close());

  const get = async (url: string, headers: Record<string, string> = {}) => {
    const res = await fetch(url, { headers });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
  };

  describe('RFC 8414 authorization server metadata', () => {
    it('is served at /.well-known/oauth-authorization-server: the discovery document, cached alike', async () => {
      const oidc = await get(`${w.service.url}/.well-known/openid-configuration`);
      const rfc8414 = await get(`${w.service.url}/.well-known/oauth-authorization-server`);
      expect(oidc.status).toBe(200);
      expect({ status: rfc8414.status, type: rfc8414.headers.get('content-type'), cache: rfc8414.headers.get('cache-control'), body: rfc8414.body })
        .toEqual({ status: 200, type: oidc.headers.get('content-type'), cache: 'public, max-age=300', body: oidc.body });
      expect(rfc8414.body).toMatchObject({ issuer: w.service.url, token_endpoint: `${w.service.url}/oauth2/token`, jwks_uri: `${w.service.url}/oauth2/jwks`, code_challenge_methods_supported: ['S256'] });
      // A path below it is nobody's metadata when the issuer has no path: a 404 problem, which no cache may keep.
      const none = await get(`${w.service.url}/.well-known/oauth-authorization-server/sso`);
      expect([none.status, none.headers.get('content-type'), none.headers.get('cache-control')]).toEqual([404, 'application/problem+json; charset=utf-8', null]);
    });

    it('for an issuer with a path, also after the host with the path appended (RFC 8414 §3)', async () => {
      const port = await freePort();
      let other: TestService | undefined;
      try {
        other = await startService(w.db.url, { PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}/sso/broker` });
        const root = `http://127.0.0.1:${port}`;
        const doc = await get(`${root}/.well-known/oauth-authorization-server/sso/broker`);
        expect([doc.status, doc.headers.get('cache-control'), doc.body.issuer, doc.body.token_endpoint])
          .toEqual([200, 'public, max-age=300', `${root}/sso/broker`, `${root}/sso/broker/oauth2/token`]);
        expect(doc.body).toEqual((await get(`${root}/.well-known/openid-configuration`)).body);
        for (const path of ['/sso', '/sso/broker/x', '/other/broker']) {
          const none = await get(`${root}/.well-known/oauth-authorization-server${path}`);
          expect([path, none.status, none.headers.get('cache-control')]).toEqual([path, 404, null]);
        }
      } finally {
        await other?.close();
      }
    });
  });
  /** The CORS headers of an answer (and what else matters to a browser reading it). */
  const corsOf = (res: Response) => ({
    status: res.status,
    allowOrigin: res.headers.get('access-control-allow-origin'),
    credentials: res.headers.get('access-control-allow-credentials'),
    vary: res.headers.get('vary'),
    corp: res.headers.get('cross-origin-resource-policy'),
  });
  const preflight = (url: string, origin: string, method: string, headers?: string) =>
    fetch(url, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': method, ...(headers ? { 'access-control-request-headers': headers } : {}) } });
  const form = (origin: string | undefined, body: Record<string, string>, path = '/oauth2/token') =>
    fetch(`${w.service.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...(origin ? { origin } : {}) }, body: new URLSearchParams(body) });

  describe('CORS', () => {
    it('lets any origin read the metadata and the JWKS (*, no credentials, CORP cross-origin), preflight included', async () => {
      for (const path of ['/.well-known/openid-configuration', '/.well-known/oauth-authorization-server', '/oauth2/jwks']) {
        for (const origin of ['https://anyone.example', HUB]) {
          const res = await fetch(`${w.service.url}${path}`, { headers: { origin } });
          await res.arrayBuffer();
          expect({ path, origin, ...corsOf(res), cache: res.headers.get('cache-control') }).toEqual({ path, origin, status: 200, allowOrigin: '*', credentials: null, vary: null, corp: 'cross-origin', cache: 'public, max-age=300' });
        }
        const pre = await preflight(`${w.service.url}${path}`, 'https://anyone.example', 'GET');
        expect({ path, ...corsOf(pre), allow: pre.headers.get('allow'), methods: pre.headers.get('access-control-allow-methods'), maxAge: pre.headers.get('access-control-max-age') })
          .toEqual({ path, status: 204, allowOrigin: '*', credentials: null, vary: null, corp: 'cross-origin', allow: 'GET, HEAD, OPTIONS', methods: 'GET, HEAD', maxAge: '600' });
      }
    });

    it('lets a registered client\'s origin exchange its code at /oauth2/token from a browser: preflight, then the answer, errors too', async () => {
      const pre = await preflight(`${w.service.url}/oauth2/token`, HUB, 'POST', 'authorization,content-type');
      expect({ ...corsOf(pre), allow: pre.headers.get('allow'), methods: pre.headers.get('access-control-allow-methods'), headers: pre.headers.get('access-control-allow-headers'), maxAge: pre.headers.get('access-control-max-age') })
        .toEqual({ status: 204, allowOrigin: HUB, credentials: null, vary: 'Origin', corp: 'same-origin', allow: 'OPTIONS, POST', methods: 'POST', headers: 'Authorization, Content-Type, X-Request-Id', maxAge: '600' });

      const s = await w.startSignIn(await w.app('hub'), pat);
      const code = s.callback!.searchParams.get('code')!;
      const res = await form(HUB, { grant_type: 'authorization_code', client_id: 'hub', code, redirect_uri: APP_REDIRECT, code_verifier: s.verifier });
      const tokens = (await res.json()) as Record<string, string>;
      expect({ ...corsOf(res), expose: res.headers.get('access-control-expose-headers'), type: tokens.token_type })
        .toEqual({ status: 200, allowOrigin: HUB, credentials: null, vary: 'Origin', corp: 'same-origin', expose: 'WWW-Authenticate, Retry-After, X-Request-Id', type: 'Bearer' });
      // Then /v1/me and UserInfo (preflight for the Authorization header), /v1/training/me, revocation.
      for (const path of ['/v1/me', '/oauth2/userinfo']) {
        const mePre = await preflight(`${w.service.url}${path}`, HUB, 'GET', 'authorization');
        expect([path, corsOf(mePre), mePre.headers.get('access-control-allow-methods')]).toEqual([path, { status: 204, allowOrigin: HUB, credentials: null, vary: 'Origin', corp: 'same-origin' }, 'GET, POST']);
      }
      for (const [path, status] of [['/v1/me', 200], ['/oauth2/userinfo', 200], ['/v1/training/me', 401]] as const) {
        const me = await fetch(`${w.service.url}${path}`, { headers: { origin: HUB, authorization: `Bearer ${tokens.access_token}` } });
        await me.arrayBuffer();
        expect({ path, ...corsOf(me), expose: me.headers.get('access-control-expose-headers') }).toEqual({ path, status, allowOrigin: HUB, credentials: null, vary: 'Origin', corp: 'same-origin', expose: 'WWW-Authenticate, Retry-After, X-Request-Id' });
      }
      const revoke = await form(HUB, { client_id: 'hub', token: tokens.refresh_token! }, '/oauth2/revoke');
      expect(corsOf(revoke)).toEqual({ status: 200, allowOrigin: HUB, credentials: null, vary: 'Origin', corp: 'same-origin' });
      // The app reads a refusal as well as a success: the handler's, and the edge's (a body too large for a form).
      const large = await form(HUB, { grant_type: 'refresh_token', client_id: 'hub', refresh_token: 'x'.repeat(70_000) });
      expect(corsOf(large)).toEqual({ status: 413, allowOrigin: HUB, credentials: null, vary: 'Origin', corp: 'same-origin' });
      const replay = await form(HUB, { grant_type: 'authorization_code', client_id: 'hub', code, redirect_uri: APP_REDIRECT, code_verifier: s.verifier });
      expect([corsOf(replay), ((await replay.json()) as { error: string }).error]).toEqual([{ status: 400, allowOrigin: HUB, credentials: null, vary: 'Origin', corp: 'same-origin' }, 'invalid_grant']);

    });

    it('never answers another origin on those endpoints: exact origins of registered redirect URIs only, never reflected', async () => {
      const refused = [
        'https://evil.example', 'https://hub.example.com.evil.example', 'https://evil-hub.example.com', 'http://hub.example.com', 'https://hub.example.com:8443',
        'https://HUB.example.com', 'https://hub.example.com/', 'null', 'http://127.0.0.1:10', 'com.iqmetrix.rq:', '*',
      ];
      for (const origin of refused) {
        const res = await form(origin, { grant_type: 'refresh_token', client_id: 'hub', refresh_token: 'x' });
        await res.arrayBuffer();
        expect({ origin, ...corsOf(res) }).toEqual({ origin, status: 400, allowOrigin: null, credentials: null, vary: 'Origin', corp: 'same-origin' });
        const pre = await preflight(`${w.service.url}/oauth2/token`, origin, 'POST', 'content-type');
        const granted = [...pre.headers.keys()].filter((h) => h.startsWith('access-control-'));
        expect({ origin, status: pre.status, granted, vary: pre.headers.get('vary') }).toEqual({ origin, status: 204, granted: [], vary: 'Origin' });
      }
      // A loopback IP redirect URI (hub's http://127.0.0.1:9/app/callback, and these) is a native app's (RFC 8252 §7.3),
      // which calls without CORS, and it matches with any port: no origin of it is allowed, the registered port's neither.
      // A localhost one keeps its exact origin (it is matched exactly).
      await w.addApp('loop-app', { redirectUris: ['http://127.0.0.1/loop/cb', 'http://[::1]:8080/cb', 'http://localhost:8080/cb'] });
      const origins: Array<[string, string | null]> = [
        ['http://127.0.0.1:9', null], ['http://127.0.0.1', null], ['http://127.0.0.1:50123', null], ['http://[::1]:8080', null], ['http://[::1]', null],
        ['http://localhost:8080', 'http://localhost:8080'], ['http://localhost:8081', null], ['http://localhost', null],
      ];
      for (const [origin, allowed] of origins) {
        const token = await form(origin, { grant_type: 'refresh_token', client_id: 'loop-app', refresh_token: 'x' });
        const me = await fetch(`${w.service.url}/v1/me`, { headers: { origin } });
        await Promise.all([token.arrayBuffer(), me.arrayBuffer()]);
        expect({ origin, token: corsOf(token).allowOrigin, me: corsOf(me).allowOrigin }).toEqual({ origin, token: allowed, me: allowed });
      }
      // Without an Origin (a desktop app, a server) nothing changes but Vary.
      const plain = await form(undefined, { grant_type: 'refresh_token', client_id: 'hub', refresh_token: 'x' });
      expect(corsOf(plain)).toEqual({ status: 400, allowOrigin: null, credentials: null, vary: 'Origin', corp: 'same-origin' });
    });

    it('allows a newly registered client\'s origin at once', async () => {
      const origin = 'https://new-app.example.com';
      const before = await form(origin, { grant_type: 'refresh_token', client_id: 'hub', refresh_token: 'x' });
      expect(corsOf(before).allowOrigin).toBeNull();
      await w.addApp('new-app', { redirectUris: [`${origin}/signed-in`] });
      const after = await form(origin, { grant_type: 'refresh_token', client_id: 'new-app', refresh_token: 'x' });
      expect(corsOf(after).allowOrigin).toBe(origin);
    });

    it('never answers CORS on introspection, the admin API, the console, the sign-in and sign-out pages, health, metrics, SCIM or the docs', async () => {
      const cases: Array<[string, string]> = [
        ['POST', '/oauth2/introspect'], ['GET', '/admin/clients'], ['POST', '/admin/clients'], ['GET', '/console'], ['POST', '/console/api/session'],
        ['GET', '/oauth2/authorize'], ['GET', '/oauth2/callback'], ['GET', '/oauth2/logout'], ['GET', '/health/live'], ['GET', '/metrics'],
        ['GET', '/scim/v2/kentel/Users'], ['GET', '/docs/openapi.json'], ['GET', '/oauth2/nothing-here'],
      ];
      for (const [method, path] of cases) {
        for (const res of [await fetch(`${w.service.url}${path}`, { method, headers: { origin: HUB } }), await preflight(`${w.service.url}${path}`, HUB, method, 'authorization,content-type')]) {
          await res.arrayBuffer();
          const granted = [...res.headers.keys()].filter((h) => h.startsWith('access-control-'));
          expect({ method, path, granted, corp: res.headers.get('cross-origin-resource-policy') }).toEqual({ method, path, granted: [], corp: 'same-origin' });
        }
      }
    });
  });
});

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { connect } from 'node:net';
import * as oidc from 'openid-client';
import { Browser } from '../../tools/browser.js';
import { APP_REDIRECT, type TenantSetup, World } from '../support/world.js';

/** Details of the OAuth endpoints and the apps' API a tester found (client authentication, challenges, caching, scope, loopback redirects). */
describe('OAuth endpoint details', () => {
  let w: World;
  let kentel: TenantSetup;
  let rqSecret: string;
  const pat = { login: 'pat@kentel.com', password: 'Pat-pass1' };

  beforeAll(async () => {
    w = await World.start();
    kentel = await w.addTenant('kentel', ['kentel.com']);
    await w.addApp('hub');
    kentel.authServer.setUser(pat.login, { password: pat.password, sub: '00uNITS02', claims: { userName: pat.login, name: 'Pat', email: pat.login, security_group_name: 'Associate' } });
    rqSecret = (await w.addApp('rq-pos', { type: 'confidential' })).clientSecret!;
  });
  afterAll(() => w?.close());

  const token = async (authorization: string, form: Record<string, string> = { grant_type: 'refresh_token', refresh_token: 'x' }) => {
    const res = await fetch(`${w.service.url}/oauth2/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization }, body: new URLSearchParams(form) });
    return { status: res.status, body: (await res.json()) as Record<string, string>, challenge: res.headers.get('www-authenticate') };
  };

  it('says Basic credentials that are not the Base64 of id:secret are malformed, not that another scheme was used', async () => {
    const malformed = 'The Basic credentials are malformed: they must be the Base64 of client_id:client_secret (RFC 6749 section 2.3.1).';
    for (const authorization of ['Basic %%%', 'Basic', 'basic ', 'Basic a=b', 'Basic ====', `Basic ${Buffer.from('no-colon').toString('base64')}`, 'BASIC %%%']) {
      const res = await token(authorization);
      expect({ authorization, ...res }).toEqual({ authorization, status: 401, challenge: 'Basic realm="oauth2"', body: { error: 'invalid_client', error_description: malformed } });
    }
    for (const authorization of ['Bearer abc', 'Basicx YWJjOmRlZg==', 'Digest username="rq-pos"']) {
      const res = await token(authorization);
      expect({ authorization, ...res.body }).toEqual({ authorization, error: 'invalid_client', error_description: 'The Authorization header must use the Basic scheme.' });
    }
    // Well-formed Basic credentials still authenticate (the scheme's name in any case).
    for (const scheme of ['Basic', 'basic']) {
      const res = await token(`${scheme} ${Buffer.from(`rq-pos:${encodeURIComponent(rqSecret)}`).toString('base64')}`);
      expect([scheme, res.status, res.body.error, res.body.error_description]).toEqual([scheme, 400, 'invalid_grant', 'The refresh token is invalid.']);
    }
  });
  /** An access token for pat from a real sign-in through the hub app, with its refresh token. */
  async function signIn(params: Record<string, string> = {}) {
    const r = await w.signIn(await w.app('hub'), pat, params);
    if (!('tokens' in r) || !r.tokens) throw new Error(`sign-in failed: ${JSON.stringify(r)}`);
    return r.tokens;
  }
  const api = async (path: string, headers: Record<string, string> = {}) => {
    const res = await fetch(`${w.service.url}${path}`, { headers });
    return { status: res.status, challenge: res.headers.get('www-authenticate'), cacheControl: res.headers.get('cache-control'), body: (await res.json()) as Record<string, unknown> };
  };

  it('says a missing token on /v1/me and UserInfo as its challenge does (no error code), and names the realm in every challenge (RFC 6750 §3)', async () => {
    for (const path of ['/v1/me', '/v1/training/me', '/oauth2/userinfo']) {
      for (const headers of [{}, { authorization: 'Basic dXNlcjpwYXNz' }] as Array<Record<string, string>>) {
        const none = await api(path, headers);
        expect({ path, headers, status: none.status, challenge: none.challenge, title: none.body.title, error: none.body.error, detail: none.body.detail })
          .toEqual({ path, headers, status: 401, challenge: 'Bearer realm="api"', title: 'Unauthorized', error: undefined, detail: 'A bearer access token is required.' });
      }
      const junk = await api(path, { authorization: 'Bearer junk.junk.junk' });
      expect({ path, status: junk.status, challenge: junk.challenge, title: junk.body.title, error: junk.body.error })
        .toEqual({ path, status: 401, challenge: 'Bearer realm="api", error="invalid_token", error_description="The access token is invalid."', title: 'Unauthorized', error: 'invalid_token' });
    }
    // A production token on the training API: a token sent and bad, with the realm too.
    const tokens = await signIn();
    const wrong = await api('/v1/training/me', { authorization: `Bearer ${tokens.access_token}` });
    expect([wrong.status, wrong.challenge]).toEqual([401, 'Bearer realm="api", error="invalid_token", error_description="The access token is not for the training API."']);
  });
  it('answers /v1/me, /v1/training/me and /oauth2/userinfo with Cache-Control: no-store, the user (200) and every refusal alike', async () => {
    const tokens = await signIn();
    const bearer = { authorization: `Bearer ${tokens.access_token}` };
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const cases: Array<[string, string, RequestInit, number]> = [
      ['GET', '/v1/me', { headers: bearer }, 200],
      ['GET', '/v1/me', { headers: bearer }, 200], // a repeat: answered from the instance's caches
      ['POST', '/v1/me', { headers: { ...form }, body: new URLSearchParams({ access_token: tokens.access_token }).toString() }, 200],
      ['GET', '/v1/me', {}, 401],
      ['GET', '/v1/me', { headers: { authorization: 'Bearer junk.junk.junk' } }, 401],
      ['POST', '/v1/me', { headers: { ...bearer, ...form }, body: new URLSearchParams({ access_token: tokens.access_token }).toString() }, 400],
      ['DELETE', '/v1/me', { headers: bearer }, 405],
      ['GET', '/v1/training/me', { headers: bearer }, 401],
      ['GET', '/v1/training/me', {}, 401],
      ['GET', '/v1/nothing-here', {}, 404],
      ['GET', '/oauth2/userinfo', { headers: bearer }, 200],
      ['POST', '/oauth2/userinfo', { headers: bearer }, 200],
      ['GET', '/oauth2/userinfo', {}, 401],
      ['GET', '/oauth2/userinfo', { headers: { authorization: 'Bearer junk.junk.junk' } }, 401],
    ];
    for (const [method, path, init, status] of cases) {
      const res = await fetch(`${w.service.url}${path}`, { method, ...init });
      await res.arrayBuffer();
      expect({ method, path, status: res.status, cacheControl: res.headers.get('cache-control') }).toEqual({ method, path, status, cacheControl: 'no-store' });
    }
  });
  it('sends the browser to Okta with Cache-Control: no-store, like every other redirect of the flow', async () => {
    const url = new URL(`${w.service.url}/oauth2/authorize`);
    url.search = new URLSearchParams({ client_id: 'hub', redirect_uri: APP_REDIRECT, response_type: 'code', scope: 'openid', code_challenge: 'x'.repeat(43), code_challenge_method: 'S256', state: 's', login_hint: pat.login }).toString();
    for (const method of ['GET', 'POST'] as const) {
      const res = method === 'GET' ? await fetch(url, { redirect: 'manual' })
        : await fetch(`${w.service.url}/oauth2/authorize`, { method, redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: url.searchParams.toString() });
      const location = new URL(res.headers.get('location')!);
      expect({ method, status: res.status, to: `${location.origin}${location.pathname}`, cacheControl: res.headers.get('cache-control'), cookie: /iqsso_signin=/.test(res.headers.get('set-cookie') ?? '') })
        .toEqual({ method, status: 302, to: `${kentel.authServer.issuer}/v1/authorize`, cacheControl: 'no-store', cookie: true });
    }
  });
  describe('an empty scope parameter is malformed (RFC 6749 §3.3: at least one scope-token): invalid_scope, never an empty grant', () => {
    const refresh = (refreshToken: string, extra: Record<string, string> = {}) => w.tokenRequest({ clientId: 'hub' }, { grant_type: 'refresh_token', refresh_token: refreshToken, ...extra });

    it('at the refresh grant, where leaving scope out keeps the granted scope (§6); the refresh token stays usable', async () => {
      const tokens = await signIn();
      let current = tokens.refresh_token!;
      for (const scope of ['', ' ', '  ']) {
        const res = await refresh(current, { scope });
        expect({ scope, status: res.status, body: res.body }).toEqual({ scope, status: 400, body: { error: 'invalid_scope', error_description: 'scope is empty: leave it out to keep the scope granted at sign-in, or name the scopes to narrow it to.' } });
      }
      // Refused before the token was used: the same refresh token still works (no reuse detection, no lost grant).
      const kept = await refresh(current);
      expect([kept.status, kept.body.scope]).toEqual([200, 'openid profile email offline_access']);
      current = kept.body.refresh_token;
      const narrowed = await refresh(current, { scope: 'openid email' });
      expect([narrowed.status, narrowed.body.scope]).toEqual([200, 'openid email']);
    });

    it('a refresh asking for more than was granted is refused before the refresh token is used, so it stays usable', async () => {
      const tokens = await signIn({ scope: 'openid offline_access' });
      const wider = await refresh(tokens.refresh_token!, { scope: 'openid profile' });
      expect([wider.status, wider.body]).toEqual([400, { error: 'invalid_scope', error_description: 'A refresh may only narrow the originally granted scope.' }]);
      const again = await refresh(tokens.refresh_token!);
      expect([again.status, again.body.scope]).toEqual([200, 'openid offline_access']);
    });

    it('at the authorization endpoint (sent back to the app), and at the password grant', async () => {
      const url = new URL(`${w.service.url}/oauth2/authorize`);
      for (const scope of ['', ' ']) {
        url.search = new URLSearchParams({ client_id: 'hub', redirect_uri: APP_REDIRECT, response_type: 'code', scope, code_challenge: 'x'.repeat(43), code_challenge_method: 'S256', state: 's', login_hint: pat.login }).toString();
        const res = await fetch(url, { redirect: 'manual' });
        const back = new URL(res.headers.get('location') ?? 'about:blank');
        expect({ scope, status: res.status, to: `${back.origin}${back.pathname}`, error: back.searchParams.get('error'), description: back.searchParams.get('error_description') })
          .toEqual({ scope, status: 302, to: APP_REDIRECT, error: 'invalid_scope', description: 'scope is empty: leave it out to sign in with openid, or name the scopes.' });
      }
      const pos = await w.addApp('rq-pw', { type: 'confidential', grantTypes: ['password'] });
      const res = await w.passwordGrant(pos, pat.login, pat.password, { scope: '' });
      expect([res.status, res.body]).toEqual([400, { error: 'invalid_scope', error_description: 'scope is empty: leave it out to sign in with openid, or name the scopes.' }]);
    });
  });
  it('reads a scope as a set (RFC 6749 §3.3): a scope named twice is granted once, in the order first named, at authorize, refresh and the password grant', async () => {
    const decode = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as { scope: string };
    const tokens = await signIn({ scope: 'openid openid email  email profile openid offline_access' });
    expect([tokens.scope, decode(tokens.access_token).scope]).toEqual(['openid email profile offline_access', 'openid email profile offline_access']);
    const refreshed = await w.tokenRequest({ clientId: 'hub' }, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token!, scope: 'email openid email' });
    expect([refreshed.status, refreshed.body.scope, decode(refreshed.body.access_token).scope]).toEqual([200, 'email openid', 'email openid']);
    const pos = await w.addApp('rq-pw-set', { type: 'confidential', grantTypes: ['password'] });
    const config = await w.configOf('kentel');
    await w.putConfig('kentel', { ...config, okta: { ...config.okta, passwordGrant: true } });
    try {
      const password = await w.passwordGrant(pos, pat.login, pat.password, { scope: 'openid profile openid profile' });
      expect([password.status, password.body.scope, decode(password.body.access_token).scope]).toEqual([200, 'openid profile', 'openid profile']);
    } finally {
      await w.putConfig('kentel', config);
    }
  });
  it('keeps every error_description to the characters RFC 6749 allows there (§4.1.2.1, §5.2: no quote, backslash, TAB or non-ASCII), and bounded, however the request was spelled', async () => {
    const allowed = /^[\x20\x21\x23-\x5B\x5D-\x7E]*$/;
    const raw = async (body: string) => {
      const res = await fetch(`${w.service.url}/oauth2/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
      return { status: res.status, body: (await res.json()) as Record<string, string> };
    };
    const grantType = await raw(`client_id=hub&grant_type=${encodeURIComponent('é"\\x')}`);
    expect(grantType).toEqual({ status: 400, body: { error: 'unsupported_grant_type', error_description: 'grant_type ???x is not supported.' } });
    const key = encodeURIComponent('gr"ant\\é');
    const repeated = await raw(`${key}=1&${key}=2&grant_type=refresh_token&client_id=hub`);
    expect(repeated).toEqual({ status: 400, body: { error: 'invalid_request', error_description: 'The parameter gr?ant?? is repeated or malformed.' } });

    // At authorize, sent back to the app in the redirect; a long echo (40 parameters sent twice) is cut at 400 characters.
    const authorize = async (extra: string) => {
      const params = new URLSearchParams({ client_id: 'hub', redirect_uri: APP_REDIRECT, response_type: 'code', code_challenge: 'x'.repeat(43), code_challenge_method: 'S256', state: 's' });
      const res = await fetch(`${w.service.url}/oauth2/authorize?${params}&${extra}`, { redirect: 'manual' });
      const back = new URL(res.headers.get('location') ?? 'about:blank');
      return { status: res.status, error: back.searchParams.get('error'), description: back.searchParams.get('error_description') ?? '' };
    };
    expect(await authorize(`scope=${encodeURIComponent('openid é"\\\tx')}`)).toEqual({ status: 302, error: 'invalid_scope', description: 'Unsupported scope: ????x.' });
    const names = Array.from({ length: 40 }, (_, i) => `${String(i).padStart(2, '0')}${'n'.repeat(38)}`);
    const long = await authorize(names.map((n) => `${n}=1&${n}=2`).join('&'));
    expect(long).toEqual({ status: 302, error: 'invalid_request', description: `${`Parameters must not be repeated: ${names.join(', ')}.`.slice(0, 397)}...` });
    for (const description of [grantType.body.error_description, repeated.body.error_description, long.description]) expect(allowed.test(description!)).toBe(true);
  });
  describe('loopback redirect URIs (RFC 8252 §7.3): any port at request time, nothing else may differ', () => {
    const authorize = (redirectUri: string) => fetch(`${w.service.url}/oauth2/authorize?${new URLSearchParams({
      client_id: 'native', redirect_uri: redirectUri, response_type: 'code', scope: 'openid', code_challenge: 'x'.repeat(43), code_challenge_method: 'S256', state: 's', prompt: 'bogus',
    })}`, { redirect: 'manual' });
    const logout = (redirectUri: string) => fetch(`${w.service.url}/oauth2/logout?${new URLSearchParams({ client_id: 'native', post_logout_redirect_uri: redirectUri, state: 'bye' })}`, { redirect: 'manual' });

    beforeAll(async () => {
      await w.addApp('native', { redirectUris: ['http://127.0.0.1:9/cb?x=1', 'http://[::1]:9/cb', 'http://localhost:8080/cb'], postLogoutRedirectUris: ['http://127.0.0.1:9/bye'] });
    });

    it('accepts a registered http://127.0.0.1 or http://[::1] redirect URI with any port, and redirects to that port', async () => {
      for (const uri of ['http://127.0.0.1:9/cb?x=1', 'http://127.0.0.1:10/cb?x=1', 'http://127.0.0.1:49152/cb?x=1', 'http://127.0.0.1:65535/cb?x=1', 'http://127.0.0.1/cb?x=1', 'http://[::1]:5000/cb', 'http://[::1]/cb']) {
        const res = await authorize(uri);
        const location = res.headers.get('location') ?? '';
        expect({ uri, status: res.status, back: location.startsWith(`${uri}${uri.includes('?') ? '&' : '?'}error=invalid_request&`) }).toEqual({ uri, status: 302, back: true });
      }
      const out = await logout('http://127.0.0.1:4711/bye');
      expect([out.status, out.headers.get('location')]).toEqual([302, 'http://127.0.0.1:4711/bye?state=bye']);
    });

    it('refuses any other difference: path, query, host, scheme, a port out of range or written otherwise, and localhost with another port', async () => {
      for (const uri of [
        'http://127.0.0.1:10/cb', 'http://127.0.0.1:10/cb?x=2', 'http://127.0.0.1:10/cb?x=1&y=2', 'http://127.0.0.1:10/CB?x=1', 'http://127.0.0.1:10/cb/?x=1', 'http://127.0.0.1:10/cb?x=1#f',
        'http://[::1]:10/cb?x=1', 'http://127.0.0.1:10/other', 'http://127.0.0.2:10/cb?x=1', 'https://127.0.0.1:10/cb?x=1', 'http://user@127.0.0.1:10/cb?x=1',
        'http://127.0.0.1:65536/cb?x=1', 'http://127.0.0.1:010/cb?x=1', 'http://127.0.0.1:0/cb?x=1', 'http://127.0.0.1:/cb?x=1', 'http://2130706433:10/cb?x=1',
        'http://localhost:8081/cb', 'http://localhost/cb', 'http://127.0.0.1:8080/cb', 'http://[::1]:10/cb\r\nX: y',
      ]) {
        const res = await authorize(uri);
        expect({ uri, status: res.status, location: res.headers.get('location') }).toEqual({ uri, status: 400, location: null });
      }
      for (const uri of ['http://127.0.0.1:4711/bye/', 'http://[::1]:4711/bye', 'http://127.0.0.1:4711/cb?x=1']) {
        const res = await logout(uri);
        expect({ uri, status: res.status, location: res.headers.get('location') }).toEqual({ uri, status: 400, location: null });
      }
      // localhost is matched exactly, its own port included.
      expect((await authorize('http://localhost:8080/cb')).status).toBe(302);
    });

    it('a whole sign-in on another port: the code is bound to the redirect URI as the request named it', async () => {
      const app = await w.app('native');
      const redirectUri = 'http://127.0.0.1:50123/cb?x=1';
      const verifier = oidc.randomPKCECodeVerifier();
      const url = oidc.buildAuthorizationUrl(app, { redirect_uri: redirectUri, scope: 'openid', code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', login_hint: pat.login });
      const result = await new Browser().follow(url.href, { stopAt: 'http://127.0.0.1:50123/', username: pat.login, password: pat.password });
      const code = new URL(result.url).searchParams.get('code')!;
      const exchange = (uri: string) => w.tokenRequest({ clientId: 'native' }, { grant_type: 'authorization_code', code, redirect_uri: uri, code_verifier: verifier });
      const other = await exchange('http://127.0.0.1:9/cb?x=1');
      expect([other.status, other.body.error]).toEqual([400, 'invalid_grant']);
      const tokens = await exchange(redirectUri);
      expect([tokens.status, tokens.body.token_type]).toEqual([200, 'Bearer']);
    });

    it('registers a localhost redirect URI with a warning (RFC 8252 §8.3: NOT RECOMMENDED), and loopback IP ones without', async () => {
      const reason = 'uses localhost, which RFC 8252 §8.3 does not recommend: register http://127.0.0.1/… or http://[::1]/… instead, whose port may then be any at sign-in (a localhost URI is matched exactly, port included)';
      const res = await w.service.admin('POST', '/admin/clients', { clientId: 'desk', name: 'Desk', type: 'public', redirectUris: ['http://127.0.0.1:9/cb', 'http://localhost:9/cb'], postLogoutRedirectUris: ['http://localhost/bye'] });
      expect([res.status, res.body.warnings]).toEqual([201, [{ field: 'redirectUris[1]', reason }, { field: 'postLogoutRedirectUris[0]', reason }]]);
      const clean = await w.service.admin('POST', '/admin/clients', { clientId: 'desk2', name: 'Desk', type: 'public', redirectUris: ['http://127.0.0.1:9/cb', 'http://[::1]:9/cb'] });
      expect([clean.status, clean.body.warnings]).toEqual([201, []]);
    });
  });

  describe('authorize parameters read exactly as sent: a repeated or undecodable one is named as such (RFC 6749 §3.1, §4.1.2.1)', () => {
    const base = () => `client_id=hub&redirect_uri=${encodeURIComponent(APP_REDIRECT)}&response_type=code&scope=openid&code_challenge=${'x'.repeat(43)}&code_challenge_method=S256&tenant=kentel`;
    const read = async (res: Response) => {
      const location = res.headers.get('location');
      const back = location ? new URL(location) : undefined;
      return {
        status: res.status,
        ...(back?.href.startsWith(APP_REDIRECT) ? { error: back.searchParams.get('error'), description: back.searchParams.get('error_description'), state: back.searchParams.get('state') } : {}),
        ...(back && !back.href.startsWith(APP_REDIRECT) ? { to: `${back.origin}${back.pathname}` } : {}),
        ...(location ? {} : { page: /<p>([^<]*)<\/p>/.exec(await res.text())?.[1] }),
      };
    };
    const get = async (query: string) => read(await fetch(`${w.service.url}/oauth2/authorize?${query}`, { redirect: 'manual' }));
    const post = async (body: string) => read(await fetch(`${w.service.url}/oauth2/authorize`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body }));

    it('says a repeated client_id or redirect_uri is repeated on the page, not unregistered; missing ones are missing; others go back to the app', async () => {
      const uri = encodeURIComponent(APP_REDIRECT);
      expect(await get(`${base()}&redirect_uri=${uri}&state=s`)).toEqual({ status: 400, page: 'The application sent a malformed request: redirect_uri is repeated (parameters must not be repeated).' });
      expect(await get(`${base()}&client_id=hub&state=s`)).toEqual({ status: 400, page: 'The application sent a malformed request: client_id is repeated (parameters must not be repeated).' });
      expect(await post(`${base()}&redirect_uri=${uri}&state=s`)).toEqual({ status: 400, page: 'The application sent a malformed request: redirect_uri is repeated (parameters must not be repeated).' });
      expect(await get(base().replace('client_id=hub&', ''))).toEqual({ status: 400, page: 'The application did not identify itself (client_id is missing).' });
      expect(await get(base().replace(`redirect_uri=${uri}&`, ''))).toEqual({ status: 400, page: 'The application did not say where to return (redirect_uri is missing).' });
      for (const name of ['response_type=code', 'scope=openid', 'code_challenge_method=S256', 'nonce=n', 'prompt=login', 'login_hint=pat%40kentel.com', 'max_age=5', 'tenant=kentel']) {
        const key = name.split('=')[0];
        expect([key, await get(`${base()}&state=s&nonce=n&prompt=login&login_hint=pat%40kentel.com&max_age=5&${name}`)])
          .toEqual([key, { status: 302, error: 'invalid_request', description: `Parameters must not be repeated: ${key}.`, state: 's' }]);
      }
    });

    it('refuses a parameter whose percent-encoding is not UTF-8: on the page before the redirect_uri is known, to the app after (its state only if readable)', async () => {
      // An encoded surrogate (not UTF-8), a lone lead byte, a % without hex digits.
      expect(await get(`${base()}&state=%ED%A0%80`)).toEqual({ status: 302, error: 'invalid_request', description: 'state is not valid percent-encoded UTF-8.', state: null });
      expect(await get(`${base()}&state=s&nonce=%C3`)).toEqual({ status: 302, error: 'invalid_request', description: 'nonce is not valid percent-encoded UTF-8.', state: 's' });
      expect(await get(`${base()}&state=s&login_hint=50%zz`)).toEqual({ status: 302, error: 'invalid_request', description: 'login_hint is not valid percent-encoded UTF-8.', state: 's' });
      expect(await post(`${base()}&state=%ED%A0%80`)).toEqual({ status: 302, error: 'invalid_request', description: 'state is not valid percent-encoded UTF-8.', state: null });
      expect(await get(`${base().replace('client_id=hub', 'client_id=hub%FF')}&state=s`)).toEqual({ status: 400, page: 'The application sent a malformed request: client_id is not valid percent-encoded UTF-8.' });
      expect(await get(`${base()}&redirect_uri=%ED%A0%80&state=s`.replace(`redirect_uri=${encodeURIComponent(APP_REDIRECT)}&`, ''))).toEqual({ status: 400, page: 'The application sent a malformed request: redirect_uri is not valid percent-encoded UTF-8.' });
      // UTF-8 text, encoded, is read as it is: the sign-in goes on to Okta.
      expect(await get(`${base()}&state=caf%C3%A9%F0%9F%98%80`)).toEqual({ status: 302, to: `${kentel.authServer.issuer}/v1/authorize` });
    });

    it('reads none of several unreadable parameters: the state is echoed only if it is readable itself, a page names client_id or redirect_uri', async () => {
      const foo = { status: 302, error: 'invalid_request', description: 'foo is not valid percent-encoded UTF-8.', state: null };
      expect(await get(`${base()}&foo=%zz&state=%C3`)).toEqual(foo); // not U+FFFD back
      expect(await get(`${base()}&foo=%zz&state=%zz`)).toEqual(foo); // not %25zz back
      expect(await post(`${base()}&foo=%zz&state=%C3`)).toEqual(foo);
      expect(await get(`${base()}&foo=%zz&state=s`)).toEqual({ ...foo, state: 's' });
      // A raw byte that is not UTF-8 (Latin-1 é) in a form body is as unreadable as a percent-encoded one.
      const latin1 = (text: string) => Buffer.concat([Buffer.from(base()), Buffer.from(text, 'latin1')]);
      const raw = async (body: Buffer) => read(await fetch(`${w.service.url}/oauth2/authorize`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body }));
      const state = { status: 302, error: 'invalid_request', description: 'state is not valid percent-encoded UTF-8.', state: null };
      expect(await raw(latin1('&state=caf\u00e9&foo=%zz'))).toEqual(state);
      expect(await raw(latin1('&state=caf\u00e9'))).toEqual(state);
      expect(await raw(Buffer.from(`${base()}&state=café`))).toEqual({ status: 302, to: `${kentel.authServer.issuer}/v1/authorize` }); // raw UTF-8 is text
      const page = (name: string) => ({ status: 400, page: `The application sent a malformed request: ${name} is not valid percent-encoded UTF-8.` });
      expect(await get(`foo=%zz&client_id=hub&redirect_uri=%C3`)).toEqual(page('redirect_uri'));
      expect(await get(`foo=%zz&${base().replace('client_id=hub', 'client_id=%zz')}`)).toEqual(page('client_id'));
    });

    it('says a raw byte above 0x7F in the request line is not HTTP (Node refuses it before any handler: only a body can carry one)', async () => {
      const { port } = new URL(w.service.url);
      const reply = await new Promise<string>((resolve, reject) => {
        const socket = connect(Number(port), '127.0.0.1', () => socket.write(Buffer.concat([Buffer.from(`GET /oauth2/authorize?${base()}&state=caf`), Buffer.from([0xe9]), Buffer.from(' HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')])));
        let text = '';
        socket.on('data', (d) => (text += d.toString()));
        socket.on('end', () => resolve(text));
        socket.on('error', reject);
      });
      expect([reply.split('\r\n')[0], reply.slice(reply.indexOf('\r\n\r\n') + 4)])
        .toEqual(['HTTP/1.1 400 Bad Request', JSON.stringify({ type: 'about:blank', title: 'Bad Request', status: 400, detail: 'The request could not be read as HTTP.' })]);
    });

    it('refuses it at the token endpoint (form and query) and the callback too, each in its own form', async () => {
      const form = async (path: string, body: string) => {
        const res = await fetch(`${w.service.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
        return { status: res.status, body: await res.json() };
      };
      expect(await form('/oauth2/token', 'grant_type=refresh_token&refresh_token=x&client_id=%ED%A0%80'))
        .toEqual({ status: 400, body: { error: 'invalid_request', error_description: 'client_id is not valid percent-encoded UTF-8.' } });
      expect(await form('/oauth2/token?client_id=%E9', 'grant_type=refresh_token&refresh_token=x&client_id=hub'))
        .toEqual({ status: 400, body: { error: 'invalid_request', error_description: 'client_id is not valid percent-encoded UTF-8.' } });
      expect(await read(await fetch(`${w.service.url}/oauth2/callback?code=c&state=%ED%A0%80`, { redirect: 'manual' })))
        .toEqual({ status: 400, page: 'state is not valid percent-encoded UTF-8.' });
      const me = await fetch(`${w.service.url}/v1/me?fields=%FF`);
      expect([me.status, await me.json()]).toEqual([400, expect.objectContaining({ detail: 'The request query is not valid percent-encoded UTF-8.', errors: [{ field: 'fields', reason: 'is not valid percent-encoded UTF-8' }] })]);
      // Every unreadable parameter counts there too: a raw Latin-1 byte in a token request's form, after a bad one.
      expect(await form('/oauth2/token', 'grant_type=refresh_token&refresh_token=x&foo=%zz&client_id=hub%E9'))
        .toEqual({ status: 400, body: { error: 'invalid_request', error_description: 'foo is not valid percent-encoded UTF-8.' } });
      const latin1 = await fetch(`${w.service.url}/oauth2/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: Buffer.from('grant_type=refresh_token&refresh_token=x&client_id=hub\u00e9', 'latin1') });
      expect([latin1.status, await latin1.json()]).toEqual([400, { error: 'invalid_request', error_description: 'client_id is not valid percent-encoded UTF-8.' }]);
    });

    it('names an unreadable parameter cut at 40 characters, never at half an emoji (no lone surrogate in the answer)', async () => {
      const name = `${'a'.repeat(39)}😀b`;
      const shown = `${'a'.repeat(39)}😀`;
      const me = await fetch(`${w.service.url}/v1/me?${encodeURIComponent(name)}=%FF`);
      const text = await me.text();
      expect([me.status, text.includes('\\ud83d'), JSON.parse(text).errors]).toEqual([400, false, [{ field: shown, reason: 'is not valid percent-encoded UTF-8' }]]);
      expect(await read(await fetch(`${w.service.url}/oauth2/callback?code=c&${encodeURIComponent(name)}=%FF`, { redirect: 'manual' })))
        .toEqual({ status: 400, page: `${shown} is not valid percent-encoded UTF-8.` });
      expect(await get(`${base()}&state=s&${encodeURIComponent(name)}=%FF`))
        .toEqual({ status: 302, error: 'invalid_request', description: `${'a'.repeat(39)}? is not valid percent-encoded UTF-8.`, state: 's' });
      expect(await get(`${base()}&state=s&${encodeURIComponent(name)}=1&${encodeURIComponent(name)}=2`))
        .toEqual({ status: 302, error: 'invalid_request', description: `Parameters must not be repeated: ${'a'.repeat(39)}?.`, state: 's' });
    });
  });
});

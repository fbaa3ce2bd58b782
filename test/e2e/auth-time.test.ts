import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as oidc from 'openid-client';
import { Browser } from '../../tools/browser.js';
import { type TenantSetup, World } from '../support/world.js';

type Tokens = oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers;

/**
 * auth_time (OIDC Core §2, §3.1.2.1) between the tenant's Okta and the app: after prompt=login or max_age went to
 * Okta, Okta's auth_time must be there and fresh enough, or the app gets login_required; when neither was sent and
 * Okta says nothing, our tokens say nothing either (no authentication time is made up), and such a session is not
 * reused for a later max_age.
 */
describe('auth_time', () => {
  let w: World;
  let acme: TenantSetup;
  let app: oidc.Configuration;
  const erin = { login: 'erin@acme.com', password: 'Er1n-pass' };

  beforeAll(async () => {
    w = await World.start();
    acme = await w.addTenant('acme', ['acme.com']);
    await w.addApp('hub');
    app = await w.app('hub');
    acme.authServer.setUser(erin.login, {
      password: erin.password, sub: '00uERIN0001',
      claims: { userName: erin.login, name: 'Erin', family_name: 'Eve', email: erin.login, security_group_name: 'Associate' },
    });
  });
  afterAll(() => w?.close());

  const oktaAuthorizes = () => acme.authServer.requestsTo('authorize').filter((r) => r.query.client_id !== undefined);

  /** The next ID token from Okta's token endpoint, re-signed with its auth_time changed (undefined: removed). */
  function nextAuthTime(change: (real: number) => number | undefined) {
    acme.authServer.faults.next('token', {
      transform: async (body) => {
        const { auth_time: real, ...claims } = JSON.parse(Buffer.from(body.id_token.split('.')[1], 'base64url').toString());
        const authTime = change(real);
        return { ...body, id_token: await acme.authServer.signJwt({ ...claims, ...(authTime === undefined ? {} : { auth_time: authTime }) }) };
      },
    });
  }

  async function signIn(params: Record<string, string>, browser = new Browser()) {
    const s = await w.startSignIn(app, erin, params, browser);
    if (!s.callback) throw new Error(`stopped at ${s.result.url}: ${s.result.response?.body.slice(0, 300)}`);
    const error = s.callback.searchParams.get('error');
    if (error) return { error, description: s.callback.searchParams.get('error_description') };
    const tokens: Tokens = await oidc.authorizationCodeGrant(app, s.callback, { pkceCodeVerifier: s.verifier, expectedState: s.state, expectedNonce: s.nonce });
    return { tokens };
  }

  const accessClaims = (t: Tokens) => JSON.parse(Buffer.from(t.access_token.split('.')[1]!, 'base64url').toString());

  it('passes on the auth_time Okta vouched for, and checks it against max_age sent to Okta', async () => {
    const now = Math.floor(Date.now() / 1000);
    nextAuthTime(() => now - 100);
    const ok = await signIn({ max_age: '300' });
    expect(ok.error).toBeUndefined();
    expect(ok.tokens!.claims()!.auth_time).toBe(now - 100);
    expect(accessClaims(ok.tokens!).auth_time).toBe(now - 100);
    expect(oktaAuthorizes().at(-1)!.query.max_age).toBe('300');

    // Okta answered max_age=300 with an authentication 10 minutes old: not what the app asked for.
    nextAuthTime(() => now - 600);
    expect(await signIn({ max_age: '300' })).toEqual({ error: 'login_required', description: "Your company's Okta did not ask you to sign in again, though this application asked for a recent sign-in. Sign in again." });
    // …within the 60 s clock skew it is accepted.
    nextAuthTime(() => now - 340);
    expect((await signIn({ max_age: '300' })).error).toBeUndefined();
  });

  it('after prompt=login (or max_age=0) sent to Okta, refuses an auth_time from before the request, or none', async () => {
    nextAuthTime((real) => real - 3600);
    expect(await signIn({ prompt: 'login' })).toEqual({ error: 'login_required', description: "Your company's Okta did not ask you to sign in again, though this application asked for a recent sign-in. Sign in again." });
    expect(oktaAuthorizes().at(-1)!.query.prompt).toBe('login');
    nextAuthTime((real) => real - 3600);
    expect((await signIn({ max_age: '0' })).error).toBe('login_required');
    nextAuthTime(() => undefined);
    expect(await signIn({ prompt: 'login' })).toEqual({ error: 'login_required', description: "Your company's Okta did not say when you signed in (auth_time), which this application needs. Sign in again." });
    nextAuthTime(() => undefined);
    expect((await signIn({ max_age: '600' })).error).toBe('login_required');
    // What Okta really sends after prompt=login: a fresh authentication.
    const fresh = await signIn({ prompt: 'login' });
    expect(fresh.error).toBeUndefined();
    expect(fresh.tokens!.claims()!.auth_time).toBeGreaterThanOrEqual(Math.floor(Date.now() / 1000) - 60);
  });

  it('when Okta says nothing and nothing was asked: no auth_time in our tokens, and the session is not reused for max_age', async () => {
    const browser = new Browser();
    nextAuthTime(() => undefined);
    const first = await signIn({}, browser);
    expect(first.error).toBeUndefined();
    expect(first.tokens!.claims()!.auth_time).toBeUndefined();
    expect(accessClaims(first.tokens!).auth_time).toBeUndefined();
    const sid = first.tokens!.claims()!.sid;
    // The session serves a request without max_age (no authentication time is claimed for it either)…
    const before = oktaAuthorizes().length;
    const reused = await signIn({}, browser);
    expect(oktaAuthorizes()).toHaveLength(before);
    expect(reused.tokens!.claims()).toMatchObject({ sid });
    expect(reused.tokens!.claims()!.auth_time).toBeUndefined();
    // …and its refresh token carries none either.
    const refreshed = await oidc.refreshTokenGrant(app, reused.tokens!.refresh_token!);
    expect(accessClaims(refreshed).auth_time).toBeUndefined();
    // A max_age, however long, cannot be met by an authentication of unknown time: the user goes to Okta.
    const aged = await signIn({ max_age: '86400' }, browser);
    expect(oktaAuthorizes()).toHaveLength(before + 1);
    expect(oktaAuthorizes().at(-1)!.query.max_age).toBe('86400');
    expect(typeof aged.tokens!.claims()!.auth_time).toBe('number');
  });
});

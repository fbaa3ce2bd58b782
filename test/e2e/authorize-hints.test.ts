import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as oidc from 'openid-client';
import { Browser } from '../../tools/browser.js';
import { APP_REDIRECT, type TenantSetup, World } from '../support/world.js';

type Tokens = oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers;
type Started = Awaited<ReturnType<World['startSignIn']>>;

/**
 * /oauth2/authorize and the users its hints name, on a shared store terminal where this service's session is one
 * person's: an id_token_hint (OIDC Core §3.1.2.1) or a login_hint naming someone else is not answered from that
 * session.
 */
describe('authorize: the users named by hints', () => {
  let w: World;
  let kentel: TenantSetup;
  let app: oidc.Configuration;
  const dana = { login: 'dana@kentel.com', password: 'D4na-pass' };
  const jane = { login: 'jane@kentel.com', password: 'J4ne-pass' };
  // A tenant whose username claim is not the email the apps send as the hint.
  const john = { login: 'jsmith@kentel.com', password: 'J0hn-pass' };

  beforeAll(async () => {
    w = await World.start({ TRAINING_POOL_SIZE: '2' });
    kentel = await w.addTenant('kentel', ['kentel.com'], { usernameRewrites: [{ from: 'yvr.kentel.local', to: 'kentel.com' }], training: { enabled: true } });
    await w.addApp('hub');
    app = await w.app('hub');
    kentel.authServer.setUser(dana.login, {
      password: dana.password, sub: '00uDANA00002',
      claims: { userName: dana.login, name: 'Dana', family_name: 'Diaz', email: dana.login, security_group_name: 'Associate' },
    });
    kentel.authServer.setUser(jane.login, {
      password: jane.password, sub: '00uJANE00002',
      claims: { userName: jane.login, name: 'Jane', family_name: 'Jones', email: jane.login, security_group_name: 'Associate' },
    });
    kentel.authServer.setUser(john.login, {
      password: john.password, sub: '00uJOHN00002',
      claims: { userName: john.login, name: 'John', family_name: 'Smith', email: 'john.smith@kentel.com', security_group_name: 'Associate' },
    });
  });
  afterAll(() => w?.close());

  /** Authorization requests the tenant's Okta received (not its internal resume hops). */
  const oktaAuthorizes = () => kentel.authServer.requestsTo('authorize').filter((r) => r.query.client_id !== undefined);

  async function exchange(s: Started): Promise<Tokens> {
    if (!s.callback) throw new Error(`stopped at ${s.result.url}: ${s.result.response?.body.slice(0, 300)}`);
    if (s.callback.searchParams.get('error')) throw new Error(`error: ${s.callback.searchParams.get('error_description')}`);
    return oidc.authorizationCodeGrant(app, s.callback, { pkceCodeVerifier: s.verifier, expectedState: s.state, expectedNonce: s.nonce });
  }
  const errorOf = (s: Started) => ({ error: s.callback?.searchParams.get('error'), description: s.callback?.searchParams.get('error_description') });

  describe('id_token_hint', () => {
    it("an ID token of another user than the session's: prompt=none is login_required, otherwise Okta signs someone in again", async () => {
      const terminal = new Browser();
      const danas = await exchange(await w.startSignIn(app, dana, {}, terminal));
      const janes = await exchange(await w.startSignIn(app, jane));
      const before = oktaAuthorizes().length;

      // Dana's own ID token names the session's user: answered from the session, as without a hint.
      const same = await exchange(await w.startSignIn(app, dana, { prompt: 'none', id_token_hint: danas.id_token! }, terminal));
      expect(same.claims()).toMatchObject({ sub: danas.claims()!.sub, sid: danas.claims()!.sid });
      expect(oktaAuthorizes()).toHaveLength(before);

      // Jane's, with a login_hint naming Dana (or none): Dana's session does not answer for Jane.
      for (const login_hint of [dana.login, '']) {
        expect(errorOf(await w.startSignIn(app, dana, { prompt: 'none', login_hint, id_token_hint: janes.id_token! }, terminal)))
          .toEqual({ error: 'login_required', description: 'The id_token_hint names another user than the one signed in here; prompt=none cannot be satisfied.' });
      }
      expect(oktaAuthorizes()).toHaveLength(before);

      // Without prompt=none: Okta is asked to sign someone in again (its own session is Dana's); Jane does.
      const other = await exchange(await w.startSignIn(app, jane, { login_hint: '', id_token_hint: janes.id_token! }, terminal));
      expect(oktaAuthorizes()).toHaveLength(before + 1);
      expect(oktaAuthorizes().at(-1)!.query.prompt).toBe('login');
      expect(other.claims()).toMatchObject({ sub: janes.claims()!.sub, preferred_username: jane.login });
      expect(other.claims()!.sid).not.toBe(danas.claims()!.sid);
    });

    it('an ID token of the other environment never names the session user, even the same person: it counts as someone else', async () => {
      const terminal = new Browser();
      const production = await exchange(await w.startSignIn(app, dana, {}, terminal));
      const training = await exchange(await w.startSignIn(app, dana, { environment: 'training' }, terminal));
      expect(training.claims()).toMatchObject({ env: 'training' });
      const before = oktaAuthorizes().length;
      expect(errorOf(await w.startSignIn(app, dana, { prompt: 'none', id_token_hint: training.id_token! }, terminal)))
        .toEqual({ error: 'login_required', description: 'The id_token_hint names another user than the one signed in here; prompt=none cannot be satisfied.' });
      expect(errorOf(await w.startSignIn(app, dana, { prompt: 'none', environment: 'training', id_token_hint: production.id_token! }, terminal)))
        .toEqual({ error: 'login_required', description: 'The id_token_hint names another user than the one signed in here; prompt=none cannot be satisfied.' });
      expect(oktaAuthorizes()).toHaveLength(before);
      // Each environment's own token does name its session's user.
      const again = await exchange(await w.startSignIn(app, dana, { prompt: 'none', environment: 'training', id_token_hint: training.id_token! }, terminal));
      expect(again.claims()).toMatchObject({ sub: training.claims()!.sub, sid: training.claims()!.sid });
    });

    it('a hint that is not one of our ID tokens is invalid_request, back to the app', async () => {
      const terminal = new Browser();
      const danas = await exchange(await w.startSignIn(app, dana, {}, terminal));
      const [header, payload, signature] = danas.id_token!.split('.');
      const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
      const altered = `${header}.${Buffer.from(JSON.stringify({ ...claims, sub: 'someone-else' })).toString('base64url')}.${signature}`;
      const oktas = await kentel.authServer.signJwt({ iss: kentel.authServer.issuer, sub: '00uDANA00002', aud: 'hub', env: 'production', iat: 1, exp: 2 });
      const before = oktaAuthorizes().length;
      for (const id_token_hint of ['junk', altered, oktas, danas.access_token]) {
        const s = await w.startSignIn(app, dana, { prompt: 'none', id_token_hint }, terminal);
        expect(`${s.callback?.origin}${s.callback?.pathname}`).toBe(APP_REDIRECT);
        expect(errorOf(s)).toEqual({ error: 'invalid_request', description: 'id_token_hint is not an ID token issued by this service.' });
        expect(s.callback?.searchParams.get('state')).toBe(s.state);
      }
      expect(oktaAuthorizes()).toHaveLength(before);
    });
  });

  describe('login_hint', () => {
    it("names the session's user by username or by email (case, the tenant's rewrite), so apps sending the email keep single sign-on", async () => {
      const terminal = new Browser();
      const first = await exchange(await w.startSignIn(app, john, {}, terminal));
      expect(first.claims()).toMatchObject({ preferred_username: 'jsmith@kentel.com', email: 'john.smith@kentel.com' });
      const before = oktaAuthorizes().length;
      for (const login_hint of ['john.smith@kentel.com', 'John.Smith@Kentel.com', 'john.smith@yvr.kentel.local', 'JSmith@kentel.com']) {
        const same = await exchange(await w.startSignIn(app, john, { login_hint, prompt: 'none' }, terminal));
        expect({ login_hint, ...same.claims() }).toMatchObject({ login_hint, sub: first.claims()!.sub, sid: first.claims()!.sid });
      }
      expect(oktaAuthorizes()).toHaveLength(before);
      // Someone else's address is still someone else.
      for (const login_hint of [jane.login, 'john.smit@kentel.com']) {
        expect({ login_hint, ...errorOf(await w.startSignIn(app, john, { login_hint, prompt: 'none' }, terminal)) })
          .toEqual({ login_hint, error: 'login_required', description: 'The login_hint names another user than the one signed in here; prompt=none cannot be satisfied.' });
      }
      expect(oktaAuthorizes()).toHaveLength(before);
    });
  });

  describe('the fresh sign-in asked for when another user is named', () => {
    /** The next ID token from Okta's token endpoint, re-signed with its auth_time changed (undefined: removed). */
    function nextAuthTime(change: (real: number) => number | undefined) {
      kentel.authServer.faults.next('token', {
        transform: async (body) => {
          const { auth_time: real, ...claims } = JSON.parse(Buffer.from(body.id_token.split('.')[1], 'base64url').toString());
          const authTime = change(real);
          return { ...body, id_token: await kentel.authServer.signJwt({ ...claims, ...(authTime === undefined ? {} : { auth_time: authTime }) }) };
        },
      });
    }

    it("is checked like prompt=login (Okta must not answer with the previous user's session) but said as what it is, not as the app's", async () => {
      const terminal = new Browser();
      await exchange(await w.startSignIn(app, dana, {}, terminal));
      const other = 'Another person than the one signed in on this device was named, so your company\'s Okta had to ask for a new sign-in';
      nextAuthTime((real) => real - 3600);
      expect(errorOf(await w.startSignIn(app, jane, {}, terminal)))
        .toEqual({ error: 'login_required', description: `${other}, but it did not ask you to sign in again. Sign in again.` });
      expect(oktaAuthorizes().at(-1)!.query).toMatchObject({ prompt: 'login', login_hint: jane.login });
      nextAuthTime(() => undefined);
      expect(errorOf(await w.startSignIn(app, jane, {}, terminal)))
        .toEqual({ error: 'login_required', description: `${other}, but it did not say when you signed in (auth_time). Sign in again.` });
      const audit = (await w.audits('kentel')).at(-1)!;
      expect(JSON.stringify(audit)).toContain(`${other}, but it did not say when you signed in (auth_time).`);

      // A fresh answer: Jane, with the auth_time Okta vouched for.
      const jane1 = await exchange(await w.startSignIn(app, jane, {}, terminal));
      expect(jane1.claims()).toMatchObject({ preferred_username: jane.login });
      expect(jane1.claims()!.auth_time).toBeGreaterThanOrEqual(Math.floor(Date.now() / 1000) - 60);
    });
  });

  it('POST /oauth2/authorize takes a form only (OIDC Core §3.1.2.1): another body is an error page, never a redirect', async () => {
    const params = { client_id: 'hub', redirect_uri: APP_REDIRECT, response_type: 'code', scope: 'openid', code_challenge: 'x'.repeat(43), code_challenge_method: 'S256', state: 's', login_hint: dana.login };
    const post = async (contentType: string | undefined, body: string) => {
      const res = await fetch(`${w.service.url}/oauth2/authorize`, { method: 'POST', redirect: 'manual', headers: contentType ? { 'content-type': contentType } : {}, body });
      const text = await res.text();
      return { status: res.status, type: res.headers.get('content-type'), location: res.headers.get('location'), text };
    };
    for (const [contentType, body] of [['application/json', JSON.stringify(params)], ['text/plain', new URLSearchParams(params).toString()], [undefined, new URLSearchParams(params).toString()]] as const) {
      const res = await post(contentType, body);
      expect({ contentType, status: res.status, type: res.type, location: res.location }).toEqual({ contentType, status: 415, type: 'text/html; charset=utf-8', location: null });
      expect(res.text).toContain('Sign-in could not start');
      expect(res.text).toContain('A sign-in request sent by POST must be a form (application/x-www-form-urlencoded).');
    }
    // The form still starts the sign-in.
    const form = await post('application/x-www-form-urlencoded', new URLSearchParams(params).toString());
    expect([form.status, new URL(form.location!).pathname]).toEqual([302, new URL(`${kentel.authServer.issuer}/v1/authorize`).pathname]);
  });
});

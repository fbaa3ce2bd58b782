import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as oidc from 'openid-client';
import { Browser } from '../../tools/browser.js';
import { APP_REDIRECT, type TenantSetup, World } from '../support/world.js';

const APP_SIGNED_OUT = 'http://127.0.0.1:9/app/signed-out';
type Tokens = oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers;

/**
 * This service's SSO session and RP-initiated logout, on the real Okta stand-in: a second authorize in the same
 * browser skips Okta; logout ends the session, revokes its tokens, signs the user out of the tenant's Okta with
 * the Okta ID token as hint, and returns to the app; the next authorize asks the tenant's Okta again.
 */
describe('SSO session and sign-out', () => {
  let w: World;
  let kentel: TenantSetup;
  let app: oidc.Configuration;
  let api: oidc.Configuration;
  const dana = { login: 'dana@kentel.com', password: 'D4na-pass' };
  const jane = { login: 'jane@kentel.com', password: 'J4ne-pass' };

  beforeAll(async () => {
    w = await World.start();
    kentel = await w.addTenant('kentel', ['kentel.com'], { usernameRewrites: [{ from: 'yvr.kentel.local', to: 'kentel.com' }] });
    await w.addApp('hub', { postLogoutRedirectUris: [APP_SIGNED_OUT] });
    app = await w.app('hub');
    const secret = (await w.addApp('rq-api', { type: 'confidential', introspection: true })).clientSecret!;
    api = await w.app('rq-api', secret);
    kentel.authServer.setUser(dana.login, {
      password: dana.password,
      sub: '00uDANA00001',
      claims: { userName: 'dana@kentel.com', name: 'Dana', family_name: 'Diaz', email: 'dana@kentel.com', security_group_name: 'Associate' },
    });
    kentel.authServer.setUser(jane.login, {
      password: jane.password,
      sub: '00uJANE00001',
      claims: { userName: 'jane@kentel.com', name: 'Jane', family_name: 'Jones', email: 'jane@kentel.com', security_group_name: 'Associate' },
    });
  });
  afterAll(() => w?.close());

  /** Authorization requests the tenant's Okta received (not its internal resume hops). */
  const oktaAuthorizes = () => kentel.authServer.requestsTo('authorize').filter((r) => r.query.client_id !== undefined);

  async function exchange(s: Awaited<ReturnType<World['startSignIn']>>): Promise<Tokens> {
    if (!s.callback) throw new Error(`stopped at ${s.result.url}: ${s.result.response?.body.slice(0, 300)}`);
    return oidc.authorizationCodeGrant(app, s.callback, { pkceCodeVerifier: s.verifier, expectedState: s.state, expectedNonce: s.nonce });
  }

  it('discovery lists the end-session endpoint', () => {
    expect(app.serverMetadata().end_session_endpoint).toBe(`${w.service.url}/oauth2/logout`);
  });

  it('a live session skips Okta; prompt=login and max_age=0 go back to it; prompt=none works only with a session', async () => {
    const browser = new Browser();
    const none = await w.startSignIn(app, dana, { prompt: 'none', login_hint: '' }, browser);
    expect(none.callback?.searchParams.get('error')).toBe('login_required');

    const first = await exchange(await w.startSignIn(app, dana, {}, browser));
    const sid = first.claims()!.sid;
    expect(sid).toMatch(/^[0-9a-f-]{36}$/);
    const cookie = browser.jar.all().find((c) => c.name === 'iqsso_session')!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'lax', path: '/' });

    const before = oktaAuthorizes().length;
    const second = await exchange(await w.startSignIn(app, dana, { login_hint: '' }, browser)); // no hint: the session says which tenant
    expect(oktaAuthorizes()).toHaveLength(before);
    expect(second.claims()).toMatchObject({ sid, sub: first.claims()!.sub, auth_time: first.claims()!.auth_time });
    const silent = await exchange(await w.startSignIn(app, dana, { prompt: 'none' }, browser));
    expect(silent.claims()!.sid).toBe(sid);
    expect(oktaAuthorizes()).toHaveLength(before);

    await exchange(await w.startSignIn(app, dana, { prompt: 'login' }, browser));
    expect(oktaAuthorizes()).toHaveLength(before + 1);
    expect(oktaAuthorizes().at(-1)!.query.prompt).toBe('login');
    await exchange(await w.startSignIn(app, dana, { max_age: '0' }, browser));
    expect(oktaAuthorizes()).toHaveLength(before + 2);
    expect(oktaAuthorizes().at(-1)!.query.max_age).toBe('0');
  });

  it("a login_hint naming another user than the session's goes to Okta to sign in again (prompt=none: login_required)", async () => {
    // A shared store terminal: Dana is signed in; Jane takes over and the app names her.
    const browser = new Browser();
    const first = await exchange(await w.startSignIn(app, dana, {}, browser));
    const before = oktaAuthorizes().length;
    // The session's own user, however the hint is written (case, the tenant's username rewrite): no trip to Okta.
    for (const login_hint of ['DANA@Kentel.com', 'dana@yvr.kentel.local']) {
      const same = await exchange(await w.startSignIn(app, dana, { login_hint }, browser));
      expect(same.claims()).toMatchObject({ sub: first.claims()!.sub, sid: first.claims()!.sid });
    }
    expect(oktaAuthorizes()).toHaveLength(before);

    const silent = await w.startSignIn(app, jane, { prompt: 'none' }, browser);
    expect(silent.callback?.searchParams.get('error')).toBe('login_required');
    expect(oktaAuthorizes()).toHaveLength(before);

    // Okta is asked to sign someone in again (its own session is Dana's), with Jane's name filled in.
    const other = await exchange(await w.startSignIn(app, jane, {}, browser));
    expect(oktaAuthorizes()).toHaveLength(before + 1);
    expect(oktaAuthorizes().at(-1)!.query).toMatchObject({ login_hint: 'jane@kentel.com', prompt: 'login' });
    expect(other.claims()!.sub).not.toBe(first.claims()!.sub);
    expect(other.claims()!.preferred_username).toBe('jane@kentel.com');
    expect(other.claims()!.sid).not.toBe(first.claims()!.sid);
  });

  it('logout ends the session, revokes its tokens, signs out at Okta with the Okta ID token, returns to the app; the next authorize asks Okta again', async () => {
    const browser = new Browser();
    const a = await exchange(await w.startSignIn(app, dana, {}, browser));
    const b = await exchange(await w.startSignIn(app, dana, {}, browser)); // same session, second grant
    const sid = a.claims()!.sid as string;
    expect(b.claims()!.sid).toBe(sid);
    // The Okta ID token is kept for the logout hint in this browser only: sealed, in a cookie sent only to
    // /oauth2/logout, never in clear, and not in the database.
    const columns = await w.db.query(`SELECT column_name FROM information_schema.columns WHERE table_name = 'sso_sessions'`);
    expect(columns.map((c) => c.column_name)).not.toContain('upstream_id_token');
    const sealed = browser.jar.get('iqsso_session_hint', new URL(`${w.service.url}/oauth2/logout`));
    expect(sealed?.httpOnly).toBe(true);
    const sealedValue = sealed!.value; // compared below with the Okta ID token the logout unseals from it
    expect(browser.jar.get('iqsso_session_hint', new URL(`${w.service.url}/oauth2/authorize`))).toBeUndefined();

    const logout = new URL(`${w.service.url}/oauth2/logout`);
    logout.search = new URLSearchParams({ id_token_hint: a.id_token!, post_logout_redirect_uri: APP_SIGNED_OUT, state: 'bye-123' }).toString();
    const out = await browser.follow(logout.href, { stopAt: APP_SIGNED_OUT });
    expect(out.reached).toBe(true);
    expect(new URL(out.url).searchParams.get('state')).toBe('bye-123');

    const oktaLogout = kentel.authServer.requestsTo('logout').filter((r) => r.query.id_token_hint).at(-1)!;
    const hint = oktaLogout.query.id_token_hint!;
    const oktaClaims = JSON.parse(Buffer.from(hint.split('.')[1]!, 'base64url').toString());
    expect(oktaClaims).toMatchObject({ iss: kentel.authServer.issuer, aud: kentel.oktaClientId, sub: '00uDANA00001' });
    // The cookie held that Okta ID token sealed: neither the token nor any of its three parts is in it in clear.
    expect(hint.split('.')).toHaveLength(3);
    for (const part of [hint, ...hint.split('.')]) expect(sealedValue.includes(part)).toBe(false);
    expect(oktaLogout.query.post_logout_redirect_uri).toBe(`${w.service.url}/oauth2/logout/callback`);
    expect(out.trail.map((h) => new URL(h.url).pathname)).toContain('/oauth2/logout/callback');

    for (const t of [a, b]) {
      await expect(oidc.refreshTokenGrant(app, t.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant', error_description: 'The refresh token has been revoked.' });
      expect(await oidc.tokenIntrospection(api, t.access_token)).toEqual({ active: false });
    }
    const [ended] = await w.db.query<{ ended: boolean; reason: string }>(`SELECT ended_at IS NOT NULL AS ended, ended_reason AS reason FROM sso_sessions WHERE public_id = $1`, [sid]);
    expect(ended).toEqual({ ended: true, reason: 'logout' });
    expect(browser.jar.get('iqsso_session_hint', new URL(`${w.service.url}/oauth2/logout`))).toBeUndefined();

    // The next authorize goes to the tenant's Okta, whose session has ended too: its login form is shown.
    const before = oktaAuthorizes().length;
    const again = await w.startSignIn(app, { login: dana.login, password: undefined as unknown as string }, {}, browser);
    expect(oktaAuthorizes()).toHaveLength(before + 1);
    expect(again.result.reached).toBe(false);
    expect(again.result.response!.body).toMatch(/<form[^>]+id="form-login"/);
  });

  it('a code issued in a session that has signed out since is refused when redeemed', async () => {
    const browser = new Browser();
    const first = await exchange(await w.startSignIn(app, dana, {}, browser));
    const pending = await w.startSignIn(app, dana, {}, browser); // from the live session, not redeemed yet
    const logout = `${w.service.url}/oauth2/logout?${new URLSearchParams({ id_token_hint: first.id_token!, post_logout_redirect_uri: APP_SIGNED_OUT })}`;
    expect((await browser.follow(logout, { stopAt: APP_SIGNED_OUT })).reached).toBe(true);
    await expect(oidc.authorizationCodeGrant(app, pending.callback!, { pkceCodeVerifier: pending.verifier, expectedState: pending.state, expectedNonce: pending.nonce }))
      .rejects.toMatchObject({ error: 'invalid_grant', error_description: 'The user signed out after this code was issued.' });
  });

  it('refuses a post_logout_redirect_uri that is not registered, without redirecting to it', async () => {
    const browser = new Browser();
    const t = await exchange(await w.startSignIn(app, dana, {}, browser));
    const res = await browser.get(`${w.service.url}/oauth2/logout?${new URLSearchParams({ id_token_hint: t.id_token!, post_logout_redirect_uri: 'https://evil.example/bye' })}`);
    expect(res.status).toBe(400);
    expect(res.headers.get('location')).toBeNull();
    expect(res.body).toMatch(/not registered for it \(post_logout_redirect_uri\)/);
    const forged = await browser.get(`${w.service.url}/oauth2/logout?${new URLSearchParams({ id_token_hint: t.id_token!.slice(0, -3) + 'abc' })}`);
    expect(forged.status).toBe(400);
    expect(forged.body).toMatch(/id_token_hint is not an ID token issued by this service/);
    // Nothing was ended by the refused requests.
    expect((await oidc.tokenIntrospection(api, t.access_token)).active).toBe(true);
  });

  it("an id_token_hint naming another browser's session ends nothing without asking; confirmed, only this browser's own session ends", async () => {
    const victim = new Browser();
    const v = await exchange(await w.startSignIn(app, dana, {}, victim));
    const hinted = `${w.service.url}/oauth2/logout?${new URLSearchParams({ id_token_hint: v.id_token!, post_logout_redirect_uri: APP_SIGNED_OUT, state: 's-1' })}`;

    // No cookies at all (curl, or a link opened elsewhere): nothing of this browser's to end, and the hinted session lives on.
    const bare = await new Browser().get(hinted);
    expect(bare.status).toBe(302);
    expect(bare.headers.get('location')).toBe(`${APP_SIGNED_OUT}?state=s-1`);
    expect((await oidc.tokenIntrospection(api, v.access_token)).active).toBe(true);

    // Another browser with a session of its own: asked first, and the hint never reaches the victim's session.
    const other = new Browser();
    const o = await exchange(await w.startSignIn(app, dana, {}, other));
    expect(o.claims()!.sid).not.toBe(v.claims()!.sid);
    const page = await other.get(hinted);
    expect(page.status).toBe(200);
    expect(page.body).toMatch(/Sign out of iQmetrix applications on this device\?/);
    expect(page.body).not.toContain(v.id_token!);
    expect((await oidc.tokenIntrospection(api, o.access_token)).active).toBe(true);
    expect((await oidc.tokenIntrospection(api, v.access_token)).active).toBe(true);
    // Confirmed: this browser's own session ends, and it goes back to the app (the client named by the hint).
    const form = Object.fromEntries([...page.body.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [m[1]!, m[2]!]));
    expect(form).toMatchObject({ client_id: 'hub', post_logout_redirect_uri: APP_SIGNED_OUT, state: 's-1' });
    const done = await other.post(`${w.service.url}/oauth2/logout`, form);
    expect(done.status).toBe(302);
    const out = await other.follow(new URL(done.headers.get('location')!, w.service.url).href, { stopAt: APP_SIGNED_OUT });
    expect(new URL(out.url).searchParams.get('state')).toBe('s-1');
    expect(await oidc.tokenIntrospection(api, o.access_token)).toEqual({ active: false });
    expect((await oidc.tokenIntrospection(api, v.access_token)).active).toBe(true);
    const [victimSession] = await w.db.query<{ ended: boolean }>(`SELECT ended_at IS NOT NULL AS ended FROM sso_sessions WHERE public_id = $1`, [v.claims()!.sid]);
    expect(victimSession).toEqual({ ended: false });

    // The victim's own browser, with its own hint: signed out without asking (an expired hint would do as well).
    const own = await victim.follow(hinted, { stopAt: APP_SIGNED_OUT });
    expect(own.reached).toBe(true);
    expect(await oidc.tokenIntrospection(api, v.access_token)).toEqual({ active: false });
  });

  it('without id_token_hint the user confirms first; a bare link cannot sign them out', async () => {
    const browser = new Browser();
    const t = await exchange(await w.startSignIn(app, dana, {}, browser));
    const page = await browser.get(`${w.service.url}/oauth2/logout?client_id=hub&post_logout_redirect_uri=${encodeURIComponent(APP_SIGNED_OUT)}`);
    expect(page.status).toBe(200);
    expect(page.body).toMatch(/Sign out of iQmetrix applications on this device\?/);
    expect((await oidc.tokenIntrospection(api, t.access_token)).active).toBe(true);
    // A forged confirmation (from a page without the cookie's secret) is asked again, not obeyed.
    const forged = await browser.post(`${w.service.url}/oauth2/logout`, { client_id: 'hub', confirm: 'guess' });
    expect(forged.body).toMatch(/Sign out of iQmetrix applications/);
    expect((await oidc.tokenIntrospection(api, t.access_token)).active).toBe(true);

    // Its form leads through redirects to the tenant's Okta and back to the app: CSP form-action names them (the
    // browser-pages test shows Chromium following them).
    const oktaOrigin = new URL(kentel.authServer.issuer).origin;
    expect(page.headers.get('content-security-policy')).toContain(`form-action 'self' ${oktaOrigin} http://127.0.0.1:*;`);
    const confirm = /name="confirm" value="([^"]+)"/.exec(page.body)![1]!;
    const done = await browser.post(`${w.service.url}/oauth2/logout`, { client_id: 'hub', post_logout_redirect_uri: APP_SIGNED_OUT, confirm });
    expect(done.status).toBe(302); // to the tenant's Okta logout, then back to the app
    const out = await browser.follow(new URL(done.headers.get('location')!, w.service.url).href, { stopAt: APP_SIGNED_OUT });
    expect(out.reached).toBe(true);
    expect(await oidc.tokenIntrospection(api, t.access_token)).toEqual({ active: false });
    expect(APP_REDIRECT).not.toBe(APP_SIGNED_OUT);
  });

  it("says a sign-out callback without a state we issued, or with one already used, did nothing: a 400 page, never \"signed out\"", async () => {
    const invalid = 'This sign-out link is not valid or has expired, so it did nothing: no one was signed out and nothing was changed. To sign out, use the sign-out of your application.';
    const expectInvalid = async (res: { status: number; headers: Headers; body: string }) => {
      expect([res.status, res.headers.get('content-type'), res.headers.get('cache-control')]).toEqual([400, 'text/html; charset=utf-8', 'no-store']);
      expect(res.body).toContain('<h1>This sign-out link is not valid</h1>');
      expect(res.body).toContain(`<p>${invalid}</p>`);
      expect(res.body).not.toContain('signed out. You can close');
    };
    // A signed-in browser sent to the callback by a link: told it did nothing, and indeed still signed in.
    const browser = new Browser();
    const t = await exchange(await w.startSignIn(app, dana, {}, browser));
    for (const query of ['', '?state=garbage', '?state=a&state=b']) await expectInvalid(await browser.get(`${w.service.url}/oauth2/logout/callback${query}`));
    expect((await oidc.tokenIntrospection(api, t.access_token)).active).toBe(true);

    // A real sign-out with no app to return to comes back from Okta with our state: "Signed out", once.
    const callback = `${w.service.url}/oauth2/logout/callback`;
    const out = await browser.follow(`${w.service.url}/oauth2/logout?${new URLSearchParams({ id_token_hint: t.id_token! })}`, { stopAt: callback });
    expect(out.reached).toBe(true);
    expect(new URL(out.url).searchParams.get('state')).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    const done = await browser.get(out.url);
    expect(done.status).toBe(200);
    expect(done.body).toContain('<p>You have been signed out. You can close this window.</p>');
    expect(await oidc.tokenIntrospection(api, t.access_token)).toEqual({ active: false });
    await expectInvalid(await browser.get(out.url)); // its state is single-use
  });

  it('returns to a post_logout_redirect_uri with its registered query as written, state appended; a POST that is not a form is refused', async () => {
    const registered = 'http://127.0.0.1:9/app/bye?flag&x=~';
    await w.addApp('hub-q', { postLogoutRedirectUris: [registered] });
    const browser = new Browser();
    const out = await browser.get(`${w.service.url}/oauth2/logout?${new URLSearchParams({ client_id: 'hub-q', post_logout_redirect_uri: registered, state: 'a b&c' })}`);
    expect(out.status).toBe(302);
    expect(out.headers.get('location')).toBe('http://127.0.0.1:9/app/bye?flag&x=~&state=a+b%26c');
    expect((await browser.get(`${w.service.url}/oauth2/logout?${new URLSearchParams({ client_id: 'hub-q', post_logout_redirect_uri: registered })}`)).headers.get('location')).toBe(registered);

    const json = await fetch(`${w.service.url}/oauth2/logout`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ client_id: 'hub-q', post_logout_redirect_uri: registered }), redirect: 'manual' });
    expect(json.status).toBe(415);
    expect(json.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await json.text()).toMatch(/must be a form \(application\/x-www-form-urlencoded\)/);
    const empty = await fetch(`${w.service.url}/oauth2/logout`, { method: 'POST', redirect: 'manual' });
    expect(empty.status).toBe(200); // no parameters: no session here, so "signed out"
  });
});

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type * as oidc from 'openid-client';
import * as client from 'openid-client';
import { Browser } from '../../tools/browser.js';
import { startService } from '../support/service.js';
import { APP_REDIRECT, OKTA_CLIENT_SECRET, type TenantSetup, World } from '../support/world.js';

/** The adapter around passport-openidconnect, against the Okta stand-in: what it sends, what it accepts. */
describe('upstream Okta sign-in adapter', () => {
  let w: World;
  let basic: TenantSetup;
  let post: TenantSetup;
  let app: oidc.Configuration;
  const bob = { login: 'bob@acme.com', password: 'B0b-pass' };
  const carol = { login: 'carol@postco.com', password: 'C4rol-pass' };
  const claims = (userName: string) => ({ userName, name: 'N', family_name: 'F', email: userName, security_group_name: 'Associate' });

  beforeAll(async () => {
    w = await World.start();
    basic = await w.addTenant('acme', ['acme.com']);
    post = await w.addTenant('postco', ['postco.com'], { okta: { tokenEndpointAuthMethod: 'client_secret_post' } });
    await w.addApp('hub');
    app = await w.app('hub');
    basic.authServer.setUser(bob.login, { password: bob.password, sub: '00uBOB', claims: claims(bob.login) });
  });
  afterAll(() => w?.close());

  it('uses client_secret_post when the tenant chooses it: secret in the body, no Authorization header', async () => {
    // The stand-in holds each client to its registered method, so register this one for post.
    await post.authServer.addClient({ client_id: post.oktaClientId, client_secret: OKTA_CLIENT_SECRET, token_endpoint_auth_method: 'client_secret_post', redirect_uris: [`${w.service.url}/oauth2/callback`] });
    post.authServer.setUser(carol.login, { password: carol.password, sub: '00uCAROL', claims: claims(carol.login) });
    post.authServer.clearRequests();
    const r = await w.signIn(app, carol);
    expect(r.error).toBeUndefined();
    const token = post.authServer.requestsTo('token')[0]!;
    expect(token.headers.authorization).toBeUndefined();
    expect(token.form).toMatchObject({ client_id: post.oktaClientId, client_secret: OKTA_CLIENT_SECRET, grant_type: 'authorization_code' });
  });

  it('follows a signing-key rotation: an unknown kid makes it fetch the JWKS again', async () => {
    expect((await w.signIn(app, bob)).error).toBeUndefined(); // JWKS now cached
    const before = basic.authServer.requestsTo('keys').length;
    const kid = basic.authServer.rotateSigningKey({ keepOld: false });
    const r = await w.signIn(app, bob);
    expect(r.error).toBeUndefined();
    expect(basic.authServer.requestsTo('keys').length).toBe(before + 1);
    expect(basic.authServer.publishedKids).toEqual([kid]);
  });

  it('tolerates a small clock skew (iat slightly in the future) but not an expired ID token', async () => {
    const now = Math.floor(Date.now() / 1000);
    const cases = [
      { times: { iat: now + 30 }, ok: true },
      { times: { iat: now - 900, exp: now - 300 }, ok: false },
    ];
    for (const { times, ok } of cases) {
      // Re-sign the real ID token's claims with other times (the nonce is the one our service sent).
      basic.authServer.faults.next('token', {
        transform: async (body) => {
          const real = JSON.parse(Buffer.from(body.id_token.split('.')[1], 'base64url').toString());
          return { ...body, id_token: await basic.authServer.signJwt({ ...real, ...times }) };
        },
      });
      const r = await w.signIn(app, bob);
      if (ok) expect(r.error).toBeUndefined();
      else {
        expect(r.error).toBe('access_denied');
        expect(r.description).toMatch(/expired/);
      }
    }
  });

  it('keeps login state in Postgres: a sign-in started on one instance completes on another', async () => {
    const second = await startService(w.db.url, { PUBLIC_URL: w.service.url });
    try {
      const browser = new Browser();
      const verifier = client.randomPKCECodeVerifier();
      const url = client.buildAuthorizationUrl(app, {
        redirect_uri: APP_REDIRECT, scope: 'openid', login_hint: bob.login, prompt: 'login',
        code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state: 'xyz',
      });
      const toOkta = await browser.follow(url.href, { stopAt: `${w.service.url}/oauth2/callback`, username: bob.login, password: bob.password });
      expect(toOkta.reached).toBe(true);
      // The load balancer sends Okta's redirect back to the other instance.
      const onSecond = toOkta.url.replace(w.service.url, `http://127.0.0.1:${second.config.env.PORT}`);
      const done = await browser.follow(onSecond, { stopAt: APP_REDIRECT });
      const back = new URL(done.url);
      expect(back.searchParams.get('error')).toBeNull();
      expect(back.searchParams.get('state')).toBe('xyz');
      const tokens = await client.authorizationCodeGrant(app, back, { pkceCodeVerifier: verifier, expectedState: 'xyz' });
      expect(tokens.access_token).toBeTruthy();
    } finally {
      await second.close();
    }
  });

  /** A sign-in taken to Okta's redirect back to us: the browser that started it, and the callback URL. */
  async function toCallback(owner = new Browser()) {
    const url = client.buildAuthorizationUrl(app, {
      redirect_uri: APP_REDIRECT, scope: 'openid', login_hint: bob.login, prompt: 'login',
      code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()), code_challenge_method: 'S256',
    });
    const toUs = await owner.follow(url.href, { stopAt: `${w.service.url}/oauth2/callback`, username: bob.login, password: bob.password });
    expect(toUs.reached).toBe(true);
    return { owner, callbackUrl: toUs.url };
  }

  it('refuses a callback whose state was started in another browser, without spoiling it for the browser that started it', async () => {
    const { owner, callbackUrl } = await toCallback();
    // Someone who saw the callback URL first (a proxy log, a shoulder) replays it from another browser.
    const other = new Browser();
    const page = await other.get(callbackUrl);
    expect(page.status).toBe(400);
    expect(page.body).toMatch(/started in a different browser/);
    expect(await other.get(callbackUrl)).toMatchObject({ status: 400, body: expect.stringMatching(/started in a different browser/) });
    // The state is still there for its owner, whose sign-in completes.
    const done = await owner.get(callbackUrl);
    expect(done.status).toBe(302);
    expect(new URL(done.headers.get('location')!).searchParams.get('code')).toBeTruthy();
    // …once: it is spent now, for everyone.
    expect((await owner.get(callbackUrl)).body).toMatch(/not valid or was already used/);
    expect((await other.get(callbackUrl)).body).toMatch(/not valid or was already used/);
  });

  it('completes a callback once when the browser that started it sends it twice at the same time', async () => {
    const { owner, callbackUrl } = await toCallback();
    const both = await Promise.all([owner.get(callbackUrl), owner.get(callbackUrl)]);
    const codes = both.filter((r) => r.status === 302 && new URL(r.headers.get('location')!).searchParams.get('code'));
    expect(codes).toHaveLength(1);
    expect(both.find((r) => r !== codes[0])).toMatchObject({ status: 400, body: expect.stringMatching(/not valid or was already used/) });
  });

  it('sign-ins in two tabs of one browser both complete, also when one starts while the other is at its callback', async () => {
    const browser = new Browser();
    const binding = () => browser.jar.get('iqsso_signin', new URL(`${w.service.url}/oauth2/callback`));
    const first = await toCallback(browser);
    // The first callback has taken its login state and waits on Okta's token endpoint while the second tab starts.
    basic.authServer.faults.next('token', { delayMs: 2500 });
    let firstDone = false;
    const firstAnswer = browser.get(first.callbackUrl).then((r) => ((firstDone = true), r));
    await new Promise((r) => setTimeout(r, 300));
    const second = await toCallback(browser);
    expect(firstDone).toBe(false);
    const one = await firstAnswer;
    expect(one.status).toBe(302);
    expect(new URL(one.headers.get('location')!).searchParams.get('code')).toBeTruthy();
    // The binding is left to expire, never cleared by a callback: the second tab still has it.
    expect(one.headers.getSetCookie().find((c) => c.startsWith('iqsso_signin='))).toBeUndefined();
    expect(binding()).toBeDefined();
    const two = await browser.get(second.callbackUrl);
    expect(two.status).toBe(302);
    expect(new URL(two.headers.get('location')!).searchParams.get('code')).toBeTruthy();
  });
});

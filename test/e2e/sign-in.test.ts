import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as oidc from 'openid-client';
import { APP_REDIRECT, OKTA_CLIENT_SECRET, type TenantSetup, World } from '../support/world.js';

/**
 * The walking skeleton, end to end on real parts: the app (openid-client) → this service → the tenant's
 * Okta (oidc-provider over HTTPS) → provisioning in Postgres → this service's tokens → /v1/me.
 */
describe('browser sign-in through a tenant Okta', () => {
  let w: World;
  let kentel: TenantSetup;
  let other: TenantSetup;
  let app: oidc.Configuration;
  const alice = { login: 'alice@kentel.com', password: 'Al1ce-pass' };

  beforeAll(async () => {
    w = await World.start();
    kentel = await w.addTenant('kentel', ['kentel.com'], { usernameRewrites: [{ from: 'yvr.kentel.local', to: 'kentel.com' }] });
    other = await w.addTenant('other', ['other.com']);
    await w.addLocations('kentel', ['LOC-1', 'LOC-2', 'LOC-3']);
    await w.addApp('hub');
    app = await w.app('hub');
    kentel.authServer.setUser(alice.login, {
      password: alice.password,
      sub: '00uALICE0001',
      claims: {
        userName: 'alice@yvr.kentel.local',
        name: 'Alice',
        family_name: 'Archer',
        email: 'alice@kentel.com',
        security_group_name: 'Store Manager',
        assigned_entity_client_entity_ids: ['LOC-1', 'LOC-2'],
      },
    });
  });
  afterAll(() => w?.close());

  it('first login: provisions the user and locations, and the app gets our tokens and /v1/me', async () => {
    kentel.authServer.clearRequests();
    const r = await w.signIn(app, alice);
    expect(r.error).toBeUndefined();
    const { tokens } = r as { tokens: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers };
    expect(tokens.token_type).toBe('bearer');
    expect(tokens.refresh_token).toBeTruthy();
    const claims = tokens.claims()!;
    expect(claims.iss).toBe(w.service.url);
    expect(claims.tenant).toBe('kentel');

    const me = await w.me(app, tokens.access_token);
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({
      tenant: 'kentel',
      environment: 'production',
      username: 'alice@kentel.com', // rewritten from alice@yvr.kentel.local
      given_name: 'Alice',
      family_name: 'Archer',
      email: 'alice@kentel.com',
      securityRole: 'RQ-StoreManager',
      locations: ['LOC-1', 'LOC-2'],
    });

    const [audit] = await w.audits('kentel');
    expect(audit).toMatchObject({ outcome: 'created', environment: 'production', source: 'sign-in', subject: '00uALICE0001', username: 'alice@kentel.com', config_version: 1 });
    expect(audit!.changes.locations).toEqual({ added: ['LOC-1', 'LOC-2'], removed: [] });

    // The upstream leg was what the guide asks for: PKCE S256, HTTP Basic client authentication.
    const authorize = kentel.authServer.requestsTo('authorize')[0]!;
    expect(authorize.query.code_challenge_method).toBe('S256');
    expect(authorize.query.code_challenge).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(authorize.query.scope?.split(' ').sort()).toEqual(['email', 'iqmetrix', 'openid', 'phone', 'profile']);
    const token = kentel.authServer.requestsTo('token')[0]!;
    expect(token.basicAuth).toEqual({ clientId: kentel.oktaClientId, clientSecret: OKTA_CLIENT_SECRET });
    expect(token.form?.client_secret).toBeUndefined();
    expect(token.form?.code_verifier).toMatch(/^[A-Za-z0-9_-]{43,128}$/);
    expect(kentel.authServer.requestsTo('userinfo')).toHaveLength(1);
  });

  it('second login with changed claims: updates the user and removes the dropped location', async () => {
    kentel.authServer.updateUser(alice.login, { claims: { name: 'Alicia', assigned_entity_client_entity_ids: 'LOC-2, LOC-3' } });
    const r = await w.signIn(app, alice);
    const me = await w.me(app, (r as any).tokens.access_token);
    expect(me.body).toMatchObject({ given_name: 'Alicia', locations: ['LOC-2', 'LOC-3'] });
    const audits = await w.audits('kentel');
    const last = audits[audits.length - 1]!;
    expect(last.outcome).toBe('updated');
    expect(last.changes).toMatchObject({ firstName: { from: 'Alice', to: 'Alicia' }, locations: { added: ['LOC-3'], removed: ['LOC-1'] } });
    const users = await w.db.query(`SELECT count(*)::int AS n FROM users WHERE subject = '00uALICE0001'`);
    expect(users[0]!.n).toBe(1);
  });

  it('refuses an ID token whose signature was tampered with', async () => {
    kentel.authServer.faults.next('token', { transform: (body) => ({ ...body, id_token: kentel.authServer.tamperSignature(body.id_token) }) });
    const r = await w.signIn(app, alice);
    expect(r.error).toBe('access_denied');
    expect(r.description).toMatch(/signature is not valid/);
  });

  it('refuses an ID token with another nonce', async () => {
    const forged = await kentel.authServer.mintIdToken({ sub: '00uALICE0001', aud: kentel.oktaClientId, nonce: 'not-the-nonce-we-sent' });
    kentel.authServer.faults.next('token', { transform: (body) => ({ ...body, id_token: forged }) });
    const r = await w.signIn(app, alice);
    expect(r.error).toBe('access_denied');
    expect(r.description).toMatch(/nonce/);
  });

  it("refuses an ID token from another tenant's Okta, even one signed correctly for our client id", async () => {
    // Tenant "other"'s authorization server mints a perfectly signed token naming kentel's client: wrong issuer.
    const nonceOf = () => kentel.authServer.requestsTo('authorize').at(-1)!.query.nonce!;
    kentel.authServer.faults.next('token', {
      transform: async (body) => ({ ...body, id_token: await other.authServer.mintIdToken({ sub: '00uALICE0001', aud: kentel.oktaClientId, nonce: nonceOf() }) }),
    });
    const r = await w.signIn(app, alice);
    expect(r.error).toBe('access_denied');
    expect(r.description).toMatch(/not in the Okta key set|"iss" claim/);
  });

  it('refuses a replayed authorization code, and revokes what the first use issued', async () => {
    const s = await w.startSignIn(app, alice);
    const first = await oidc.authorizationCodeGrant(app, s.callback!, { pkceCodeVerifier: s.verifier, expectedState: s.state, expectedNonce: s.nonce });
    const replay = oidc.authorizationCodeGrant(app, s.callback!, { pkceCodeVerifier: s.verifier, expectedState: s.state, expectedNonce: s.nonce });
    await expect(replay).rejects.toMatchObject({ error: 'invalid_grant', error_description: 'The authorization code has already been used.' });
    await expect(oidc.refreshTokenGrant(app, first.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant', error_description: 'The refresh token has been revoked.' });
  });

  it('refuses a redirect_uri that is not registered, without redirecting to it', async () => {
    const url = oidc.buildAuthorizationUrl(app, { redirect_uri: 'https://evil.example/cb', scope: 'openid', code_challenge: 'x'.repeat(43), code_challenge_method: 'S256' });
    const res = await fetch(url, { redirect: 'manual' });
    expect(res.status).toBe(400);
    expect(res.headers.get('location')).toBeNull();
    expect(await res.text()).toMatch(/not registered/);
  });

  it('sends an authorize error back to the app with our iss (RFC 9207 §2), as it does a code', async () => {
    const url = oidc.buildAuthorizationUrl(app, { redirect_uri: APP_REDIRECT, scope: 'openid', code_challenge: 'x'.repeat(43), code_challenge_method: 'S256', state: 's', prompt: 'bogus' });
    const res = await fetch(url, { redirect: 'manual' });
    expect(res.status).toBe(302);
    const back = new URL(res.headers.get('location')!);
    expect(`${back.origin}${back.pathname}`).toBe(APP_REDIRECT);
    expect(Object.fromEntries(back.searchParams)).toEqual({ error: 'invalid_request', error_description: 'prompt has an unsupported value.', state: 's', iss: w.service.url });
    expect(app.serverMetadata().authorization_response_iss_parameter_supported).toBe(true);
  });

  it('keeps a registered redirect URI query exactly as registered, adding its parameters after it', async () => {
    const registered = `${APP_REDIRECT}?flag&x=~&z=a%20b`;
    await w.addApp('hub-query', { redirectUris: [registered] });
    const url = oidc.buildAuthorizationUrl(await w.app('hub-query'), { redirect_uri: registered, scope: 'openid', code_challenge: 'x'.repeat(43), code_challenge_method: 'S256', state: 's', prompt: 'bogus' });
    const res = await fetch(url, { redirect: 'manual' });
    const location = res.headers.get('location')!;
    expect(location.startsWith(`${registered}&error=invalid_request&`)).toBe(true);
    expect(new URL(location).searchParams.get('iss')).toBe(w.service.url);
  });

  it('refuses a code exchanged with another redirect_uri', async () => {
    const s = await w.startSignIn(app, alice);
    const res = await fetch(`${w.service.url}/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', client_id: 'hub', code: s.callback!.searchParams.get('code')!, redirect_uri: `${APP_REDIRECT}/other`, code_verifier: s.verifier }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: 'invalid_grant', error_description: 'redirect_uri does not match the one of the authorization request.' });
  });

  it('refuses, and audits, a user whose username domain belongs to another tenant', async () => {
    kentel.authServer.setUser('mallory@kentel.com', {
      password: 'M4llory',
      sub: '00uMALLORY01',
      claims: { userName: 'boss@other.com', name: 'Mallory', email: 'boss@other.com', security_group_name: 'Associate' },
    });
    const r = await w.signIn(app, { login: 'mallory@kentel.com', password: 'M4llory' });
    expect(r.error).toBe('access_denied');
    expect(r.description).toMatch(/could not be set up \(username\)/);
    const audits = await w.audits('kentel');
    const last = audits[audits.length - 1]!;
    expect(last.outcome).toBe('refused');
    expect(last.reasons[0]).toMatchObject({ field: 'username' });
    expect(last.reasons[0].reason).toMatch(/other\.com.*not one of this tenant's verified domains/);
    expect(await w.db.query(`SELECT 1 FROM users WHERE subject = '00uMALLORY01'`)).toHaveLength(0);
    expect(other.slug).toBe('other');
  });
});

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as oidc from 'openid-client';
import { type TenantSetup, World } from '../support/world.js';

type Tokens = oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers;

/**
 * Token lifecycle for apps: RFC 7009 revocation, RFC 7662 introspection, refresh rotation with reuse
 * detection, and the discovery document that announces them. Real sign-ins through the Okta stand-in.
 */
describe('token revocation, introspection and refresh reuse', () => {
  let w: World;
  let kentel: TenantSetup;
  let app: oidc.Configuration;
  let api: oidc.Configuration;
  let apiSecret: string;
  const bob = { login: 'bob@kentel.com', password: 'B0b-pass' };

  beforeAll(async () => {
    w = await World.start();
    kentel = await w.addTenant('kentel', ['kentel.com']);
    await w.addApp('hub');
    app = await w.app('hub');
    // A resource server: a confidential client that introspects the tokens apps send it.
    apiSecret = (await w.addApp('rq-api', { type: 'confidential', introspection: true })).clientSecret!;
    api = await w.app('rq-api', apiSecret);
    kentel.authServer.setUser(bob.login, {
      password: bob.password,
      sub: '00uBOB000001',
      claims: { userName: 'bob@kentel.com', name: 'Bob', family_name: 'Baker', email: 'bob@kentel.com', security_group_name: 'Associate' },
    });
  });
  afterAll(() => w?.close());

  async function signIn(): Promise<Tokens> {
    const r = await w.signIn(app, bob);
    if (!('tokens' in r) || !r.tokens) throw new Error(`sign-in failed: ${JSON.stringify(r)}`);
    return r.tokens as Tokens;
  }

  const post = (path: string, form: Record<string, string>, auth?: string) =>
    fetch(`${w.service.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...(auth ? { authorization: auth } : {}) },
      body: new URLSearchParams(form),
    });
  const apiAuth = () => `Basic ${Buffer.from(`rq-api:${apiSecret}`).toString('base64')}`;

  it('the discovery document lists the revocation and introspection endpoints', async () => {
    const doc = await (await fetch(`${w.service.url}/.well-known/openid-configuration`)).json();
    expect(doc).toMatchObject({
      revocation_endpoint: `${w.service.url}/oauth2/revoke`,
      introspection_endpoint: `${w.service.url}/oauth2/introspect`,
    });
    expect(app.serverMetadata().revocation_endpoint).toBe(`${w.service.url}/oauth2/revoke`);
  });

  it('introspection: a live access token and refresh token are active, with who and what', async () => {
    const t = await signIn();
    const at = await oidc.tokenIntrospection(api, t.access_token);
    expect(at).toMatchObject({ active: true, token_type: 'Bearer', client_id: 'hub', username: 'bob@kentel.com', tenant: 'kentel', env: 'production', iss: w.service.url });
    expect(at.scope).toBe('openid profile email offline_access');
    expect(typeof at.exp).toBe('number');
    const rt = await oidc.tokenIntrospection(api, t.refresh_token!, { token_type_hint: 'refresh_token' });
    expect(rt).toMatchObject({ active: true, client_id: 'hub', username: 'bob@kentel.com' });
    // RFC 7662 §2.2: token_type is an RFC 6749 §7.1 type (Bearer, for the access token); a refresh token has none.
    expect(rt).not.toHaveProperty('token_type');
  });

  it('introspection: unknown or forged tokens are just inactive; bad callers get the OAuth error', async () => {
    expect(await (await post('/oauth2/introspect', { token: 'not-a-token' }, apiAuth())).json()).toEqual({ active: false });
    const t = await signIn();
    const forged = t.access_token.slice(0, -4) + (t.access_token.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    expect(await (await post('/oauth2/introspect', { token: forged }, apiAuth())).json()).toEqual({ active: false });

    const wrongSecret = await post('/oauth2/introspect', { token: t.access_token }, `Basic ${Buffer.from('rq-api:wrong').toString('base64')}`);
    expect(wrongSecret.status).toBe(401);
    expect(await wrongSecret.json()).toEqual({ error: 'invalid_client', error_description: 'Unknown client or wrong credentials.' });
    // A client id no client can have (outside the registered form) is unknown, never a database read.
    for (const odd of [`Basic ${Buffer.from(`${'x'.repeat(150)}:s`).toString('base64')}`, `Basic ${Buffer.from('bad id!:s').toString('base64')}`]) {
      const r = await post('/oauth2/introspect', { token: t.access_token }, odd);
      expect(r.status).toBe(401);
      expect(await r.json()).toEqual({ error: 'invalid_client', error_description: 'Unknown client or wrong credentials.' });
    }
    const publicClient = await post('/oauth2/introspect', { token: t.access_token, client_id: 'hub' });
    expect(publicClient.status).toBe(401);
    expect(await publicClient.json()).toEqual({ error: 'invalid_client', error_description: 'Token introspection is only for confidential clients (resource servers).' });
    // A confidential app that is not a resource server (a POS app, its secret on every till) reads nothing (RFC 7662 §4).
    const posSecret = (await w.addApp('rq-pos-till', { type: 'confidential' })).clientSecret!;
    const pos = await post('/oauth2/introspect', { token: t.access_token }, `Basic ${Buffer.from(`rq-pos-till:${posSecret}`).toString('base64')}`);
    expect([pos.status, await pos.json()]).toEqual([400, { error: 'unauthorized_client', error_description: 'This client is not registered as a resource server (introspection: true), so it may not introspect tokens.' }]);
    const publicServer = await w.service.admin('POST', '/admin/clients', { clientId: 'spa-rs', name: 'SPA', type: 'public', redirectUris: ['https://spa.example.com/cb'], introspection: true });
    expect([publicServer.status, publicServer.body.errors]).toEqual([422, [{ field: 'introspection', reason: 'only a confidential client (a resource server with a secret) may introspect tokens' }]]);
    const posServer = await w.service.admin('POST', '/admin/clients', { clientId: 'pos-rs', name: 'POS', type: 'confidential', redirectUris: ['https://pos.example.com/cb'], grantTypes: ['password'], introspection: true });
    expect([posServer.status, posServer.body.errors]).toEqual([422, [{ field: 'introspection', reason: 'a client with the password grant has its secret on every device it runs on, so it may not introspect tokens; register the resource server as a client of its own' }]]);
    const missing = await post('/oauth2/introspect', {}, apiAuth());
    expect(missing.status).toBe(400);
    expect(await missing.json()).toEqual({ error: 'invalid_request', error_description: 'The token parameter is required.' });
    const json = await fetch(`${w.service.url}/oauth2/introspect`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: apiAuth() }, body: JSON.stringify({ token: t.access_token }) });
    expect(json.status).toBe(400);
    expect(await json.json()).toEqual({ error: 'invalid_request', error_description: 'The request body must be application/x-www-form-urlencoded.' });
  });

  it('a reused refresh token revokes the whole family: its successor fails and the access tokens introspect inactive', async () => {
    const t = await signIn();
    const first = t.refresh_token!;
    const rotated = await oidc.refreshTokenGrant(app, first);
    expect(rotated.refresh_token).toBeTruthy();
    expect(rotated.refresh_token).not.toBe(first);
    expect((await oidc.tokenIntrospection(api, rotated.access_token)).active).toBe(true);

    // The first refresh token again (as a thief holding a copy would): refused, and everything is revoked.
    await expect(oidc.refreshTokenGrant(app, first)).rejects.toMatchObject({
      error: 'invalid_grant', error_description: 'The refresh token was already used; every token of this sign-in has been revoked.',
    });
    await expect(oidc.refreshTokenGrant(app, rotated.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant', error_description: 'The refresh token has been revoked.' });
    expect(await oidc.tokenIntrospection(api, rotated.access_token)).toEqual({ active: false });
    expect(await oidc.tokenIntrospection(api, t.access_token)).toEqual({ active: false });
    expect(await oidc.tokenIntrospection(api, rotated.refresh_token!)).toEqual({ active: false });
    const me = await fetch(`${w.service.url}/v1/me`, { headers: { authorization: `Bearer ${rotated.access_token}` } });
    expect(me.status).toBe(401);
    expect(me.headers.get('www-authenticate')).toBe('Bearer realm="api", error="invalid_token", error_description="The access token has been revoked."');
    expect(((await me.json()) as { detail: string }).detail).toBe('The access token has been revoked.');
    const [grant] = await w.db.query<{ revoked_reason: string }>(`SELECT g.revoked_reason FROM token_grants g JOIN refresh_tokens r ON r.family_id = g.id WHERE r.token_hash IS NOT NULL AND g.revoked_at IS NOT NULL ORDER BY g.revoked_at DESC LIMIT 1`);
    expect(grant!.revoked_reason).toBe('reuse');
  });

  it('another sign-in of the same user is a separate family and is not affected by that revocation', async () => {
    const t = await signIn();
    expect((await oidc.tokenIntrospection(api, t.access_token)).active).toBe(true);
    const next = await oidc.refreshTokenGrant(app, t.refresh_token!);
    expect(next.access_token).toBeTruthy();
  });

  it('revocation (RFC 7009): the app revokes its refresh token; the grant is gone, and unknown tokens still get 200', async () => {
    const t = await signIn();
    await oidc.tokenRevocation(app, t.refresh_token!, { token_type_hint: 'refresh_token' });
    await expect(oidc.refreshTokenGrant(app, t.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant', error_description: 'The refresh token has been revoked.' });
    expect(await oidc.tokenIntrospection(api, t.access_token)).toEqual({ active: false });

    const unknown = await post('/oauth2/revoke', { token: 'never-issued', client_id: 'hub' });
    expect(unknown.status).toBe(200);
    expect(await unknown.text()).toBe('');
    const noClient = await post('/oauth2/revoke', { token: 'never-issued' });
    expect(noClient.status).toBe(401);
    expect(await noClient.json()).toEqual({ error: 'invalid_client', error_description: 'Client authentication is required (client_id).' });
  });

  it('revocation of an access token revokes its grant; a client cannot revoke another client\'s tokens, and is told so', async () => {
    const t = await signIn();
    // rq-api did not receive these tokens: refused (RFC 7009 §2.1: "the client is informed of the error"), nothing changes.
    const refused = { status: 400, body: { error: 'invalid_request', error_description: 'This token was issued to another client: a client may revoke only its own tokens.' } };
    for (const [token, hint] of [[t.refresh_token!, 'refresh_token'], [t.refresh_token!, 'access_token'], [t.access_token, 'access_token'], [t.access_token, 'refresh_token']]) {
      const res = await post('/oauth2/revoke', { token: token!, token_type_hint: hint! }, apiAuth());
      expect({ hint, status: res.status, body: await res.json() }).toEqual({ hint, ...refused });
    }
    // A public client is told alike (its tokens are as unguessable; the error says nothing to one that does not hold the token).
    await w.addApp('other-spa');
    const spa = await post('/oauth2/revoke', { token: t.refresh_token!, client_id: 'other-spa' });
    expect({ status: spa.status, body: await spa.json() }).toEqual(refused);
    expect((await oidc.tokenIntrospection(api, t.access_token)).active).toBe(true);
    expect((await oidc.tokenIntrospection(api, t.refresh_token!)).active).toBe(true);

    await oidc.tokenRevocation(app, t.access_token, { token_type_hint: 'access_token' });
    expect(await oidc.tokenIntrospection(api, t.access_token)).toEqual({ active: false });
    await expect(oidc.refreshTokenGrant(app, t.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant', error_description: 'The refresh token has been revoked.' });
    // Revoked now, so no longer a token that stands: RFC 7009 §2.2, 200 whoever sends it (nothing to refuse or tell).
    for (const token of [t.refresh_token!, t.access_token]) {
      const res = await post('/oauth2/revoke', { token }, apiAuth());
      expect([res.status, await res.text()]).toEqual([200, '']);
    }
  });

  it('an operator gives or takes introspection (PATCH /admin/clients/{id}) under the registration rules; the client is told at once', async () => {
    const t = await signIn();
    const secret = (await w.addApp('rq-reports', { type: 'confidential' })).clientSecret!;
    const auth = `Basic ${Buffer.from(`rq-reports:${secret}`).toString('base64')}`;
    expect((await post('/oauth2/introspect', { token: t.access_token }, auth)).status).toBe(400);
    const given = await w.service.admin('PATCH', '/admin/clients/rq-reports', { introspection: true });
    expect([given.status, given.body.introspection, given.body.clientSecret, given.body.secretHash]).toEqual([200, true, undefined, undefined]);
    expect(await (await post('/oauth2/introspect', { token: t.access_token }, auth)).json()).toMatchObject({ active: true, sub: expect.any(String) });
    expect((await w.service.admin('PATCH', '/admin/clients/rq-reports', { introspection: false })).body.introspection).toBe(false);
    expect((await post('/oauth2/introspect', { token: t.access_token }, auth)).status).toBe(400);

    await w.service.admin('POST', '/admin/clients', { clientId: 'rq-pos-2', name: 'POS', type: 'confidential', redirectUris: ['https://pos.example.com/cb'], grantTypes: ['password'] });
    const pos = await w.service.admin('PATCH', '/admin/clients/rq-pos-2', { introspection: true });
    expect([pos.status, pos.body.errors?.[0]?.field]).toEqual([422, 'introspection']);
    const spa = await w.service.admin('PATCH', '/admin/clients/hub', { introspection: true });
    expect([spa.status, spa.body.errors]).toEqual([422, [{ field: 'introspection', reason: 'only a confidential client (a resource server with a secret) may introspect tokens' }]]);
    const other = await w.service.admin('PATCH', '/admin/clients/rq-reports', { introspection: true, redirectUris: ['https://evil.example.com/cb'] });
    expect(other.status).toBe(422);
    expect((await w.service.admin('GET', '/admin/clients/rq-reports')).body.introspection).toBe(false);
    expect((await w.service.admin('PATCH', '/admin/clients/nobody', { introspection: false })).status).toBe(404);
  });

  it('a disabled user: refresh fails and introspection says inactive', async () => {
    const t = await signIn();
    await w.db.query(`UPDATE users SET status = 'disabled' WHERE subject = '00uBOB000001'`);
    try {
      expect(await oidc.tokenIntrospection(api, t.access_token)).toEqual({ active: false });
      expect(await oidc.tokenIntrospection(api, t.refresh_token!)).toEqual({ active: false });
      await expect(oidc.refreshTokenGrant(app, t.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant', error_description: 'The user is no longer active.' });
    } finally {
      await w.db.query(`UPDATE users SET status = 'active' WHERE subject = '00uBOB000001'`);
    }
  });
});

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { decodeJwt } from 'jose';
import * as oidc from 'openid-client';
import { APP_REDIRECT, World } from '../support/world.js';

/**
 * OIDC UserInfo (Core §5.3) is its own endpoint: the standard claims of the scopes granted (§5.4), for a token
 * granted openid, in either environment. The provisioned user whole stays the apps' API, /v1/me.
 */
describe('OIDC UserInfo', () => {
  let w: World;
  let hub: oidc.Configuration;
  const alice = { login: 'alice@kentel.com', password: 'Al1ce-pass' };

  beforeAll(async () => {
    w = await World.start({ TRAINING_POOL_SIZE: '2' });
    const kentel = await w.addTenant('kentel', ['kentel.com'], { training: { enabled: true } });
    await w.addApp('hub');
    hub = await w.app('hub');
    kentel.authServer.setUser(alice.login, {
      password: alice.password,
      sub: '00uALICE0001',
      claims: {
        userName: alice.login, name: 'Alice', family_name: 'Archer', email: alice.login, security_group_name: 'Associate',
        phone_number: '555-0100', attribute_SpecialIdentifier: 'ID-123456',
      },
    });
  });
  afterAll(() => w?.close());

  async function tokens(params: Record<string, string> = {}) {
    const r = await w.signIn(hub, alice, params);
    if (!('tokens' in r) || !r.tokens) throw new Error(`sign-in failed: ${JSON.stringify(r)}`);
    return r.tokens;
  }

  it('is the discovery document\'s userinfo_endpoint and releases only the granted scopes\' standard claims', async () => {
    expect(hub.serverMetadata().userinfo_endpoint).toBe(`${w.service.url}/oauth2/userinfo`);
    const t = await tokens();
    const sub = decodeJwt(t.access_token).sub!;
    const info = await oidc.fetchUserInfo(hub, t.access_token, sub);
    expect(info).toEqual({ sub, name: 'Alice Archer', given_name: 'Alice', family_name: 'Archer', preferred_username: alice.login, email: alice.login, updated_at: expect.any(Number) });
    // The apps' API still has the provisioned user whole.
    expect((await w.me(hub, t.access_token)).body).toMatchObject({ sub, securityRole: 'RQ-Associate', homePhone: '555-0100', idNumber: 'ID-123456' });

    const bare = await tokens({ scope: 'openid' });
    expect(await oidc.fetchUserInfo(hub, bare.access_token, sub)).toEqual({ sub });
    const byPost = await fetch(`${w.service.url}/oauth2/userinfo`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ access_token: t.access_token }) });
    expect([byPost.status, await byPost.json()]).toEqual([200, info]);
  });

  it('refuses a token not granted openid with insufficient_scope (RFC 6750 §3.1)', async () => {
    // Without openid there is no ID token, which openid-client insists on: the code exchanged by hand.
    const s = await w.startSignIn(hub, alice, { scope: 'profile email' });
    const exchanged = await fetch(`${w.service.url}/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code: s.callback!.searchParams.get('code')!, redirect_uri: APP_REDIRECT, client_id: 'hub', code_verifier: s.verifier }),
    });
    const t = (await exchanged.json()) as { access_token: string; id_token?: string };
    expect([exchanged.status, t.id_token]).toEqual([200, undefined]);
    const res = await w.bearer('/oauth2/userinfo', t.access_token);
    expect([res.status, res.headers.get('www-authenticate'), res.body.title, res.body.error]).toEqual([403, 'Bearer realm="api", error="insufficient_scope", error_description="UserInfo needs an access token granted the openid scope."', 'Forbidden', 'insufficient_scope']);
    expect((await w.bearer('/v1/me', t.access_token)).status).toBe(200);
  });

  it('answers a training token from the training directory, and refuses what is not our access token', async () => {
    const t = await tokens({ environment: 'training' });
    const sub = decodeJwt(t.access_token).sub!;
    expect(await oidc.fetchUserInfo(hub, t.access_token, sub)).toMatchObject({ sub, preferred_username: alice.login });
    const prod = await tokens();
    expect(sub).not.toBe(decodeJwt(prod.access_token).sub);
    for (const bad of [prod.id_token!, `${prod.access_token.slice(0, -4)}AAAA`]) {
      const res = await w.bearer('/oauth2/userinfo', bad);
      expect([res.status, res.headers.get('www-authenticate')?.startsWith('Bearer realm="api", error="invalid_token"')]).toEqual([401, true]);
    }
  });

  it('stops answering once the grant is revoked', async () => {
    const t = await tokens();
    expect((await w.bearer('/oauth2/userinfo', t.access_token)).status).toBe(200);
    const revoked = await fetch(`${w.service.url}/oauth2/revoke`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token: t.refresh_token!, client_id: 'hub' }) });
    expect(revoked.status).toBe(200);
    const after = await w.bearer('/oauth2/userinfo', t.access_token);
    expect([after.status, after.body.detail]).toEqual([401, 'The access token has been revoked.']);
  });
});

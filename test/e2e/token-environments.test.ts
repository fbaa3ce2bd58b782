import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { decodeJwt } from 'jose';
import * as oidc from 'openid-client';
import { World } from '../support/world.js';

type Tokens = oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers;

/**
 * Introspection (RFC 7662) and revocation (RFC 7009) across the environment separation: a resource server of one
 * environment never learns about the other's tokens (they are just inactive to it), the REST API of one refuses
 * the other's, and revocation acts on the caller's own tokens only, whatever the environment: revoking a
 * training token leaves the same person's production sign-in alone, and a training app cannot revoke anything
 * of a production app.
 */
describe('introspection and revocation: training versus production tokens', () => {
  let w: World;
  let hub: oidc.Configuration;
  let prodApi: oidc.Configuration;
  let trainingApi: oidc.Configuration;
  let hubTraining: { clientId: string; clientSecret?: string };
  let prod: Tokens;
  let train: Tokens;
  const alice = { login: 'alice@kentel.com', password: 'Al1ce-pass' };

  beforeAll(async () => {
    w = await World.start({ TRAINING_POOL_SIZE: '2' });
    const kentel = await w.addTenant('kentel', ['kentel.com'], { training: { enabled: true } });
    await w.addApp('hub');
    hub = await w.app('hub');
    // Resource servers: confidential clients, one per environment.
    const p = await w.addApp('rq-api', { type: 'confidential', introspection: true });
    prodApi = await w.app('rq-api', p.clientSecret);
    const t = await w.addApp('rq-api-training', { type: 'confidential', environment: 'training', introspection: true });
    trainingApi = await w.app('rq-api-training', t.clientSecret);
    hubTraining = await w.addApp('pos-training', { type: 'confidential', environment: 'training' });
    kentel.authServer.setUser(alice.login, {
      password: alice.password,
      sub: '00uALICE0001',
      claims: { userName: alice.login, name: 'Alice', family_name: 'Archer', email: alice.login, security_group_name: 'Associate' },
    });
  });
  afterAll(() => w?.close());

  async function signIn(params: Record<string, string> = {}): Promise<Tokens> {
    const r = await w.signIn(hub, alice, params);
    if (!('tokens' in r) || !r.tokens) throw new Error(`sign-in failed: ${JSON.stringify(r)}`);
    return r.tokens as Tokens;
  }
  const revoke = (client: { clientId: string; clientSecret?: string }, token: string, hint?: string) =>
    fetch(`${w.service.url}/oauth2/revoke`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        ...(client.clientSecret ? { authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}` } : {}),
      },
      body: new URLSearchParams({ token, ...(client.clientSecret ? {} : { client_id: client.clientId }), ...(hint ? { token_type_hint: hint } : {}) }),
    });

  it('the same app signs the same person in to both environments: two tokens, two users', async () => {
    prod = await signIn();
    train = await signIn({ environment: 'training' });
    expect(decodeJwt(prod.access_token)).toMatchObject({ aud: 'urn:iqmetrix:api', env: 'production', client_id: 'hub' });
    expect(decodeJwt(train.access_token)).toMatchObject({ aud: 'urn:iqmetrix:api:training', env: 'training', client_id: 'hub' });
    expect(decodeJwt(train.access_token).sub).not.toBe(decodeJwt(prod.access_token).sub);
  });

  it('a production resource server: the production tokens are active, the training ones just inactive', async () => {
    expect(await oidc.tokenIntrospection(prodApi, prod.access_token)).toMatchObject({ active: true, token_type: 'Bearer', env: 'production', aud: 'urn:iqmetrix:api', client_id: 'hub', username: alice.login });
    const prodRefresh = await oidc.tokenIntrospection(prodApi, prod.refresh_token!, { token_type_hint: 'refresh_token' });
    expect(prodRefresh).toMatchObject({ active: true, env: 'production' });
    expect(prodRefresh).not.toHaveProperty('token_type'); // RFC 7662 §2.2: an RFC 6749 §7.1 type, which a refresh token has not
    expect(await oidc.tokenIntrospection(prodApi, train.access_token)).toEqual({ active: false });
    expect(await oidc.tokenIntrospection(prodApi, train.refresh_token!, { token_type_hint: 'refresh_token' })).toEqual({ active: false });
    // a wrong hint changes nothing
    expect(await oidc.tokenIntrospection(prodApi, train.access_token, { token_type_hint: 'refresh_token' })).toEqual({ active: false });
  });

  it('a training resource server: the training tokens are active, the production ones just inactive', async () => {
    expect(await oidc.tokenIntrospection(trainingApi, train.access_token)).toMatchObject({
      active: true, token_type: 'Bearer', env: 'training', aud: 'urn:iqmetrix:api:training', client_id: 'hub', username: alice.login, sub: decodeJwt(train.access_token).sub,
    });
    const trainRefresh = await oidc.tokenIntrospection(trainingApi, train.refresh_token!, { token_type_hint: 'refresh_token' });
    expect(trainRefresh).toMatchObject({ active: true, env: 'training', sub: decodeJwt(train.access_token).sub });
    expect(trainRefresh).not.toHaveProperty('token_type');
    expect(await oidc.tokenIntrospection(trainingApi, prod.access_token)).toEqual({ active: false });
    expect(await oidc.tokenIntrospection(trainingApi, prod.refresh_token!, { token_type_hint: 'refresh_token' })).toEqual({ active: false });
  });

  it('the REST API of each environment refuses the other\'s access tokens', async () => {
    expect((await w.bearer('/v1/me', prod.access_token)).status).toBe(200);
    expect((await w.bearer('/v1/training/me', train.access_token)).status).toBe(200);
    const wrong = await w.bearer('/v1/me', train.access_token);
    expect(wrong.status).toBe(401);
    expect(wrong.body.detail).toBe('The access token is not for the production API.');
    const wrongWay = await w.bearer('/v1/training/me', prod.access_token);
    expect(wrongWay.status).toBe(401);
    expect(wrongWay.body.detail).toBe('The access token is not for the training API.');
  });

  it('revocation: a training app cannot revoke a production app\'s tokens (400 invalid_request, nothing revoked)', async () => {
    for (const [token, hint] of [[prod.refresh_token!, undefined], [prod.access_token, 'access_token'], [train.access_token, 'access_token']] as const) { // the last hub's, though training
      const res = await revoke(hubTraining, token, hint);
      expect({ hint, status: res.status, error: ((await res.json()) as { error: string }).error }).toEqual({ hint, status: 400, error: 'invalid_request' });
    }
    expect((await oidc.tokenIntrospection(prodApi, prod.access_token)).active).toBe(true);
    expect((await oidc.tokenIntrospection(trainingApi, train.access_token)).active).toBe(true);
  });

  it('revocation: the app revokes its training sign-in; the same person\'s production sign-in is untouched', async () => {
    expect((await revoke({ clientId: 'hub' }, train.access_token, 'access_token')).status).toBe(200);
    expect(await oidc.tokenIntrospection(trainingApi, train.access_token)).toEqual({ active: false });
    expect(await oidc.tokenIntrospection(trainingApi, train.refresh_token!, { token_type_hint: 'refresh_token' })).toEqual({ active: false });
    await expect(oidc.refreshTokenGrant(hub, train.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant', error_description: 'The refresh token has been revoked.' });

    expect((await oidc.tokenIntrospection(prodApi, prod.access_token)).active).toBe(true);
    expect((await w.bearer('/v1/me', prod.access_token)).status).toBe(200);
    const next = await oidc.refreshTokenGrant(hub, prod.refresh_token!);
    expect(decodeJwt(next.access_token)).toMatchObject({ env: 'production' });

    // And the other way round: revoking the production grant leaves a new training sign-in alone.
    const again = await signIn({ environment: 'training' });
    expect((await revoke({ clientId: 'hub' }, next.refresh_token!)).status).toBe(200);
    expect(await oidc.tokenIntrospection(prodApi, next.access_token)).toEqual({ active: false });
    expect((await oidc.tokenIntrospection(trainingApi, again.access_token)).active).toBe(true);
  });
});

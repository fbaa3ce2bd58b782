/**
 * The Okta stand-in, driven by a real OIDC client (openid-client 6) over real HTTPS.
 * Run with the test CA trusted:
 *   node -e "import('./tools/pki.mjs').then(m => m.ensureTestPki('.test-tmp/pki'))"
 *   NODE_EXTRA_CA_CERTS=.test-tmp/pki/ca.pem NODE_OPTIONS=--experimental-vm-modules npx jest test/tools/okta-stand-in.test.ts
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { Browser, CookieJar } from '../../tools/browser.js';
import {
  PASSWORD_GRANT_ERRORS, startOktaStandIn, type AuthServer, type OktaStandIn,
} from '../../tools/okta-stand-in/index.js';

const SECRET = 'a+b%c:d e'; // needs RFC 6749 §2.3.1 form-encoding inside HTTP Basic
const REDIRECT_URI = 'https://broker.test/callback'; // never requested: the browser stops there
const FULL_SCOPE = 'openid email profile phone iqmetrix';

const JOHN = {
  password: 'Corr3ct horse!',
  sub: '00uJOHN0000000000001',
  claims: {
    userName: 'john.smith@yvr.kentel.local',
    name: 'John',
    family_name: 'Smith',
    email: 'john.smith@kentel.com',
    phone_number: '+1 604 555 0100',
    mobile_number: '+1 604 555 0199',
    security_group_name: 'Store Manager',
    assigned_entity_client_entity_ids: ['YVR-001', 'YVR-002'],
    attribute_EmailDisplayName: 'John Smith',
    attribute_OrganizationalRoleID: '12',
    attribute_SupervisorUPN: 'jane.doe@yvr.kentel.local',
    attribute_SpecialIdentifier: 'E-1001',
    attribute_CommissionGroupID: '3',
    attribute_CommissionType: 'Standard',
    attribute_rqCustomField_ShirtSize: 'L',
  },
};

let standIn: OktaStandIn;
let as: AuthServer;
let config: oidc.Configuration;

async function codeFlow(
  browser: Browser, extra: Record<string, string> = {},
  creds: { username?: string; password?: string } = { username: 'john', password: JOHN.password },
) {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT_URI,
    scope: FULL_SCOPE,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...extra,
  });
  const result = await browser.follow(url.href, { stopAt: REDIRECT_URI, ...creds });
  return { result, verifier, state, nonce };
}

async function exchange(flow: Awaited<ReturnType<typeof codeFlow>>) {
  expect(flow.result.reached).toBe(true);
  return oidc.authorizationCodeGrant(config, new URL(flow.result.url), {
    pkceCodeVerifier: flow.verifier, expectedState: flow.state, expectedNonce: flow.nonce,
  });
}

beforeAll(async () => {
  standIn = await startOktaStandIn({ pkiDir: '.test-tmp/pki', authServers: ['ausTEST1'] });
  as = standIn.authServer('ausTEST1');
  as.setUser('john', JOHN);
  as.setUser('locked.user', { password: 'pw', claims: {}, locked: true });
  as.setUser('mfa.user', { password: 'pw', claims: {}, mfaRequired: true });
  await as.addClient({
    client_id: 'broker', client_secret: SECRET, redirect_uris: [REDIRECT_URI],
    grant_types: ['authorization_code', 'refresh_token', 'password'],
  });
  config = await oidc.discovery(new URL(as.issuer), 'broker', undefined, oidc.ClientSecretBasic(SECRET));
});

afterAll(async () => {
  await standIn?.close();
});

describe('okta stand-in', () => {
  it('serves Okta-shaped discovery over HTTPS', () => {
    const md = config.serverMetadata();
    expect(as.issuer).toBe(`${standIn.origin}/oauth2/ausTEST1`);
    expect(md.issuer).toBe(as.issuer);
    expect(md.authorization_endpoint).toBe(`${as.issuer}/v1/authorize`);
    expect(md.token_endpoint).toBe(`${as.issuer}/v1/token`);
    expect(md.userinfo_endpoint).toBe(`${as.issuer}/v1/userinfo`);
    expect(md.jwks_uri).toBe(`${as.issuer}/v1/keys`);
    expect(md.end_session_endpoint).toBe(`${as.issuer}/v1/logout`);
    expect(md.revocation_endpoint).toBe(`${as.issuer}/v1/revoke`);
    expect(md.introspection_endpoint).toBe(`${as.issuer}/v1/introspect`);
    expect(md.scopes_supported).toEqual(expect.arrayContaining(['openid', 'email', 'profile', 'phone', 'iqmetrix', 'offline_access']));
    expect(md.code_challenge_methods_supported).toEqual(['S256']);
    expect(md.id_token_signing_alg_values_supported).toEqual(['RS256']);
    expect(md.grant_types_supported).toEqual(expect.arrayContaining(['authorization_code', 'password', 'client_credentials']));
  });

  it('runs the authorization code flow with PKCE and Basic client auth; UserInfo carries the custom claims', async () => {
    as.clearRequests();
    const browser = new Browser();
    const flow = await codeFlow(browser);
    const tokens = await exchange(flow);

    const idToken = tokens.claims()!;
    expect(decodeProtectedHeader(tokens.id_token!)).toMatchObject({ alg: 'RS256', kid: as.signingKid });
    expect(idToken).toMatchObject({ sub: JOHN.sub, iss: as.issuer, aud: 'broker', nonce: flow.nonce });
    expect(typeof idToken.auth_time).toBe('number');
    expect(idToken).not.toHaveProperty('security_group_name'); // thin ID token, like Okta's code flow

    const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, JOHN.sub);
    expect(userinfo).toEqual({ sub: JOHN.sub, ...JOHN.claims });

    const [authorize] = as.requestsTo('authorize');
    expect(authorize!.query).toMatchObject({ code_challenge_method: 'S256', client_id: 'broker' });
    expect(authorize!.query.code_challenge).toMatch(/^[\w-]{43}$/);
    const [token] = as.requestsTo('token');
    expect(token!.headers.authorization).toMatch(/^Basic /);
    expect(token!.basicAuth).toEqual({ clientId: 'broker', clientSecret: SECRET });
    expect(token!.form).toMatchObject({ grant_type: 'authorization_code', code_verifier: flow.verifier });
    expect(token!.form).not.toHaveProperty('client_secret');
    expect(token!.status).toBe(200);
  });

  it('keeps an SSO session, but prompt=login shows the form again; wrong passwords re-render it', async () => {
    const browser = new Browser();
    await exchange(await codeFlow(browser));

    const sso = await codeFlow(browser, {}, { username: 'nobody', password: 'x' }); // credentials unused
    expect(sso.result.reached).toBe(true);
    expect(sso.result.trail.some((hop) => hop.url.includes('/login/'))).toBe(false);

    const forced = await codeFlow(browser, { prompt: 'login' }, { username: 'john', password: 'wrong' });
    expect(forced.result.reached).toBe(false);
    expect(forced.result.response!.status).toBe(200);
    expect(forced.result.response!.body).toContain('Unable to sign in');
    expect(forced.result.response!.body).toContain('type="password"');
  });

  it('issues a refresh token for offline_access (no prompt=consent needed) and signs out through /v1/logout', async () => {
    await as.addClient({
      client_id: 'broker', client_secret: SECRET, redirect_uris: [REDIRECT_URI],
      post_logout_redirect_uris: ['https://broker.test/signed-out'],
      grant_types: ['authorization_code', 'refresh_token', 'password'],
    });
    const browser = new Browser();
    const tokens = await exchange(await codeFlow(browser, { scope: `${FULL_SCOPE} offline_access` }));
    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
    expect(refreshed.access_token).not.toBe(tokens.access_token);

    const logout = oidc.buildEndSessionUrl(config, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: 'https://broker.test/signed-out' });
    expect((await browser.follow(logout.href, { stopAt: 'https://broker.test/signed-out' })).reached).toBe(true);
    const again = await codeFlow(browser, {}, {}); // no credentials
    expect(again.result.response?.body).toContain('type="password"'); // the session is gone
  });

  it('serves changed claims on the next login', async () => {
    as.updateUser('john', { claims: { security_group_name: 'Sales Associate', attribute_rqCustomField_Badge: 'B7' } });
    try {
      const tokens = await exchange(await codeFlow(new Browser()));
      const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, JOHN.sub);
      expect(userinfo).toMatchObject({ security_group_name: 'Sales Associate', attribute_rqCustomField_Badge: 'B7' });
    } finally {
      as.updateUser('john', { claims: { security_group_name: JOHN.claims.security_group_name, attribute_rqCustomField_Badge: undefined } });
    }
  });

  it('requires PKCE', async () => {
    const url = oidc.buildAuthorizationUrl(config, { redirect_uri: REDIRECT_URI, scope: 'openid', state: 's' });
    const result = await new Browser().follow(url.href, { stopAt: REDIRECT_URI });
    expect(result.reached).toBe(true);
    expect(new URL(result.url).searchParams.get('error')).toBe('invalid_request');
  });

  it('supports the password grant with Okta refusals', async () => {
    const ok = await oidc.genericGrantRequest(config, 'password', {
      username: 'john', password: JOHN.password, scope: `${FULL_SCOPE} offline_access`,
    });
    expect(ok.claims()).toMatchObject({ sub: JOHN.sub, iss: as.issuer, aud: 'broker' });
    expect(decodeProtectedHeader(ok.id_token!).kid).toBe(as.signingKid);
    expect(ok.refresh_token).toEqual(expect.any(String));
    expect(await oidc.fetchUserInfo(config, ok.access_token, JOHN.sub)).toMatchObject({ userName: JOHN.claims.userName });

    const refused = async (username: string, password: string) => {
      const err = await oidc.genericGrantRequest(config, 'password', { username, password, scope: 'openid' })
        .catch((e: unknown) => e) as oidc.ResponseBodyError;
      expect(err).toBeInstanceOf(oidc.ResponseBodyError);
      expect(err.status).toBe(400);
      expect(err.error).toBe('invalid_grant');
      return err.error_description;
    };
    expect(await refused('john', 'wrong')).toBe('The credentials provided were invalid.');
    expect(await refused('locked.user', 'pw')).toBe(PASSWORD_GRANT_ERRORS.locked);
    expect(await refused('mfa.user', 'pw')).toMatch(/MFA is required|multifactor/i);
  });

  it('rotates the signing key: new kid in the JWKS, old one kept, new tokens signed with it', async () => {
    const oldKid = as.signingKid;
    const newKid = as.rotateSigningKey();
    expect(newKid).not.toBe(oldKid);
    const jwks = await (await fetch(as.endpoints.jwks)).json() as { keys: Array<{ kid: string; d?: string }> };
    expect(jwks.keys.map((k) => k.kid)).toEqual([newKid, oldKid]);
    expect(jwks.keys.some((k) => k.d)).toBe(false);

    const tokens = await oidc.genericGrantRequest(config, 'password', { username: 'john', password: JOHN.password, scope: 'openid' });
    expect(decodeProtectedHeader(tokens.id_token!).kid).toBe(newKid);

    const keySet = createRemoteJWKSet(new URL(as.endpoints.jwks));
    const minted = await as.mintIdToken({ sub: JOHN.sub, aud: 'broker', nonce: 'wrong' });
    await expect(jwtVerify(minted, keySet, { issuer: as.issuer, audience: 'broker' })).resolves.toBeDefined();
    await expect(jwtVerify(as.tamperSignature(minted), keySet)).rejects.toThrow(/signature/);
    const foreign = await as.signJwt({ sub: 'x' }, { foreignKey: true });
    await expect(jwtVerify(foreign, keySet)).rejects.toThrow(/no applicable key/i);
  });

  it('injects faults: an HTML token endpoint, then back to normal', async () => {
    as.faults.next('token', { status: 200, body: '<html><body>Okta is down</body></html>' });
    await expect(oidc.genericGrantRequest(config, 'password', { username: 'john', password: JOHN.password, scope: 'openid' }))
      .rejects.toThrow();
    const [faulted] = as.requestsTo('token').slice(-1);
    expect(faulted!.form).toMatchObject({ grant_type: 'password', username: 'john' });
    expect(faulted!.headers.authorization).toMatch(/^Basic /);

    as.faults.next('userinfo', { status: 429, headers: { 'X-Rate-Limit-Reset': '1700000000' }, body: { errorCode: 'E0000047' } });
    const tokens = await oidc.genericGrantRequest(config, 'password', { username: 'john', password: JOHN.password, scope: 'openid' });
    const limited = await fetch(as.endpoints.userinfo, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('x-rate-limit-reset')).toBe('1700000000');
    expect((await oidc.fetchUserInfo(config, tokens.access_token, JOHN.sub)).sub).toBe(JOHN.sub);
  });

  it('enforces the registered client auth method and allows client_credentials for clients that list it', async () => {
    const post = await oidc.discovery(new URL(as.issuer), 'broker', undefined, oidc.ClientSecretPost(SECRET));
    await expect(oidc.genericGrantRequest(post, 'password', { username: 'john', password: JOHN.password, scope: 'openid' }))
      .rejects.toMatchObject({ error: 'invalid_client' });

    await as.addClient({ client_id: 'probe', client_secret: 'probe secret', grant_types: ['client_credentials'] });
    const probe = await oidc.discovery(new URL(as.issuer), 'probe', undefined, oidc.ClientSecretBasic('probe secret'));
    const cc = await oidc.clientCredentialsGrant(probe, { scope: 'iqmetrix' });
    expect(cc.scope).toBe('iqmetrix');
    await expect(oidc.clientCredentialsGrant(config, { scope: 'iqmetrix' })).rejects.toMatchObject({ error: 'unauthorized_client' });
  });
});

describe('browser cookie jar', () => {
  it('scopes cookies by host, Path and Secure, and honours Max-Age/Expires', () => {
    const jar = new CookieJar();
    const at = (url: string) => new URL(url);
    jar.store(at('https://127.0.0.1:8443/oauth2/aus1/v1/authorize'), [
      'sid=1; Path=/; Secure; HttpOnly; SameSite=Lax',
      'flow=2; Path=/oauth2/aus1/login; Max-Age=60',
      'old=3; Expires=Thu, 01 Jan 1970 00:00:00 GMT',
      'dflt=4',
      'evil=5; Domain=other.test',
    ]);
    expect(jar.header(at('https://127.0.0.1:9/oauth2/aus1/login/abc'))).toBe('flow=2; sid=1'); // any port
    expect(jar.header(at('https://127.0.0.1/oauth2/aus1/loginx'))).toBe('sid=1');
    expect(jar.header(at('https://127.0.0.1/oauth2/aus1/v1/token'))).toBe('dflt=4; sid=1'); // default-path /oauth2/aus1/v1
    expect(jar.header(at('https://127.0.0.1/'))).toBe('sid=1');
    expect(jar.header(at('https://localhost/oauth2/aus1/x'))).toBeUndefined();
    expect(jar.get('sid')).toMatchObject({ secure: true, httpOnly: true, hostOnly: true, path: '/' });

    jar.store(at('https://127.0.0.1/'), ['flow=; Path=/oauth2/aus1/login; Max-Age=0']);
    expect(jar.get('flow')).toBeUndefined();
    jar.store(at('http://app.test/a/b'), ['s=1; Secure', 'd=1; Domain=app.test; Path=/']);
    expect(jar.get('s')).toBeUndefined(); // Secure from an insecure, non-loopback origin
    expect(jar.header(at('http://www.app.test/x'))).toBe('d=1');
  });
});

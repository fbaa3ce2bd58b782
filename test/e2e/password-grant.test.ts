import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { decodeJwt } from 'jose';
import { PASSWORD_GRANT_ERRORS } from '../../tools/okta-stand-in/index.js';
import { OKTA_CLIENT_SECRET, type TenantSetup, World } from '../support/world.js';
import { startService, type TestService } from '../support/service.js';

type Client = { clientId: string; clientSecret?: string };

/**
 * Credential forwarding (grant_type=password): an app that collects the password itself (a desktop POS).
 * The tenant comes from the username's domain; the service forwards a resource-owner password grant to the
 * tenant's Okta and then does exactly what the browser flow does. The password goes nowhere else.
 */
describe('password grant (credential forwarding)', () => {
  let w: World;
  let second: TestService;
  let kentel: TenantSetup;
  let other: TenantSetup;
  let pos: Client;
  let posThrottle: Client;
  /** Every password this test sends: none may appear in a log line, an audit row or a response. */
  const passwords: string[] = [];
  const pw = (p: string) => (passwords.push(p), p);
  const alicePw = pw('Al1ce-PassW0rd-9f3b');
  const wrongPw = pw('Wr0ng-PassW0rd-c71e');

  beforeAll(async () => {
    const env = { PASSWORD_GRANT_MAX_FAILURES_PER_USERNAME: '3', PASSWORD_GRANT_MAX_FAILURES_PER_CLIENT: '12' };
    w = await World.start(env);
    second = await startService(w.db.url, env); // a second instance on the same database
    kentel = await w.addTenant('kentel', ['kentel.com'], { okta: { passwordGrant: true }, usernameRewrites: [{ from: 'yvr.kentel.local', to: 'kentel.com' }] });
    other = await w.addTenant('other', ['other.com']); // password grant not enabled (the default)
    await w.addLocations('kentel', ['LOC-1']);
    pos = await w.addApp('rq-pos', { type: 'confidential', grantTypes: ['password', 'refresh_token'] });
    posThrottle = await w.addApp('rq-pos-2', { type: 'confidential', grantTypes: ['password'] });
    const claims = (login: string) => ({ userName: login, name: 'Alice', family_name: 'Archer', email: login, security_group_name: 'Associate', assigned_entity_client_entity_ids: 'LOC-1' });
    kentel.authServer.setUser('alice@kentel.com', { password: alicePw, sub: '00uALICE0001', claims: claims('alice@kentel.com') });
    kentel.authServer.setUser('john.smith@yvr.kentel.local', { password: pw('J0hn-PassW0rd-aa21'), sub: '00uJOHN00001', claims: claims('john.smith@yvr.kentel.local') });
    kentel.authServer.setUser('locked@kentel.com', { password: pw('L0cked-PassW0rd-0b8c'), sub: '00uLOCKED001', locked: true, claims: claims('locked@kentel.com') });
    kentel.authServer.setUser('mfa@kentel.com', { password: pw('Mfa-PassW0rd-7d1e'), sub: '00uMFA000001', mfaRequired: true, claims: claims('mfa@kentel.com') });
    kentel.authServer.setUser('thr@kentel.com', { password: pw('Thr-PassW0rd-5e5e'), sub: '00uTHR000001', claims: claims('thr@kentel.com') });
    other.authServer.setUser('bob@other.com', { password: pw('B0b-PassW0rd-1234'), sub: '00uBOB000001', claims: { userName: 'bob@other.com', security_group_name: 'Associate' } });
  });
  afterAll(async () => {
    await second?.close();
    await w?.close();
  });

  it('the right password: Okta is asked with the tenant\'s client authentication and provisioning scopes; the user is provisioned; our tokens', async () => {
    kentel.authServer.clearRequests();
    const r = await w.passwordGrant(pos, 'alice@kentel.com', alicePw, { scope: 'openid profile email' });
    expect(r.status).toBe(200);
    expect(r.headers.get('cache-control')).toBe('no-store');
    expect(Object.keys(r.body).sort()).toEqual(['access_token', 'expires_in', 'id_token', 'refresh_token', 'scope', 'token_type']);
    expect(decodeJwt(r.body.access_token)).toMatchObject({ aud: 'urn:iqmetrix:api', env: 'production', tenant: 'kentel', client_id: 'rq-pos', username: 'alice@kentel.com', role: 'RQ-Associate', locations: ['LOC-1'] });
    const idToken = decodeJwt(r.body.id_token);
    expect(idToken).toMatchObject({ aud: 'rq-pos', env: 'production', email: 'alice@kentel.com' });
    expect(idToken.nonce).toBeUndefined();

    const [forwarded] = kentel.authServer.requestsTo('token');
    expect(forwarded!.basicAuth).toEqual({ clientId: kentel.oktaClientId, clientSecret: OKTA_CLIENT_SECRET });
    expect(forwarded!.form).toMatchObject({ grant_type: 'password', username: 'alice@kentel.com' });
    expect(forwarded!.form?.client_secret).toBeUndefined();
    expect(String(forwarded!.form?.scope).split(' ').sort()).toEqual(['email', 'iqmetrix', 'openid', 'phone', 'profile']);
    expect(kentel.authServer.requestsTo('userinfo')).toHaveLength(1);

    const me = await w.bearer('/v1/me', r.body.access_token);
    expect(me).toMatchObject({ status: 200, body: { username: 'alice@kentel.com', securityRole: 'RQ-Associate', locations: ['LOC-1'], environment: 'production' } });
    const audits = await w.audits('kentel');
    expect(audits[audits.length - 1]).toMatchObject({ source: 'password', environment: 'production', outcome: 'created', subject: '00uALICE0001', user_id: me.body.sub });

    const discovery = (await (await fetch(`${w.service.url}/.well-known/openid-configuration`)).json()) as { grant_types_supported: string[] };
    expect(discovery.grant_types_supported).toEqual(expect.arrayContaining(['authorization_code', 'refresh_token', 'password']));

    const refreshed = await w.tokenRequest(pos, { grant_type: 'refresh_token', refresh_token: r.body.refresh_token });
    expect(refreshed.status).toBe(200);
    expect(decodeJwt(refreshed.body.access_token)).toMatchObject({ sub: me.body.sub, env: 'production' });
  });

  it('finds the tenant after its rewrite rules: john.smith@yvr.kentel.local signs in to kentel, as typed at Okta', async () => {
    kentel.authServer.clearRequests();
    const r = await w.passwordGrant(pos, 'john.smith@yvr.kentel.local', passwords[2]!);
    expect(r.status).toBe(200);
    expect(decodeJwt(r.body.access_token)).toMatchObject({ tenant: 'kentel', username: 'john.smith@kentel.com' });
    expect(kentel.authServer.requestsTo('token')[0]!.form).toMatchObject({ username: 'john.smith@yvr.kentel.local' });
  });

  it('turns each Okta refusal into the right OAuth error with our own words', async () => {
    const wrong = await w.passwordGrant(pos, 'alice@kentel.com', wrongPw);
    expect(wrong).toMatchObject({ status: 400, body: { error: 'invalid_grant', error_description: 'The username or password is not correct.' } });
    const locked = await w.passwordGrant(pos, 'locked@kentel.com', passwords[3]!);
    expect(locked).toMatchObject({ status: 400, body: { error: 'invalid_grant', error_description: "This account is locked at your organization's Okta; contact your administrator." } });
    const mfa = await w.passwordGrant(pos, 'mfa@kentel.com', passwords[4]!);
    expect(mfa).toMatchObject({ status: 400, body: { error: 'invalid_grant', error_description: 'Your organization requires multi-factor authentication for this account, which a password sign-in cannot provide; sign in through the browser instead.' } });
    for (const r of [wrong, locked, mfa]) {
      expect(Object.values(PASSWORD_GRANT_ERRORS).some((okta) => r.body.error_description.includes(okta))).toBe(false); // never Okta's text
    }

    // The tenant's Okta app does not allow the password grant (Okta answers unauthorized_client).
    await kentel.authServer.addClient({ client_id: kentel.oktaClientId, client_secret: OKTA_CLIENT_SECRET, redirect_uris: [`${w.service.url}/oauth2/callback`], grant_types: ['authorization_code', 'refresh_token'] });
    try {
      const notAllowed = await w.passwordGrant(pos, 'alice@kentel.com', alicePw);
      expect(notAllowed).toMatchObject({ status: 400, body: { error: 'unauthorized_client', error_description: expect.stringMatching(/^Your organization's Okta does not allow password sign-in for this service/) } });
    } finally {
      await kentel.authServer.addClient({ client_id: kentel.oktaClientId, client_secret: OKTA_CLIENT_SECRET, redirect_uris: [`${w.service.url}/oauth2/callback`], grant_types: ['authorization_code', 'refresh_token', 'password', 'client_credentials'] });
    }
    const failed = (await w.audits('kentel')).filter((a) => a.source === 'password' && a.outcome === 'failed');
    expect(failed.map((a) => a.reasons[0].reason)).toEqual([
      'the password grant was refused (invalid-credentials)', 'the password grant was refused (locked)', 'the password grant was refused (mfa-required)', 'the password grant was refused (grant-not-allowed)',
    ]);
  });

  it("answers Okta's unusable answers (HTML, over OUTBOUND_MAX_BYTES, a malformed ID token) and its refusal of our credentials as server_error, never invalid_grant; none counts toward the lockout", async () => {
    const huge = 'x'.repeat(1_100_000);
    const cases: Array<[Parameters<typeof kentel.authServer.faults.next>[1], string]> = [
      [{ status: 200, body: '<html><body>Okta is down for maintenance</body></html>' }, "Your company's Okta answered the token request with text/html; charset=utf-8 instead of JSON."],
      [{ status: 200, body: { access_token: 'x', pad: huge } }, "Your company's Okta sent an answer larger than 1048576 bytes for the token request."],
      [{ transform: (body) => ({ ...body, id_token: 12345 }) }, "Your company's Okta sent a malformed ID token (not a string)."],
      [{ status: 401, body: { error: 'invalid_client', error_description: 'Client authentication failed.' } }, "Your company's Okta refused this service's client credentials: your company's sign-in configuration is wrong. Contact your administrator."],
    ];
    // More of them than PASSWORD_GRANT_MAX_FAILURES_PER_USERNAME (3), all for one user with the right password.
    for (const [fault, description] of [...cases, ...cases]) {
      kentel.authServer.faults.next('token', fault);
      const r = await w.passwordGrant(pos, 'alice@kentel.com', alicePw);
      expect([r.status, r.body]).toEqual([500, { error: 'server_error', error_description: description }]);
    }
    expect((await w.passwordGrant(pos, 'alice@kentel.com', alicePw)).status).toBe(200);
  });

  it("answers only Okta's refusal of the credentials as invalid_grant: another status, a 400 without an OAuth error, an unexpected code or UserInfo refused is server_error, Okta's outage codes temporarily_unavailable; none counts toward the lockout", async () => {
    type Fault = Parameters<typeof kentel.authServer.faults.next>[1];
    const cases: Array<['token' | 'userinfo', Fault, number, string, string]> = [
      ['token', { status: 404, body: '<html><body>Not Found</body></html>' }, 500, 'server_error', "Your company's Okta answered the token request with HTTP 404 and no OAuth error."],
      ['token', { status: 403, body: '<html><body>Forbidden</body></html>' }, 500, 'server_error', "Your company's Okta answered the token request with HTTP 403 and no OAuth error."],
      ['token', { status: 302, headers: { location: 'https://login.example/' }, body: '' }, 500, 'server_error', "Your company's Okta answered the token request with HTTP 302 and no OAuth error."],
      ['token', { status: 400, body: '' }, 500, 'server_error', "Your company's Okta answered the token request with HTTP 400 and no OAuth error."],
      ['token', { status: 400, body: { error: 'invalid_request' } }, 500, 'server_error', "Your company's Okta answered the token request with an error this service does not expect (invalid_request, HTTP 400)."],
      ['token', { status: 400, body: { error: 'server_error' } }, 503, 'temporarily_unavailable', "Your company's Okta had an error answering the token request (server_error)."],
      ['token', { status: 400, body: { error: 'temporarily_unavailable' } }, 503, 'temporarily_unavailable', "Your company's Okta had an error answering the token request (temporarily_unavailable)."],
      // Okta accepted the password (a good token answer), then refused its own access token at UserInfo.
      ['userinfo', { status: 401, body: { error: 'invalid_token' } }, 500, 'server_error', "Your company's Okta answered the UserInfo request with HTTP 401 instead of the user's claims."],
      ['userinfo', { status: 403, body: '<html><body>Forbidden</body></html>' }, 500, 'server_error', "Your company's Okta answered the UserInfo request with HTTP 403 instead of the user's claims."],
    ];
    // Nine of them, over PASSWORD_GRANT_MAX_FAILURES_PER_USERNAME (3), all for one user with the right password.
    const answers = [];
    for (const [endpoint, fault] of cases) {
      kentel.authServer.faults.next(endpoint, fault);
      const r = await w.passwordGrant(pos, 'alice@kentel.com', alicePw);
      answers.push([r.status, r.body]);
    }
    expect(answers).toEqual(cases.map(([, , status, error, description]) => [status, { error, error_description: description }]));
    expect((await w.passwordGrant(pos, 'alice@kentel.com', alicePw)).status).toBe(200);
  });

  it('refuses tenants that did not enable it, unknown domains, and clients not allowed the grant, without asking Okta', async () => {
    other.authServer.clearRequests();
    const off = await w.passwordGrant(pos, 'bob@other.com', passwords[6]!);
    expect(off).toMatchObject({ status: 400, body: { error: 'unauthorized_client', error_description: 'This organization does not allow applications to sign in with a password.' } });
    expect(other.authServer.requestsTo('token')).toHaveLength(0);

    expect(await w.passwordGrant(pos, 'someone@unknown.example', wrongPw)).toMatchObject({ status: 400, body: { error: 'invalid_grant', error_description: "No organization is set up for sign-in with this username's domain." } });
    expect(await w.passwordGrant(pos, 'not-an-email', wrongPw)).toMatchObject({ status: 400, body: { error: 'invalid_grant', error_description: 'The username must be a work email address, like name@company.com.' } });
    expect(await w.tokenRequest(pos, { grant_type: 'password', username: 'alice@kentel.com' })).toMatchObject({ status: 400, body: { error: 'invalid_request', error_description: 'The password parameter is required.' } });
    expect(await w.passwordGrant(pos, 'alice@kentel.com', alicePw, { scope: 'openid admin' })).toMatchObject({ status: 400, body: { error: 'invalid_scope' } });

    const codeOnly = await w.addApp('hub-confidential', { type: 'confidential', grantTypes: ['authorization_code'] });
    expect(await w.passwordGrant(codeOnly, 'alice@kentel.com', alicePw)).toMatchObject({ status: 400, body: { error: 'unauthorized_client', error_description: 'This client may not use the password grant.' } });
    const publicWithPassword = await w.service.admin('POST', '/admin/clients', { clientId: 'pos-public', name: 'POS', type: 'public', redirectUris: ['http://127.0.0.1:9/cb'], grantTypes: ['password'] });
    expect(publicWithPassword).toMatchObject({ status: 422, body: { errors: [{ field: 'grantTypes', reason: 'the password grant is only for confidential clients' }] } });
  });

  it('throttles failures per username across instances, then per client, before Okta is asked', async () => {
    kentel.authServer.clearRequests();
    const thrPw = passwords[5]!;
    const bad = (service?: TestService) => w.passwordGrant(posThrottle, 'thr@kentel.com', wrongPw, {}, service);
    expect((await bad()).body.error).toBe('invalid_grant');
    expect((await bad(second)).body.error).toBe('invalid_grant'); // the other instance counts in the same place
    expect((await bad()).body.error).toBe('invalid_grant');
    const throttled = await w.passwordGrant(posThrottle, 'thr@kentel.com', thrPw, {}, second); // even the right password now
    expect(throttled.status).toBe(429);
    expect(throttled.body).toEqual({ error: 'slow_down', error_description: expect.stringMatching(/^Too many failed sign-in attempts for this username; try again in \d+ minutes?\.$/) });
    expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(kentel.authServer.requestsTo('token').filter((r) => r.form?.username === 'thr@kentel.com')).toHaveLength(3);
    // The same spelled another way is the same person.
    expect((await w.passwordGrant(posThrottle, 'THR@kentel.com', thrPw)).status).toBe(429);

    // A burst in parallel cannot slip past the limit: exactly three reach Okta.
    const burst = await Promise.all(Array.from({ length: 7 }, (_, i) => w.passwordGrant(posThrottle, 'burst@kentel.com', wrongPw, {}, i % 2 ? second : undefined)));
    expect(burst.map((r) => r.status).sort()).toEqual([400, 400, 400, 429, 429, 429, 429]);
    expect(kentel.authServer.requestsTo('token').filter((r) => r.form?.username === 'burst@kentel.com')).toHaveLength(3);

    // The client has now failed 12 times: its next attempt is refused, whoever it is for.
    const before = kentel.authServer.requestsTo('token').length;
    const byClient = await w.passwordGrant(posThrottle, 'alice@kentel.com', alicePw);
    expect(byClient).toMatchObject({ status: 429, body: { error: 'slow_down', error_description: expect.stringMatching(/^Too many failed sign-in attempts from this application/) } });
    expect(kentel.authServer.requestsTo('token')).toHaveLength(before);
    // Other clients are not affected, and the counters hold no username.
    expect((await w.passwordGrant(pos, 'alice@kentel.com', alicePw)).status).toBe(200);
    const keys = await w.db.query<{ key: string }>(`SELECT key FROM password_grant_failures`);
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.every((k) => /^(user|client):[A-Za-z0-9_-]{43}$/.test(k.key))).toBe(true);
  });

  it('never logs, stores or echoes a password', async () => {
    // Also when a client wrongly puts it in the query string.
    await fetch(`${w.service.url}/oauth2/token?password=${encodeURIComponent(alicePw)}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=password' });
    // (Two instances in one process may share one pino destination: both files are read together.)
    const markers = [w.service, second].map((service, i) => ({ service, marker: `pw-test-end-${i}-${Date.now()}` }));
    for (const { service, marker } of markers) await fetch(`${service.url}/.well-known/openid-configuration`, { headers: { 'x-request-id': marker } });
    const log = await eventuallyContains([w.service.logFile, second.logFile], markers.map((m) => m.marker));
    expect(log.split('\n').length).toBeGreaterThan(50);
    expect(log).toContain('/oauth2/token');
    for (const p of passwords) expect(log).not.toContain(p);
    expect(log).not.toContain(encodeURIComponent(alicePw));
    const stored = await w.db.query<{ t: string }>(
      `SELECT string_agg(x, ' ') AS t FROM (
         SELECT row_to_json(a)::text AS x FROM provisioning_audit a UNION ALL SELECT row_to_json(l)::text FROM login_states l
         UNION ALL SELECT row_to_json(f)::text FROM password_grant_failures f UNION ALL SELECT row_to_json(r)::text FROM refresh_tokens r) s`,
    );
    for (const p of passwords) expect(stored[0]!.t).not.toContain(p);
  });
});

/** The log files' text once it holds every marker (pino writes asynchronously), at most ~5 s. */
async function eventuallyContains(files: string[], markers: string[]): Promise<string> {
  const read = (f: string) => {
    try {
      return readFileSync(f, 'utf8');
    } catch {
      return '';
    }
  };
  let text = '';
  for (let i = 0; i < 50; i++) {
    text = files.map(read).join('\n');
    if (markers.every((m) => text.includes(m))) return text;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the service logs never showed ${markers.join(', ')}`);
}

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as oidc from 'openid-client';
import { startOktaStandIn } from '../../tools/okta-stand-in/index.js';
import { startService, type TestService } from '../support/service.js';
import { callback, live, toCallback } from '../support/steps.js';
import { type TenantSetup, World } from '../support/world.js';

/**
 * The tenant's Okta misbehaving, each fault for real through the stand-in's fault hooks: the user gets a
 * clear OAuth error back at the app (never a 500, never Okta's text), the process stays up, and nothing of
 * the sign-in is written (no user, no locations; only a 'failed' audit row).
 */
describe("faults of a tenant's Okta", () => {
  let w: World;
  let app: oidc.Configuration;
  let acme: TenantSetup;
  let n = 0;
  /** A new person each time, so "nothing written" can be checked by their subject. */
  const person = (t: TenantSetup, domain: string) => {
    n += 1;
    const login = `user${n}@${domain}`;
    t.authServer.setUser(login, {
      password: 'Passw0rd!', sub: `00uFAULT${String(n).padStart(4, '0')}`,
      claims: { userName: login, name: 'Pat', family_name: 'Doe', email: login, security_group_name: 'Associate', assigned_entity_client_entity_ids: ['S1'] },
    });
    return { login, password: 'Passw0rd!', sub: `00uFAULT${String(n).padStart(4, '0')}` };
  };

  async function expectNothingWritten(slug: string, sub: string, reason: RegExp) {
    expect(await w.db.query(`SELECT 1 FROM users WHERE subject = $1`, [sub])).toHaveLength(0);
    expect(await w.db.query(`SELECT 1 FROM user_locations ul JOIN users u ON u.id = ul.user_id WHERE u.subject = $1`, [sub])).toHaveLength(0);
    const audits = await w.audits(slug);
    const last = audits[audits.length - 1]!;
    expect(last.outcome).toBe('failed');
    expect(last.user_id).toBeNull();
    expect(last.reasons[0].reason).toMatch(reason);
    expect(await live(w)).toBe(200);
  }

  beforeAll(async () => {
    // A timeout that a loaded machine's stand-in still answers within, and a hang well past it.
    w = await World.start({ OUTBOUND_TIMEOUT_MS: '3000', METADATA_REFETCH_INTERVAL_S: '3600' });
    acme = await w.addTenant('acme', ['acme.com']);
    await w.addLocations('acme', ['S1']);
    await w.addApp('hub');
    app = await w.app('hub');
  });
  afterAll(() => w?.close());

  it('Okta unreachable at the code exchange: temporarily_unavailable, and nothing written', async () => {
    const gone = await startOktaStandIn({ pkiDir: process.env.TEST_PKI_DIR ?? '.test-tmp/pki' });
    const main = w.okta;
    let t: TenantSetup;
    try {
      w.okta = gone;
      t = await w.addTenant('gone', ['gone.com']);
    } finally {
      w.okta = main;
    }
    const u = person(t, 'gone.com');
    const s = await toCallback(w, app, u);
    await gone.close(); // the user is back from Okta; Okta is now down
    const r = await callback(s.browser, s.callbackUrl);
    expect(r.error).toBe('temporarily_unavailable');
    expect(r.description).toMatch(/^Your company's Okta could not be reached for the token request: 127\.0\.0\.1:\d+ could not be reached \(ECONNREFUSED\)\.$/);
    await expectNothingWritten('gone', u.sub, /could not be reached/);
  });

  it('Okta slower than the timeout: temporarily_unavailable naming the limit', async () => {
    const u = person(acme, 'acme.com');
    const s = await toCallback(w, app, u);
    acme.authServer.faults.next('token', { delayMs: 8000 });
    const r = await callback(s.browser, s.callbackUrl);
    expect(r.error).toBe('temporarily_unavailable');
    expect(r.description).toMatch(/^Your company's Okta could not be reached for the token request: https:\/\/127\.0\.0\.1:\d+ did not answer within 3000 ms\.$/);
    await expectNothingWritten('acme', u.sub, /did not answer within 3000 ms/);
  });

  it('Okta answering 500 at the token endpoint: temporarily_unavailable; the code exchange is never retried', async () => {
    const u = person(acme, 'acme.com');
    const s = await toCallback(w, app, u);
    acme.authServer.clearRequests();
    acme.authServer.faults.next('token', { status: 503, body: { errorCode: 'E0000009', errorSummary: 'Internal Server Error' } });
    const r = await callback(s.browser, s.callbackUrl);
    expect(r.error).toBe('temporarily_unavailable');
    expect(r.description).toBe("Your company's Okta had an error answering the token request (HTTP 503).");
    expect(acme.authServer.requestsTo('token')).toHaveLength(1);
    await expectNothingWritten('acme', u.sub, /HTTP 503/);
  });

  it('UserInfo answering 503 once: retried (a safe GET), and the sign-in succeeds', async () => {
    const u = person(acme, 'acme.com');
    const s = await toCallback(w, app, u);
    acme.authServer.clearRequests();
    acme.authServer.faults.next('userinfo', { status: 503, body: { errorCode: 'E0000009' } });
    const r = await callback(s.browser, s.callbackUrl);
    expect(r.error).toBeUndefined();
    expect(r.code).toBeTruthy();
    expect(acme.authServer.requestsTo('userinfo').map((q) => q.status)).toEqual([503, 200]);
    expect(await w.db.query(`SELECT 1 FROM users WHERE subject = $1`, [u.sub])).toHaveLength(1);
  });

  it('UserInfo answering 500 every time: a clear error after the bounded retry', async () => {
    const u = person(acme, 'acme.com');
    const s = await toCallback(w, app, u);
    acme.authServer.clearRequests();
    acme.authServer.faults.every('userinfo', { status: 502, body: 'Bad gateway' });
    try {
      const r = await callback(s.browser, s.callbackUrl);
      expect(r.error).toBe('temporarily_unavailable');
      expect(r.description).toBe("Your company's Okta had an error answering the UserInfo request (HTTP 502).");
      expect(acme.authServer.requestsTo('userinfo')).toHaveLength(2); // OUTBOUND_RETRIES=1
    } finally {
      acme.authServer.faults.clear('userinfo');
    }
    await expectNothingWritten('acme', u.sub, /HTTP 502/);
  });

  it('HTML where the token JSON is expected: server_error saying so (Okta answered what cannot be used)', async () => {
    const u = person(acme, 'acme.com');
    const s = await toCallback(w, app, u);
    acme.authServer.faults.next('token', { status: 200, body: '<html><body>Okta is down for maintenance</body></html>' });
    const r = await callback(s.browser, s.callbackUrl);
    expect([r.error, r.description]).toEqual(['server_error', "Your company's Okta answered the token request with text/html; charset=utf-8 instead of JSON."]);
    await expectNothingWritten('acme', u.sub, /instead of JSON/);
  });

  it('an ID token that is not a string: server_error saying it is malformed, not that none was sent', async () => {
    const u = person(acme, 'acme.com');
    const s = await toCallback(w, app, u);
    acme.authServer.faults.next('token', { transform: (body) => ({ ...body, id_token: 12345 }) });
    const r = await callback(s.browser, s.callbackUrl);
    expect([r.error, r.description]).toEqual(['server_error', "Your company's Okta sent a malformed ID token (not a string)."]);
    await expectNothingWritten('acme', u.sub, /malformed ID token/);
  });

  it("Okta refusing this service's client credentials (401 invalid_client): server_error saying the configuration is wrong, not access_denied", async () => {
    const u = person(acme, 'acme.com');
    const s = await toCallback(w, app, u);
    acme.authServer.faults.next('token', { status: 401, body: { error: 'invalid_client', error_description: 'Client authentication failed.' } });
    const r = await callback(s.browser, s.callbackUrl);
    expect([r.error, r.description]).toEqual(['server_error', "Your company's Okta refused this service's client credentials: your company's sign-in configuration is wrong. Contact your administrator."]);
    expect(r.appRedirect!.searchParams.get('state')).toBe(s.state);
    await expectNothingWritten('acme', u.sub, /refused this service's client credentials/);
  });

  it('the code exchange answered with neither tokens, a refusal nor an outage (a 404 page, UserInfo refusing its own token): server_error, as the password grant; Okta\'s outage codes: temporarily_unavailable', async () => {
    const cases: Array<['token' | 'userinfo', Parameters<typeof acme.authServer.faults.next>[1], string, string]> = [
      ['token', { status: 404, body: '<html><body>Not Found</body></html>' }, 'server_error', "Your company's Okta answered the token request with HTTP 404 and no OAuth error."],
      ['token', { status: 400, body: { error: 'server_error' } }, 'temporarily_unavailable', "Your company's Okta had an error answering the token request (server_error)."],
      ['userinfo', { status: 401, body: { error: 'invalid_token' } }, 'server_error', "Your company's Okta answered the UserInfo request with HTTP 401 instead of the user's claims."],
    ];
    const answers = [];
    for (const [endpoint, fault] of cases) {
      const u = person(acme, 'acme.com');
      const s = await toCallback(w, app, u);
      acme.authServer.faults.next(endpoint, fault);
      const r = await callback(s.browser, s.callbackUrl);
      answers.push([r.error, r.description]);
      await expectNothingWritten('acme', u.sub, /^Your company's Okta /);
      expect((await w.audits('acme')).at(-1)!.reasons[0].reason).toBe(r.description);
    }
    expect(answers).toEqual(cases.map(([, , error, description]) => [error, description]));
  });

  it('application/jwt where the UserInfo JSON is expected: server_error saying so', async () => {
    const u = person(acme, 'acme.com');
    const s = await toCallback(w, app, u);
    const signed = await acme.authServer.signJwt({ sub: u.sub, email: u.login });
    acme.authServer.faults.next('userinfo', { status: 200, contentType: 'application/jwt', body: signed });
    const r = await callback(s.browser, s.callbackUrl);
    expect([r.error, r.description]).toEqual(['server_error', "Your company's Okta answered the UserInfo request with application/jwt instead of JSON."]);
    expect(r.description).not.toContain(signed);
    await expectNothingWritten('acme', u.sub, /application\/jwt instead of JSON/);
  });

  it('a UserInfo answer over the size limit (Content-Length says so): refused plainly, nothing written, the service stays up', async () => {
    const u = person(acme, 'acme.com');
    const s = await toCallback(w, app, u);
    acme.authServer.faults.next('userinfo', { status: 200, contentType: 'application/json', body: `{"pad":"${'x'.repeat(1_100_000)}"}` });
    const r = await callback(s.browser, s.callbackUrl);
    // Okta answered, with something it should not have sent: not an outage to retry (temporarily_unavailable), nor a
    // refusal (access_denied), but an unexpected condition at Okta.
    expect([r.error, r.description]).toEqual(['server_error', "Your company's Okta sent an answer larger than 1048576 bytes for the UserInfo request."]);
    await expectNothingWritten('acme', u.sub, /larger than 1048576 bytes/);
  });

  it('HTML where the JWKS is expected: server_error saying why, as for the token endpoint; the key set is not cached', async () => {
    const t = await w.addTenant('jwkshtml', ['jwkshtml.com']);
    const u = person(t, 'jwkshtml.com');
    const s = await toCallback(w, app, u);
    t.authServer.faults.next('keys', { status: 200, body: '<html>Sign in</html>' });
    const r = await callback(s.browser, s.callbackUrl);
    expect(r.error).toBe('server_error');
    expect(r.description).toMatch(/^Your company's Okta key set could not be used: 127\.0\.0\.1:\d+ answered with text\/html; charset=utf-8 instead of JSON for its key set\.$/);
    await expectNothingWritten('jwkshtml', u.sub, /instead of JSON for its key set/);
    // The bad document was not cached: the next sign-in fetches the real key set and succeeds.
    await w.addLocations('jwkshtml', ['S1']);
    const ok = await w.signIn(app, person(t, 'jwkshtml.com'));
    expect(ok.error).toBeUndefined();
  });

  it('the JWKS answering 429: temporarily_unavailable saying Okta is limiting, as at the token endpoint; the tenant backs off', async () => {
    const t = await w.addTenant('jwkslimit', ['jwkslimit.com']);
    const u = person(t, 'jwkslimit.com');
    const s = await toCallback(w, app, u);
    const reset = Math.floor(Date.now() / 1000) + 120;
    t.authServer.faults.next('keys', { status: 429, headers: { 'x-rate-limit-reset': String(reset) }, body: { errorCode: 'E0000047', errorSummary: 'API call exceeded rate limit due to too many requests.' } });
    const r = await callback(s.browser, s.callbackUrl);
    expect([r.error, r.description]).toEqual(['temporarily_unavailable', "Your company's Okta is limiting sign-in requests right now. Please wait about 2 minutes and try again."]);
    await expectNothingWritten('jwkslimit', u.sub, /limiting sign-in requests/);
    const [row] = await w.db.query<{ until: Date }>(`SELECT b.until FROM okta_backoff b JOIN tenants t ON t.id = b.tenant_id WHERE t.slug = 'jwkslimit'`);
    expect(Math.round(row!.until.getTime() / 1000)).toBe(reset);
  });

  it('the JWKS answering 5xx every time: temporarily_unavailable (an outage, not a refusal), after the one retry of a GET', async () => {
    const t = await w.addTenant('jwksdown', ['jwksdown.com']);
    await w.addLocations('jwksdown', ['S1']);
    const u = person(t, 'jwksdown.com');
    const s = await toCallback(w, app, u);
    t.authServer.faults.every('keys', { status: 503, body: { errorCode: 'E0000009', errorSummary: 'Service unavailable' } });
    try {
      const r = await callback(s.browser, s.callbackUrl);
      expect([r.error, r.description]).toEqual(['temporarily_unavailable', "Your company's Okta had an error answering the key set request (HTTP 503)."]);
      expect(t.authServer.requestsTo('keys').map((q) => q.status)).toEqual([503, 503]);
      await expectNothingWritten('jwksdown', u.sub, /HTTP 503/);
    } finally {
      t.authServer.faults.clear('keys');
    }
    // Okta back: the key set was never cached, so the next sign-in fetches it and succeeds.
    expect((await w.signIn(app, person(t, 'jwksdown.com'))).error).toBeUndefined();
  });

  it('the password grant while the JWKS is down: 503 temporarily_unavailable, never invalid_grant (Okta accepted the password)', async () => {
    const t = await w.addTenant('pwjwks', ['pwjwks.com'], { okta: { passwordGrant: true } });
    await w.addLocations('pwjwks', ['S1']);
    const pos = await w.addApp('pwjwks-pos', { type: 'confidential', grantTypes: ['password'] });
    const u = person(t, 'pwjwks.com');
    t.authServer.faults.every('keys', { status: 502, body: 'Bad gateway' });
    try {
      const r = await w.passwordGrant(pos, u.login, u.password);
      expect(r).toMatchObject({ status: 503, body: { error: 'temporarily_unavailable', error_description: "Your company's Okta had an error answering the key set request (HTTP 502)." } });
    } finally {
      t.authServer.faults.clear('keys');
    }
    expect((await w.passwordGrant(pos, u.login, u.password)).status).toBe(200);
  });

  it('an answer over OUTBOUND_MAX_BYTES (a huge JWKS or token answer): server_error saying so, not "could not be reached"; not cached', async () => {
    const t = await w.addTenant('huge', ['huge.com']);
    await w.addLocations('huge', ['S1']);
    const pad = 'x'.repeat(1_100_000);
    let u = person(t, 'huge.com');
    let s = await toCallback(w, app, u);
    t.authServer.faults.next('keys', { status: 200, body: { keys: [], pad } });
    let r = await callback(s.browser, s.callbackUrl);
    expect([r.error, r.description]).toEqual(['server_error', "Your company's Okta sent an answer larger than 1048576 bytes for its signing keys."]);
    await expectNothingWritten('huge', u.sub, /larger than 1048576 bytes/);
    u = person(t, 'huge.com');
    s = await toCallback(w, app, u);
    t.authServer.faults.next('token', { status: 200, body: { access_token: 'x', pad } });
    r = await callback(s.browser, s.callbackUrl);
    expect([r.error, r.description]).toEqual(['server_error', "Your company's Okta sent an answer larger than 1048576 bytes for the token request."]);
    await expectNothingWritten('huge', u.sub, /larger than 1048576 bytes/);
    expect((await w.signIn(app, person(t, 'huge.com'))).error).toBeUndefined();
  });

  it('a JWKS without a keys array: server_error saying so in plain words, not cached', async () => {
    const t = await w.addTenant('jwksnokeys', ['jwksnokeys.com']);
    await w.addLocations('jwksnokeys', ['S1']);
    const u = person(t, 'jwksnokeys.com');
    const s = await toCallback(w, app, u);
    t.authServer.faults.next('keys', { status: 200, body: { keys: 'none' } });
    const r = await callback(s.browser, s.callbackUrl);
    expect([r.error, r.description]).toEqual(['server_error', "Your company's Okta key set could not be used: the key set has no keys array."]);
    await expectNothingWritten('jwksnokeys', u.sub, /no keys array/);
    expect((await w.signIn(app, person(t, 'jwksnokeys.com'))).error).toBeUndefined();
  });

  it("a JWKS whose key for the token's kid cannot be used is not kept in force: refetched like an unknown kid, and said plainly", async () => {
    // Okta's kid with key material that cannot verify anything: an RSA modulus far too short, or none at all.
    const broken = (kid: string) => [{ kty: 'RSA', kid, alg: 'RS256', use: 'sig', n: 'AQAB', e: 'AQAB' }, { kty: 'RSA', kid, alg: 'RS256', use: 'sig', e: 'AQAB' }];
    for (const i of [0, 1]) {
      const t = await w.addTenant(`badkey${i}`, [`badkey${i}.com`]);
      await w.addLocations(`badkey${i}`, ['S1']);
      // Served once: the refetch gets the real key set, and the sign-in goes through.
      t.authServer.faults.next('keys', { status: 200, body: { keys: [broken(t.authServer.signingKid)[i]] } });
      expect((await w.signIn(app, person(t, `badkey${i}.com`))).error).toBeUndefined();
      expect(t.authServer.requestsTo('keys')).toHaveLength(2);
    }
    // Served every time: refused in words that say where the problem is; then, Okta fixed, the next sign-in refetches.
    const t = await w.addTenant('badkey2', ['badkey2.com']);
    await w.addLocations('badkey2', ['S1']);
    const u = person(t, 'badkey2.com');
    const s = await toCallback(w, app, u);
    t.authServer.faults.every('keys', { status: 200, body: { keys: [broken(t.authServer.signingKid)[1]] } });
    let r;
    try {
      r = await callback(s.browser, s.callbackUrl);
    } finally {
      t.authServer.faults.clear('keys');
    }
    expect([r.error, r.description]).toEqual(['server_error', "Your company's Okta key set could not be used: the key this ID token names cannot be used to check it."]);
    expect(t.authServer.requestsTo('keys')).toHaveLength(2);
    await expectNothingWritten('badkey2', u.sub, /names cannot be used/);
    expect((await w.signIn(app, person(t, 'badkey2.com'))).error).toBeUndefined();
    expect(t.authServer.requestsTo('keys')).toHaveLength(3);
  });

  it("an ID token failing a claim check is named in plain words: no '?' where a quote was, no jose reason code", async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ aud: 'someone-else' }, 'it was issued to another client (aud)'],
      [{ iss: 'https://evil.example/oauth2/default' }, 'it was issued by another issuer (iss)'],
      [{ nbf: Math.floor(Date.now() / 1000) + 3600 }, 'it is not valid yet (nbf)'],
      [{ iat: Math.floor(Date.now() / 1000) + 7200, exp: Math.floor(Date.now() / 1000) + 9000 }, 'it was issued in the future (iat)'],
      [{ iat: Math.floor(Date.now() / 1000) - 7200, exp: Math.floor(Date.now() / 1000) + 600 }, 'it has expired'], // older than an hour
    ];
    for (const [claims, why] of cases) {
      const u = person(acme, 'acme.com');
      const s = await toCallback(w, app, u);
      const nonce = acme.authServer.requestsTo('authorize').at(-1)!.query.nonce!;
      const token = await acme.authServer.mintIdToken({ sub: u.sub, aud: acme.oktaClientId, nonce, ...claims });
      acme.authServer.faults.next('token', { transform: (body) => ({ ...body, id_token: token }) });
      const r = await callback(s.browser, s.callbackUrl);
      expect([r.error, r.description]).toEqual(['access_denied', `The ID token from your company's Okta was rejected: ${why}.`]);
    }
  });

  it('a signing key rotated mid-day: the unknown kid triggers one refetch, and sign-ins go on', async () => {
    const t = await w.addTenant('rotates', ['rotates.com']);
    await w.addLocations('rotates', ['S1']);
    expect((await w.signIn(app, person(t, 'rotates.com'))).error).toBeUndefined();
    expect(t.authServer.requestsTo('keys')).toHaveLength(1);
    expect((await w.signIn(app, person(t, 'rotates.com'))).error).toBeUndefined();
    expect(t.authServer.requestsTo('keys')).toHaveLength(1); // cached

    const oldKid = t.authServer.signingKid;
    t.authServer.rotateSigningKey({ keepOld: false });
    expect(t.authServer.signingKid).not.toBe(oldKid);
    const after = await w.signIn(app, person(t, 'rotates.com'));
    expect(after.error).toBeUndefined();
    expect(t.authServer.requestsTo('keys')).toHaveLength(2);

    t.authServer.rotateSigningKey();
    expect((await w.signIn(app, person(t, 'rotates.com'))).error).toBeUndefined();
    expect(t.authServer.requestsTo('keys')).toHaveLength(3);
  });

  it('unknown kids beyond the refetch budget do not reach Okta: refused, no extra JWKS request', async () => {
    const t = await w.addTenant('flood', ['flood.com']);
    await w.addLocations('flood', ['S1']);
    expect((await w.signIn(app, person(t, 'flood.com'))).error).toBeUndefined();
    const fetches = () => t.authServer.requestsTo('keys').length;
    expect(fetches()).toBe(1);
    // A burst of 2 early refetches, then none for METADATA_REFETCH_INTERVAL_S (an hour here).
    for (let i = 0; i < 4; i++) {
      const u = person(t, 'flood.com');
      const s = await toCallback(w, app, u);
      const foreign = await t.authServer.mintIdToken({ sub: u.sub, aud: t.oktaClientId, nonce: new URL(s.callbackUrl).searchParams.get('nonce') ?? 'x' }, { foreignKey: true });
      t.authServer.faults.next('token', { transform: (body) => ({ ...body, id_token: foreign }) });
      const r = await callback(s.browser, s.callbackUrl);
      expect(r.error).toBe('access_denied');
      expect(r.description).toBe("The ID token from your company's Okta was rejected: it is signed with a key that is not in the Okta key set.");
      expect(fetches()).toBe(1 + Math.min(i + 1, 2));
    }
  });

  it('HTTP 429 with X-Rate-Limit-Reset: that tenant backs off on every instance, told plainly; others go on', async () => {
    const t = await w.addTenant('limited', ['limited.com']);
    await w.addLocations('limited', ['S1']);
    const u = person(t, 'limited.com');
    const s = await toCallback(w, app, u);
    const reset = Math.floor(Date.now() / 1000) + 120;
    t.authServer.faults.next('token', {
      status: 429,
      headers: { 'x-rate-limit-limit': '600', 'x-rate-limit-remaining': '0', 'x-rate-limit-reset': String(reset) },
      body: { errorCode: 'E0000047', errorSummary: 'API call exceeded rate limit due to too many requests.' },
    });
    const r = await callback(s.browser, s.callbackUrl);
    expect(r.error).toBe('temporarily_unavailable');
    expect(r.description).toMatch(/^Your company's Okta is limiting sign-in requests right now\. Please wait about 2 minutes and try again\.$/);
    await expectNothingWritten('limited', u.sub, /limiting sign-in requests/);
    const [row] = await w.db.query<{ until: Date }>(`SELECT b.until FROM okta_backoff b JOIN tenants t ON t.id = b.tenant_id WHERE t.slug = 'limited'`);
    expect(Math.round(row!.until.getTime() / 1000)).toBe(reset);

    // The same tenant: refused before anyone is sent to Okta, on this instance and on another one.
    t.authServer.clearRequests();
    const other: TestService = await startService(w.db.url);
    try {
      for (const base of [w.service.url, other.url]) {
        const next = await w.signIn(await oidcApp(base), person(t, 'limited.com'));
        expect(next.error).toBe('temporarily_unavailable');
        expect(next.description).toMatch(/^Your company's Okta is limiting sign-in requests right now\. Please wait about (2 minutes|1\d\d seconds) and try again\.$/);
      }
      expect(t.authServer.requestsTo('authorize')).toHaveLength(0);
      expect(t.authServer.requestsTo('token')).toHaveLength(0);
    } finally {
      await other.close();
    }
    // Another tenant is not affected.
    expect((await w.signIn(app, person(acme, 'acme.com'))).error).toBeUndefined();
  });

  it("an error callback from Okta ends cleanly, without echoing Okta's description", async () => {
    const u = person(acme, 'acme.com');
    const { Browser } = await import('../../tools/browser.js');
    const browser = new Browser();
    const { authorizeUrl } = await import('../support/steps.js');
    const a = await authorizeUrl(app, u.login);
    const atOkta = await browser.follow(a.url.href, { stopAt: acme.authServer.endpoints.authorization });
    expect(atOkta.reached).toBe(true);
    const state = new URL(atOkta.url).searchParams.get('state')!;
    const evil = '<script>alert(1)</script> User is not assigned to the client application. secret=hunter2';
    const cb = `${w.service.url}/oauth2/callback?${new URLSearchParams({ error: 'access_denied', error_description: evil, state })}`;
    const r = await callback(browser, cb);
    expect(r.status).toBe(302);
    expect(r.error).toBe('access_denied');
    expect(r.description).toBe("The sign-in was cancelled or refused at your company's Okta.");
    expect(r.appRedirect!.searchParams.get('state')).toBe(a.state);
    expect(r.appRedirect!.searchParams.get('iss')).toBe(w.service.url); // RFC 9207 §2: error responses too
    expect(r.appRedirect!.href).not.toContain('hunter2');
    expect(r.body).not.toContain('hunter2');
    const audits = await w.audits('acme');
    expect(audits[audits.length - 1]).toMatchObject({ outcome: 'failed', user_id: null });
    expect(JSON.stringify(audits[audits.length - 1])).not.toContain('hunter2');
    // The login state was consumed: the same callback again is refused with a page, not echoed either.
    const again = await callback(browser, cb);
    expect(again.status).toBe(400);
    expect(again.body).toContain('This sign-in link is not valid or was already used.');
    expect(again.body).not.toContain('hunter2');
    expect(again.body).not.toContain('<script>');
    expect(await live(w)).toBe(200);
  });

  /** Okta redirecting back to our callback with `error` (and a description that must never be passed on). */
  async function oktaErrorCallback(error: string) {
    const u = person(acme, 'acme.com');
    const { Browser } = await import('../../tools/browser.js');
    const browser = new Browser();
    const { authorizeUrl } = await import('../support/steps.js');
    const a = await authorizeUrl(app, u.login);
    const atOkta = await browser.follow(a.url.href, { stopAt: acme.authServer.endpoints.authorization });
    const state = new URL(atOkta.url).searchParams.get('state')!;
    const r = await callback(browser, `${w.service.url}/oauth2/callback?${new URLSearchParams({ error, error_description: 'stack trace at okta.internal:1234', state })}`);
    expect(r.appRedirect!.href).not.toContain('okta.internal');
    expect(r.appRedirect!.searchParams.get('state')).toBe(a.state);
    return [r.error, r.description];
  }

  it("Okta's outage codes on the callback reach the app as themselves (server_error, temporarily_unavailable), named, the description not echoed", async () => {
    expect(await oktaErrorCallback('server_error')).toEqual(['server_error', "Your company's Okta ended the sign-in with an error (server_error)."]);
    expect(await oktaErrorCallback('temporarily_unavailable')).toEqual(['temporarily_unavailable', "Your company's Okta ended the sign-in with an error (temporarily_unavailable)."]);
  });

  it("Okta's other error codes on the callback are access_denied; a code that is not an error-code token is not shown at all", async () => {
    // This service never sends prompt=none to Okta (prompt=none is answered from its own session), so these are refusals.
    for (const code of ['login_required', 'interaction_required', 'consent_required', 'invalid_scope', 'unauthorized_client']) {
      expect(await oktaErrorCallback(code)).toEqual(['access_denied', `Your company's Okta ended the sign-in with an error (${code}).`]);
    }
    for (const code of ['server_error<b>', 'x y', 'a'.repeat(65), '"quoted"']) {
      expect(await oktaErrorCallback(code)).toEqual(['access_denied', "Your company's Okta ended the sign-in with an error."]);
    }
  });

  it("a callback naming another issuer (RFC 9207 §2.4) is refused before the code is exchanged; the state is consumed", async () => {
    const u = person(acme, 'acme.com');
    const s = await toCallback(w, app, u);
    const forged = new URL(s.callbackUrl);
    expect(forged.searchParams.get('code')).toBeTruthy();
    forged.searchParams.set('iss', 'https://evil.example');
    acme.authServer.clearRequests();
    const r = await callback(s.browser, forged.href);
    expect(r.status).toBe(302);
    expect(r.error).toBe('access_denied');
    expect(r.description).toBe("The sign-in answer did not come from your company's Okta: it names another issuer (iss).");
    expect(r.appRedirect!.searchParams.get('state')).toBe(s.state);
    expect(r.appRedirect!.searchParams.get('iss')).toBe(w.service.url);
    expect(r.appRedirect!.href).not.toContain('evil.example');
    expect(acme.authServer.requestsTo('token')).toHaveLength(0);
    await expectNothingWritten('acme', u.sub, /names another issuer/);
    // The login state was consumed: the genuine callback cannot be replayed after the refusal.
    const again = await callback(s.browser, s.callbackUrl);
    expect(again.status).toBe(400);
    expect(again.body).toContain('This sign-in link is not valid or was already used.');
    expect(acme.authServer.requestsTo('token')).toHaveLength(0);
  });

  it("a callback with the tenant's own iss given twice is refused as repeated, not as another issuer", async () => {
    const u = person(acme, 'acme.com');
    const s = await toCallback(w, app, u);
    const doubled = new URL(s.callbackUrl);
    doubled.searchParams.delete('iss');
    doubled.searchParams.append('iss', acme.authServer.issuer);
    doubled.searchParams.append('iss', acme.authServer.issuer);
    acme.authServer.clearRequests();
    const r = await callback(s.browser, doubled.href);
    expect(r.status).toBe(302);
    expect([r.error, r.description]).toEqual(['access_denied', "The sign-in answer from your company's Okta was malformed: iss was repeated."]);
    expect(r.appRedirect!.searchParams.get('state')).toBe(s.state);
    expect(acme.authServer.requestsTo('token')).toHaveLength(0);
    await expectNothingWritten('acme', u.sub, /iss was repeated/);
  });

  it('a callback with the code repeated is refused before anything is sent to Okta; the state is consumed', async () => {
    const u = person(acme, 'acme.com');
    const s = await toCallback(w, app, u);
    const genuine = new URL(s.callbackUrl).searchParams.get('code')!;
    const doubled = new URL(s.callbackUrl);
    doubled.searchParams.append('code', 'x');
    acme.authServer.clearRequests();
    const r = await callback(s.browser, doubled.href);
    expect(r.status).toBe(302);
    expect([r.error, r.description]).toEqual(['access_denied', "The sign-in answer from your company's Okta was malformed: code was repeated."]);
    expect(r.appRedirect!.searchParams.get('state')).toBe(s.state);
    expect(acme.authServer.requestsTo('token')).toHaveLength(0);
    expect(r.appRedirect!.href).not.toContain(genuine);
    await expectNothingWritten('acme', u.sub, /code was repeated/);
    const again = await callback(s.browser, s.callbackUrl);
    expect(again.body).toContain('This sign-in link is not valid or was already used.');
    expect(acme.authServer.requestsTo('token')).toHaveLength(0);
  });

  it("a callback with Okta's own iss completes the sign-in; one without it is refused, since this Okta promises it", async () => {
    const exact = await toCallback(w, app, person(acme, 'acme.com'));
    const withIss = new URL(exact.callbackUrl);
    withIss.searchParams.set('iss', acme.authServer.issuer);
    expect((await callback(exact.browser, withIss.href)).code).toBeTruthy();
    expect((await w.service.admin('GET', '/admin/tenants/acme')).body.config.okta.endpoints.issParameter).toBe(true);
    const none = await toCallback(w, app, person(acme, 'acme.com'));
    const withoutIss = new URL(none.callbackUrl);
    withoutIss.searchParams.delete('iss');
    const back = await callback(none.browser, withoutIss.href);
    expect([back.error, back.description]).toEqual(['access_denied', "The sign-in answer did not say which Okta it came from (iss), though your company's Okta always does."]);
  });

  async function oidcApp(base: string) {
    return oidc.discovery(new URL(base), 'hub', undefined, oidc.None(), { execute: [oidc.allowInsecureRequests] });
  }
});

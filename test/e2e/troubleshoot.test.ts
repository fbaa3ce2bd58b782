import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type * as oidc from 'openid-client';
import { issueServerCert } from '../../tools/pki.mjs';
import { OKTA_CLIENT_SECRET, type TenantSetup, World } from '../support/world.js';

const DAY = 86_400_000;
type Check = { id: string; status: string; summary: string; details: Record<string, any> };

/**
 * The troubleshooting tool against the Okta stand-in (real HTTPS, real oidc-provider), with its faults hooks and
 * certificates from the test PKI; and the dry run, which must map exactly as a sign-in does and write nothing.
 */
describe('troubleshooting tool', () => {
  let w: World;
  let t: TenantSetup;
  const run = async (body: Record<string, unknown> = {}, slug = 'kentel') => {
    const res = await w.service.admin('POST', `/admin/tenants/${slug}/troubleshoot`, body);
    expect(res.status).toBe(200);
    return res.body as { status: string; version: number; checks: Check[] };
  };
  const check = (report: { checks: Check[] }, id: string) => report.checks.find((c) => c.id === id)!;

  beforeAll(async () => {
    w = await World.start();
    t = await w.addTenant('kentel', ['kentel.com']);
  });
  afterAll(() => w?.close());

  it('passes every check for a well set-up Okta, each with a plain sentence', async () => {
    const report = await run();
    expect(report.checks.map((c) => [c.id, c.status])).toEqual([
      ['discovery', 'pass'], ['tls', 'pass'], ['jwks', 'pass'], ['scopes', 'pass'], ['client-authentication', 'pass'], ['endpoints', 'pass'],
    ]);
    expect(report).toMatchObject({ status: 'pass', version: 1 });
    expect(check(report, 'discovery').summary).toBe('Okta answers at its discovery address and names exactly the configured issuer.');
    expect(check(report, 'jwks').summary).toBe('Okta publishes 1 signing key (RS256), so this service can check that sign-ins really come from it.');
    expect(check(report, 'jwks').details.keys).toEqual([{ kid: t.authServer.signingKid, alg: 'RS256', kty: 'RSA' }]);
    expect(check(report, 'scopes').summary).toBe('Okta supports every scope the integration asks for (openid, email, profile, phone, iqmetrix).');
    expect(check(report, 'client-authentication').summary).toBe('Okta accepted the client ID and the client secret (client_secret_basic).');
    // The stand-in's certificate is from the test CA, trusted through NODE_EXTRA_CA_CERTS only: said so, not "publicly".
    expect(check(report, 'tls').summary).toMatch(/^The security certificate of 127\.0\.0\.1 is valid and trusted through a certificate authority added to this service \(NODE_EXTRA_CA_CERTS\), not a public one: .*; it expires on \d{4}-\d\d-\d\d \(in 36\d days\)\.$/);
    expect(check(report, 'tls').details).toMatchObject({ trusted: true, publiclyTrusted: false });
    expect(check(report, 'tls').details.chain[0].subject).toBe('CN=localhost');
    // The probe used the configured client authentication, and no secret reached the report.
    const probe = t.authServer.requestsTo('token').at(-1)!;
    expect(probe.form?.grant_type).toBe('client_credentials');
    expect(probe.basicAuth).toEqual({ clientId: t.oktaClientId, clientSecret: OKTA_CLIENT_SECRET });
    expect(JSON.stringify(report)).not.toContain(OKTA_CLIENT_SECRET);
  });

  it('tests a staged secret before it is used, and says when Okta rejects it', async () => {
    const staged = await w.service.admin('POST', '/admin/tenants/kentel/secrets', { clientSecret: 'not-the-okta-secret' });
    const report = await run({ clientSecretId: staged.body.id });
    const c = check(report, 'client-authentication');
    expect(c.status).toBe('fail');
    expect(c.summary).toBe('Okta rejected the client ID or the staged client secret. Check both were copied from the Okta app integration, and that it is set to send the secret in the Authorization header (client_secret_basic).');
    expect(report.status).toBe('fail');
    expect(JSON.stringify(report)).not.toContain('not-the-okta-secret');
  });

  it('explains a client that may not use the client-credentials grant: the credentials were still accepted', async () => {
    const web = await w.addTenant('webapp', ['webapp.com']);
    await web.authServer.addClient({ client_id: web.oktaClientId, client_secret: OKTA_CLIENT_SECRET, redirect_uris: [`${w.service.url}/oauth2/callback`], grant_types: ['authorization_code'] });
    const c = check(await run({}, 'webapp'), 'client-authentication');
    expect(c).toMatchObject({ status: 'pass', details: { oktaError: 'unauthorized_client', probe: 'client_credentials' } });
    expect(c.summary).toBe('Okta accepted the client ID and the client secret (client_secret_basic). It does not let this app ask for a token without a user, which is normal for a sign-in app, so nothing more was tested.');
  });

  it('reports an expired, a soon-expiring and a self-signed certificate', async () => {
    const caDir = process.env.TEST_PKI_DIR ?? '.test-tmp/pki';
    try {
      w.okta.useCertificate(await issueServerCert({ caDir, notBefore: new Date(Date.now() - 30 * DAY), notAfter: new Date(Date.now() - 2 * DAY) }));
      let tls = check(await run(), 'tls');
      expect(tls.status).toBe('fail');
      expect(tls.summary).toMatch(/^The security certificate of 127\.0\.0\.1 expired on \d{4}-\d\d-\d\d\. Sign-ins fail until the customer renews it\.$/);
      expect(tls.details.trustError).toBe('CERT_HAS_EXPIRED');

      w.okta.useCertificate(await issueServerCert({ caDir, notAfter: new Date(Date.now() + 5 * DAY + 3_600_000) }));
      tls = check(await run(), 'tls');
      expect(tls.status).toBe('warn');
      expect(tls.summary).toMatch(/^The security certificate of 127\.0\.0\.1 is valid but expires soon, on \d{4}-\d\d-\d\d \(in 5 days\)\. Ask the customer to renew it before then, or sign-ins will stop\.$/);

      w.okta.useCertificate(await issueServerCert({ selfSigned: true }));
      tls = check(await run(), 'tls');
      expect(tls.status).toBe('fail');
      expect(tls.summary).toBe('The security certificate of 127.0.0.1 is self-signed, so it is not publicly trusted. The customer must use a certificate from a public certificate authority.');

      w.okta.useCertificate(await issueServerCert({ caDir, hosts: ['okta.example.test'] }));
      tls = check(await run(), 'tls');
      expect(tls.status).toBe('fail');
      expect(tls.summary).toBe('The security certificate presented is not for 127.0.0.1. The customer\'s Okta address and its certificate do not match.');
    } finally {
      w.okta.useCertificate();
    }
    expect(check(await run(), 'tls').status).toBe('pass');
  });

  it('reports missing signing keys, missing scopes and an issuer Okta does not publish', async () => {
    t.authServer.faults.next('keys', { body: { keys: [] } });
    let report = await run();
    expect(check(report, 'jwks')).toMatchObject({ status: 'fail', summary: 'Okta publishes no signing key this service can use, so no sign-in could be verified.' });

    t.authServer.faults.next('discovery', { transform: (d) => ({ ...d, scopes_supported: ['openid', 'email', 'profile', 'phone'] }) });
    report = await run();
    expect(check(report, 'scopes')).toMatchObject({ status: 'warn', details: { missing: ['iqmetrix'] } });
    expect(check(report, 'scopes').summary).toBe('Okta does not list the iqmetrix scope. The customer must add it to the authorization server (Security > API > Scopes); if it exists but is not marked "include in public metadata", this is fine.');

    t.authServer.faults.next('discovery', { transform: (d) => ({ ...d, scopes_supported: ['openid', 'profile', 'iqmetrix'] }) });
    expect(check(await run(), 'scopes')).toMatchObject({ status: 'fail', summary: 'Okta does not support the email, phone scopes this integration asks for; sign-ins will be refused.' });

    t.authServer.faults.next('discovery', { transform: (d) => ({ ...d, issuer: `${d.issuer}/` }) });
    report = await run();
    expect(check(report, 'discovery').status).toBe('fail');
    expect(check(report, 'discovery').summary).toBe(`Okta calls itself by another name than the one configured, so every sign-in would be rejected: the configured issuer "${t.authServer.issuer}" does not exactly match the issuer "${t.authServer.issuer}/" in its discovery document: add the trailing slash Okta publishes.`);

    t.authServer.faults.next('discovery', { status: 503, body: '<html>down</html>' }, 3);
    report = await run();
    expect(check(report, 'discovery')).toMatchObject({ status: 'fail' });
    expect(check(report, 'discovery').summary).toMatch(/^The customer's Okta did not answer with its configuration \(HTTP 503, not JSON\)\./);
    t.authServer.faults.clear();
  });

  it('says Okta is rate-limiting us (and until when), not that it is unreachable, on its 429 and during the back-off it starts', async () => {
    const limited = await w.addTenant('ratelimited', ['ratelimited.com']);
    const reset = Math.floor(Date.now() / 1000) + 120;
    const at = new Date(reset * 1000).toISOString().replace('.000Z', 'Z');
    limited.authServer.faults.next('discovery', { status: 429, headers: { 'x-rate-limit-reset': String(reset) }, body: { errorCode: 'E0000047', errorSummary: 'API call exceeded rate limit due to too many requests.' } });
    const expectLimited = (report: { status: string; checks: Check[] }) => {
      const d = check(report, 'discovery');
      expect(d.status).toBe('warn');
      expect(d.summary).toMatch(new RegExp(`^The customer's Okta is rate-limiting this service \\(HTTP 429\\), so it is not called again until ${at} \\(in 1[12][0-9] s\\); until then this tenant's sign-ins are refused and the other Okta checks cannot run\\. Run the checks again after that\\.$`));
      expect(d.details).toMatchObject({ status: 429, limitedUntil: at });
      expect(report.checks.filter((c) => c.id !== 'discovery' && c.id !== 'tls').map((c) => [c.id, c.status, c.summary])).toEqual(
        ['jwks', 'scopes', 'client-authentication', 'endpoints'].map((id) => [id, 'warn', `Not checked: Okta is rate-limiting this service until ${at}.`]),
      );
      expect(check(report, 'tls').status).toBe('pass');
      expect(report.status).toBe('warn');
    };
    expectLimited(await run({}, 'ratelimited'));
    // Again during the back-off: Okta is not called at all, and the report says the same (not "could not reach").
    const calls = limited.authServer.requestsTo('discovery').length;
    expectLimited(await run({}, 'ratelimited'));
    expect(limited.authServer.requestsTo('discovery').length).toBe(calls);
    expect(limited.authServer.requestsTo('token').length).toBe(0);
  });

  it('reports a 429 from the token or signing keys address alone as that check\'s answer', async () => {
    const reset = String(Math.floor(Date.now() / 1000) + 120);
    const tooMany = { status: 429, headers: { 'x-rate-limit-reset': reset }, body: { errorCode: 'E0000047', errorSummary: 'API call exceeded rate limit due to too many requests.' } };
    const token = await w.addTenant('tokenlimited', ['tokenlimited.com']);
    token.authServer.faults.next('token', tooMany);
    const c = check(await run({}, 'tokenlimited'), 'client-authentication');
    expect([c.status, c.summary]).toEqual(['warn', 'Okta is limiting requests right now, so the client ID and secret could not be tested. Try again in a minute.']);
    expect(c.details).toMatchObject({ probe: 'client_credentials', status: 429, oktaError: null });
    const keys = await w.addTenant('keyslimited', ['keyslimited.com']);
    keys.authServer.faults.next('keys', tooMany);
    const k = check(await run({}, 'keyslimited'), 'jwks');
    expect([k.status, k.summary]).toEqual(['fail', "Okta's signing keys address did not answer with a key set (HTTP 429). Sign-ins cannot be verified."]);
    expect(k.details).toEqual({ url: keys.authServer.endpoints.jwks, status: 429 });
  });

  it('refuses what is not a version of this tenant, with a problem', async () => {
    const res = await w.service.admin('POST', '/admin/tenants/kentel/troubleshoot', { version: 42 });
    expect([res.status, res.body.detail]).toEqual([404, 'Version 42 does not exist.']);
    const bad = await w.service.admin('POST', '/admin/tenants/kentel/troubleshoot', { clientSecretId: 'nope' });
    expect(bad.status).toBe(422);
  });

  it('previews an issuer for onboarding', async () => {
    const ok = await w.service.admin('POST', '/admin/discovery', { issuer: t.authServer.issuer });
    expect(ok.body).toMatchObject({ ok: true, endpoints: { token: t.authServer.endpoints.token, jwks: t.authServer.endpoints.jwks } });
    const bad = await w.service.admin('POST', '/admin/discovery', { issuer: `${t.authServer.issuer}/` });
    expect(bad.body).toMatchObject({ ok: false, problem: { field: 'issuer' } });
  });
});

describe('dry run', () => {
  let w: World;
  let app: oidc.Configuration;
  let t: TenantSetup;
  const alice = { login: 'alice@kentel.com', password: 'Al1ce-pass' };
  const claims = {
    userName: 'alice@yvr.kentel.local', name: 'Alice', family_name: 'Archer', email: 'alice@kentel.com',
    security_group_name: 'Store Manager', assigned_entity_client_entity_ids: ['LOC-1', 'LOC-2'],
  };
  const dry = async (body: Record<string, unknown>) => {
    const res = await w.service.admin('POST', '/admin/tenants/kentel/dry-run', body);
    expect(res.status).toBe(200);
    return res.body as Record<string, any>;
  };
  const snapshot = () => w.db.query(`SELECT (SELECT count(*)::int FROM provisioning_audit) AS audits, (SELECT json_agg(u ORDER BY u.id) FROM users u) AS users, (SELECT json_agg(l ORDER BY l.user_id, l.location_external_id) FROM user_locations l) AS locations`);

  beforeAll(async () => {
    w = await World.start();
    t = await w.addTenant('kentel', ['kentel.com'], { usernameRewrites: [{ from: 'yvr.kentel.local', to: 'kentel.com' }] });
    await w.addLocations('kentel', ['LOC-1', 'LOC-2', 'LOC-3']);
    await w.addApp('hub');
    app = await w.app('hub');
    t.authServer.setUser(alice.login, { password: alice.password, sub: '00uALICE0001', claims });
  });
  afterAll(() => w?.close());

  it('maps a pasted claim set for someone new exactly as a sign-in would, and writes nothing', async () => {
    const before = await snapshot();
    const r = await dry({ claims: { sub: '00uALICE0001', ...claims } });
    expect(r).toMatchObject({ outcome: 'created', version: 1, claimsFrom: 'pasted', subject: '00uALICE0001', stored: null, problems: [] });
    expect(r.user).toMatchObject({ username: 'alice@kentel.com', firstName: 'Alice', lastName: 'Archer', securityRole: 'RQ-StoreManager', email: 'alice@kentel.com', locations: ['LOC-1', 'LOC-2'] });
    expect(r.diff.username).toEqual({ from: null, to: 'alice@kentel.com' });
    expect(await snapshot()).toEqual(before);

    // The real sign-in then provisions exactly what the dry run showed.
    const s = await w.signIn(app, alice);
    expect(s.error).toBeUndefined();
    const [user] = await w.db.query<Record<string, unknown>>(`SELECT username, first_name, last_name, security_role, email FROM users WHERE subject = '00uALICE0001'`);
    expect(user).toEqual({ username: r.user.username, first_name: r.user.firstName, last_name: r.user.lastName, security_role: r.user.securityRole, email: r.user.email });
  });

  it('replays the last sign-in: unchanged', async () => {
    const before = await snapshot();
    const r = await dry({ lastSignIn: { username: 'alice@kentel.com' } });
    expect(r).toMatchObject({ outcome: 'unchanged', claimsFrom: 'last-sign-in', diff: {}, problems: [] });
    expect(r.stored).toMatchObject({ username: 'alice@kentel.com', locations: ['LOC-1', 'LOC-2'] });
    expect(await snapshot()).toEqual(before);
  });

  it('shows the diff against the stored user', async () => {
    const r = await dry({ claims: { sub: '00uALICE0001', ...claims, name: 'Alicia', assigned_entity_client_entity_ids: 'LOC-2; LOC-3' } });
    expect(r.outcome).toBe('updated');
    expect(r.diff).toEqual({ firstName: { from: 'Alice', to: 'Alicia' }, locations: { from: ['LOC-1', 'LOC-2'], to: ['LOC-2', 'LOC-3'] } });
  });

  it('reports every problem, and still writes nothing', async () => {
    const before = await snapshot();
    const r = await dry({ idToken: { sub: '00uBOB', userName: 'bob@other.com' }, userinfo: { sub: '00uBOB', security_group_name: 'Janitor', assigned_entity_client_entity_ids: ['LOC-1', 'LOC-404'] } });
    expect(r.outcome).toBe('refused');
    expect(r.problems.map((p: { field: string }) => p.field)).toEqual(['username', 'securityRole', 'locations']);
    expect(r.problems[2].reason).toBe('LOC-404 is not in this tenant\'s company tree');
    expect(r.sources).toMatchObject({ username: 'id_token', securityRole: 'userinfo' });
    expect(await snapshot()).toEqual(before);
  });

  it('tries a draft before it is activated', async () => {
    const tenant = (await w.service.admin('GET', '/admin/tenants/kentel')).body;
    const { clientSecret: _s, endpoints: _e, ...okta } = tenant.config.okta;
    const draft = await w.service.admin('POST', '/admin/tenants/kentel/versions', { config: { ...tenant.config, okta, roles: { map: { 'Store Manager': 'RQ-RegionalManager' } } } });
    expect(draft.status).toBe(201);
    const r = await dry({ lastSignIn: true, version: draft.body.version });
    expect(r).toMatchObject({ outcome: 'updated', version: draft.body.version, diff: { securityRole: { from: 'RQ-StoreManager', to: 'RQ-RegionalManager' } } });
  });

  it("a disabled user: refused, as the real sign-in is, and still nothing written", async () => {
    const [{ id }] = await w.db.query<{ id: string }>(`SELECT id FROM users WHERE subject = '00uALICE0001'`);
    await w.db.query(`UPDATE users SET status = 'disabled' WHERE id = $1`, [id]); // as SCIM's deactivation leaves it
    try {
      const before = await snapshot();
      for (const body of [{ lastSignIn: { username: 'alice@kentel.com' } }, { claims: { sub: '00uALICE0001', ...claims } }]) {
        const r = await dry(body);
        expect(r).toMatchObject({ outcome: 'refused', stored: { id, status: 'disabled' }, diff: {} });
        expect(r.problems).toEqual([{ field: 'status', reason: 'the user is disabled; a sign-in is refused (access_denied: "Your account is disabled. Ask your administrator.")' }]);
      }
      expect(await snapshot()).toEqual(before);
      const real = await w.signIn(app, alice);
      expect(real).toMatchObject({ error: 'access_denied', description: 'Your account is disabled. Ask your administrator.' });
    } finally {
      await w.db.query(`UPDATE users SET status = 'active' WHERE id = $1`, [id]);
    }
  });

  it('after an issuer change within the Okta org: the returning user is matched and moved, as the real sign-in does', async () => {
    const [{ id }] = await w.db.query<{ id: string }>(`SELECT id FROM users WHERE subject = '00uALICE0001'`);
    const oldIssuer = t.authServer.issuer;
    const sameOrg = w.okta.addAuthServer('ausneworg');
    await sameOrg.addClient({ client_id: t.oktaClientId, client_secret: OKTA_CLIENT_SECRET, redirect_uris: [`${w.service.url}/oauth2/callback`], grant_types: ['authorization_code', 'refresh_token', 'client_credentials'] });
    sameOrg.setUser(alice.login, { password: alice.password, sub: '00uALICE0001', claims });
    const config = await w.configOf('kentel');
    const draft = await w.service.admin('POST', '/admin/tenants/kentel/versions', { config: { ...config, okta: { ...config.okta, issuer: sameOrg.issuer } } });
    expect(draft.status).toBe(201);

    const before = await snapshot();
    const moved = { field: 'issuer', reason: `signed in before through ${oldIssuer}, an earlier issuer of this tenant in the same Okta org; matched by the Okta user id and moved to ${sameOrg.issuer}` };
    for (const body of [{ claims: { sub: '00uALICE0001', ...claims } }, { lastSignIn: { username: 'alice@kentel.com' } }]) {
      const r = await dry({ ...body, version: draft.body.version });
      expect(r).toMatchObject({ outcome: 'updated', issuer: sameOrg.issuer, problems: [], stored: { id, username: 'alice@kentel.com' }, diff: { issuer: { from: oldIssuer, to: sameOrg.issuer } } });
      expect(r.warnings).toContainEqual(moved);
    }
    expect(await snapshot()).toEqual(before);

    // The real sign-in under that version agrees.
    expect((await w.service.admin('POST', `/admin/tenants/kentel/versions/${draft.body.version}/activate`)).status).toBe(200);
    const real = await w.signIn(app, alice);
    expect(real.error).toBeUndefined();
    const [audit] = (await w.audits('kentel')).slice(-1);
    expect(audit).toMatchObject({ outcome: 'updated', user_id: id, changes: { issuer: { from: oldIssuer, to: sameOrg.issuer } } });
    expect(audit!.warnings).toContainEqual(moved);
  });

  it('refuses an ambiguous request with a per-field reason', async () => {
    const res = await w.service.admin('POST', '/admin/tenants/kentel/dry-run', { claims: { sub: 'x' }, lastSignIn: true });
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual([{ field: 'claims', reason: 'give exactly one of claims, idToken (with optional userinfo) or lastSignIn' }]);
    const none = await w.service.admin('POST', '/admin/tenants/kentel/dry-run', { lastSignIn: { username: 'nobody@kentel.com' } });
    expect(none.status).toBe(404);
  });
});

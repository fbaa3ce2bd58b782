import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as client from 'openid-client';
import type * as oidc from 'openid-client';
import { Browser } from '../../tools/browser.js';
import { MappedHostResolver } from '../support/mapped-host-resolver.js';
import { startService, type TestService } from '../support/service.js';
import { APP_REDIRECT, OKTA_CLIENT_SECRET, type TenantSetup, World } from '../support/world.js';

/**
 * Validated and versioned tenant configuration, on the real service, Postgres and the Okta stand-in:
 * every save checked with per-field reasons, drafts, activation, rollback, write-only secrets with staging.
 */
describe('tenant configuration: validation at save', () => {
  let w: World;
  let kentel: TenantSetup;
  let strict: TestService;
  const resolver = new MappedHostResolver({
    'metadata.example.test': ['169.254.169.254'],
    'intranet.example.test': ['10.0.0.1'],
    'mixed.example.test': ['93.184.215.14', '10.0.0.1'],
  });

  const body = (issuer: string, extra: Record<string, unknown> = {}) => ({
    slug: 'newco', name: 'NewCo', clientSecret: 'x-secret',
    config: { okta: { issuer, clientId: '0oanewco' }, domains: ['newco.com'], ...extra },
  });

  beforeAll(async () => {
    w = await World.start();
    kentel = await w.addTenant('kentel', ['kentel.com']);
    // The same database, served by an instance whose operator does not allow private addresses (production's default).
    strict = await startService(w.db.url, { OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'false' }, { hostResolver: resolver });
  });
  afterAll(async () => {
    await strict?.close();
    await w?.close();
  });

  it('refuses an issuer saved with a trailing slash that discovery does not have, naming both values', async () => {
    const res = await w.service.admin('POST', '/admin/tenants', body(`${kentel.authServer.issuer}/`));
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual([{
      field: 'config.okta.issuer',
      reason: `the configured issuer "${kentel.authServer.issuer}/" does not exactly match the issuer "${kentel.authServer.issuer}" in its discovery document: remove the trailing slash`,
    }]);
    expect(await w.db.query(`SELECT 1 FROM tenants WHERE slug = 'newco'`)).toHaveLength(0);
  });

  it('refuses an org authorization server where the custom one was meant', async () => {
    kentel.authServer.faults.next('discovery', { transform: (doc) => ({ ...doc, issuer: new URL(kentel.authServer.issuer).origin }) });
    const res = await w.service.admin('POST', '/admin/tenants', body(kentel.authServer.issuer));
    expect(res.status).toBe(422);
    expect(res.body.errors[0].reason).toBe(
      `the configured issuer "${kentel.authServer.issuer}" does not exactly match the issuer "${new URL(kentel.authServer.issuer).origin}" in its discovery document: this answered as the Okta org authorization server, not a custom one: check the /oauth2/{id} part`,
    );
  });

  it('refuses a discovery document whose endpoints are not plain HTTPS URLs (the sign-out one is written into a page\'s CSP)', async () => {
    for (const [name, value] of [['end_session_endpoint', 'https://a;sandbox,b.example/logout'], ['end_session_endpoint', 'http://okta.example.com/logout'], ['token_endpoint', "https://a'b.example/token"]]) {
      kentel.authServer.faults.next('discovery', { transform: (doc) => ({ ...doc, [name]: value }) });
      const res = await w.service.admin('POST', '/admin/tenants', body(kentel.authServer.issuer));
      expect([value, res.status, res.body.errors?.[0]?.reason]).toEqual([value, 422, name === 'end_session_endpoint' ? "the discovery document's end_session_endpoint is not an HTTPS URL" : `the discovery document has no HTTPS ${name}`]);
    }
    expect(await w.db.query(`SELECT 1 FROM tenants WHERE slug = 'newco'`)).toHaveLength(0);
  });

  it('refuses an http:// issuer', async () => {
    const res = await w.service.admin('POST', '/admin/tenants', body(kentel.authServer.issuer.replace('https://', 'http://')));
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual([{ field: 'config.okta.issuer', reason: 'must be an https:// URL without query, fragment or credentials, e.g. https://company.okta.com/oauth2/aus123' }]);
  });

  it('refuses issuers resolving to 169.254.169.254 or 10.0.0.1 when private addresses are not allowed, before connecting', async () => {
    for (const [host, address] of [['metadata.example.test', '169.254.169.254'], ['intranet.example.test', '10.0.0.1'], ['mixed.example.test', '10.0.0.1']]) {
      const res = await strict.admin('POST', '/admin/tenants', body(`https://${host}/oauth2/aus1`));
      expect(res.status).toBe(422);
      expect(res.body.errors).toEqual([{
        field: 'config.okta.issuer',
        reason: `the discovery document at https://${host}/oauth2/aus1/.well-known/openid-configuration could not be fetched: ${host} resolves to a private, loopback or link-local address (${address}), which is not allowed.`,
      }]);
    }
    expect(resolver.asked).toEqual(['metadata.example.test', 'intranet.example.test', 'mixed.example.test']);
    const literal = await strict.admin('POST', '/admin/tenants', body('https://10.0.0.1/oauth2/aus1'));
    expect(literal.body.errors[0].reason).toMatch(/10\.0\.0\.1 is a private or loopback address, which is not allowed\.$/);
    // The stand-in on 127.0.0.1 is refused by this instance, and accepted by the one whose operator allows it.
    const loopback = await strict.admin('POST', '/admin/tenants', body(kentel.authServer.issuer));
    expect(loopback.body.errors[0].reason).toMatch(/127\.0\.0\.1 is a private or loopback address, which is not allowed\.$/);
    expect(await w.db.query(`SELECT 1 FROM tenants WHERE slug = 'newco'`)).toHaveLength(0);
  });

  it('reports every problem at once, each with its field', async () => {
    const res = await w.service.admin('POST', '/admin/tenants', body(kentel.authServer.issuer, {
      domains: ['newco.com', 'kentel.com'],
      usernameRewrites: [{ from: 'corp.newco.local', to: 'newco.org' }],
      roles: { map: { Manager: 'RQ-Boss' }, defaultRole: 'RQ-Nobody' },
      rqIds: { securityRoles: ['RQ-StoreManager', 'RQ-Associate'] },
      okta: { issuer: kentel.authServer.issuer, clientId: '0oanewco', scopes: ['profile'] },
    }));
    expect(res.status).toBe(409); // a domain of another tenant is a conflict
    expect(res.body.errors).toEqual([
      { field: 'config.domains[1]', reason: 'kentel.com is already a verified domain of another tenant' },
      { field: 'config.usernameRewrites[0].to', reason: 'newco.org is not one of this tenant\'s verified domains, so every rewritten username would be refused' },
      { field: 'config.okta.scopes', reason: 'must include openid (OpenID Connect sign-in needs it)' },
      { field: 'config.roles.map["Manager"]', reason: 'RQ-Boss is not one of this tenant\'s RQ security roles (RQ-StoreManager, RQ-Associate)' },
      { field: 'config.roles.defaultRole', reason: 'RQ-Nobody is not one of this tenant\'s RQ security roles (RQ-StoreManager, RQ-Associate)' },
    ]);
  });

  it('stores the endpoints discovery gives, and says what is worth knowing', async () => {
    await kentel.authServer.addClient({ client_id: '0oanewco', client_secret: 'x-secret', redirect_uris: [`${w.service.url}/oauth2/callback`] });
    const res = await w.service.admin('POST', '/admin/tenants', body(kentel.authServer.issuer, { okta: { issuer: kentel.authServer.issuer, clientId: '0oanewco', scopes: ['openid', 'email', 'made_up'] } }));
    expect(res.status).toBe(201);
    expect(res.body.config.okta.endpoints).toMatchObject({
      authorization: kentel.authServer.endpoints.authorization, token: kentel.authServer.endpoints.token,
      userinfo: kentel.authServer.endpoints.userinfo, jwks: kentel.authServer.endpoints.jwks,
    });
    expect(res.body.warnings.map((x: { field: string }) => x.field)).toEqual(['config.okta.scopes', 'config.roles.map', 'config.okta.scopes']);
    expect(res.body.warnings[0].reason).toBe('auto-provisioning usually needs profile, phone, iqmetrix too; without them Okta may not send the profile claims');
    expect(res.body.warnings[2].reason).toMatch(/^the discovery document does not list made_up; unless those scopes exist/);
  });

  it('saves a configuration with a mistyped key, warning for each key it ignored; a GET sent back unchanged gets none', async () => {
    const config = await w.configOf('kentel');
    const roundTrip = await w.service.admin('PUT', '/admin/tenants/kentel/config', { config });
    expect(roundTrip.status).toBe(200);
    expect(roundTrip.body.warnings.filter((x: { reason: string }) => /ignored/.test(x.reason))).toEqual([]);
    const typo = await w.service.admin('PUT', '/admin/tenants/kentel/config', {
      notes: 'meant note',
      config: { ...config, usernameRewirtes: [{ from: 'yvr.kentel.local', to: 'kentel.com' }], okta: { ...config.okta, passwordGrnat: true }, lifecycle: { ...config.lifecycle, bogus: 1 } },
    });
    expect(typo.status).toBe(200);
    const ignored = typo.body.warnings.filter((x: { reason: string }) => /ignored/.test(x.reason));
    expect(ignored).toEqual(['notes', 'config.okta.passwordGrnat', 'config.lifecycle.bogus', 'config.usernameRewirtes'].map((field) => ({ field, reason: 'is not a field of this request; it was ignored' })));
    expect((await w.configOf('kentel')).usernameRewirtes).toBeUndefined();
    // What GET shows and a save does not take is quiet only when sent back as shown: a secret typed there is not.
    const secret = await w.service.admin('PUT', '/admin/tenants/kentel/config', { config: { ...config, okta: { ...config.okta, clientSecret: 'x-typed-here' }, training: { ...config.training, databaseUrl: 'postgres://u:p@h/d' } } });
    expect([secret.status, secret.body.warnings.filter((x: { reason: string }) => /ignored/i.test(x.reason))]).toEqual([200, [
      { field: 'config.okta.clientSecret', reason: 'is only a reference to the secret, shown by GET; give a new secret as clientSecret beside config (or clientSecretId). It was ignored' },
      { field: 'config.training.databaseUrl', reason: 'is only shown as set by GET; give a new URL as trainingDatabaseUrl beside config. It was ignored' },
    ]]);
    expect(JSON.stringify(secret.body)).not.toContain('x-typed-here');
    const draft = await w.service.admin('POST', '/admin/tenants/kentel/versions', { config: { ...config, okta: { ...config.okta, passwordGrnat: true } } });
    expect([draft.status, draft.body.warnings]).toEqual([201, [{ field: 'config.okta.passwordGrnat', reason: 'is not a field of this request; it was ignored' }]]);
    expect((await w.service.admin('DELETE', `/admin/tenants/kentel/versions/${draft.body.version}`)).status).toBe(200);
    // Many such keys: twenty named, the rest counted.
    const many = await w.service.admin('PUT', '/admin/tenants/kentel/config', { config: { ...config, ...Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`k${i}`, i])) } });
    const listed = many.body.warnings.filter((x: { reason: string }) => /ignored/.test(x.reason));
    expect([many.status, listed.length, listed.at(-1)]).toEqual([200, 21, { field: '(body)', reason: 'and 4980 more keys that are no field were ignored' }]);
  });
});

describe('tenant configuration: versions, rollback and secrets', () => {
  let w: World;
  let t: TenantSetup;
  let app: oidc.Configuration;
  const carol = { login: 'carol@acme.com', password: 'C4rol-pass' };
  const v = (role: string, extra: Record<string, unknown> = {}) => ({
    config: {
      okta: { issuer: t.authServer.issuer, clientId: t.oktaClientId },
      domains: ['acme.com'],
      roles: { map: { 'Store Manager': role, Associate: 'RQ-Associate' } },
      ...extra,
    },
  });
  const versionsOf = async () => (await w.service.admin('GET', '/admin/tenants/acme/versions')).body as Array<Record<string, any>>;
  const lastAudit = async () => (await w.audits('acme')).at(-1)!;

  beforeAll(async () => {
    w = await World.start();
    t = await w.addTenant('acme', ['acme.com']);
    await w.addApp('hub');
    app = await w.app('hub');
    t.authServer.setUser(carol.login, { password: carol.password, sub: '00uCAROL01', claims: { userName: carol.login, name: 'Carol', email: carol.login, security_group_name: 'Store Manager' } });
  });
  afterAll(() => w?.close());

  it('a draft is validated and staged, but changes nothing in force until activated', async () => {
    const draft = await w.service.admin('POST', '/admin/tenants/acme/versions', { ...v('RQ-V2'), note: 'version two' });
    expect(draft.status).toBe(201);
    expect(draft.body).toMatchObject({ version: 2, status: 'draft', author: 'operator:bootstrap-key', note: 'version two', baseVersion: 1, check: { ok: true } });
    expect(draft.body.diff).toEqual({
      against: 1,
      changes: [{ path: 'roles.map["Store Manager"]', change: 'changed', from: 'RQ-StoreManager', to: 'RQ-V2', text: 'roles.map["Store Manager"]: changed from "RQ-StoreManager" to "RQ-V2"' }],
    });
    const tenant = await w.service.admin('GET', '/admin/tenants/acme');
    expect(tenant.body).toMatchObject({ activeVersion: 1, latestVersion: 2, drafts: [2] });
    const r = await w.signIn(app, carol);
    expect(((await w.me(app, (r as any).tokens.access_token)).body as any).securityRole).toBe('RQ-StoreManager');
    expect(await lastAudit()).toMatchObject({ config_version: 1 });

    const bad = await w.service.admin('POST', '/admin/tenants/acme/versions', v('RQ-X', { okta: { issuer: `${t.authServer.issuer}/`, clientId: t.oktaClientId } }));
    expect(bad.status).toBe(422);
    expect(bad.body.detail).toBe('The draft was not saved.');
    expect((await versionsOf()).map((x) => x.version)).toEqual([2, 1]);
  });

  it('checks a draft, activates it, and refuses to activate what is not a draft', async () => {
    const check = await w.service.admin('POST', '/admin/tenants/acme/versions/2/check');
    expect(check.status).toBe(200);
    expect(check.body).toEqual({ version: 2, ok: true, conflict: false, problems: [], warnings: [{ field: 'config.rqIds.securityRoles', reason: 'no RQ security roles are loaded, so the role mapping cannot be checked against RQ' }] });
    const on = await w.service.admin('POST', '/admin/tenants/acme/versions/2/activate', { note: 'go' });
    expect(on.status).toBe(200);
    expect(on.body).toMatchObject({ activeVersion: 2, drafts: [] });
    expect((await w.service.admin('POST', '/admin/tenants/acme/versions/2/activate')).body.detail).toBe('Version 2 is active; only a draft can be activated.');
    expect((await w.service.admin('POST', '/admin/tenants/acme/versions/1/activate')).body.detail).toBe('Version 1 was in force before; roll back to it instead.');
    expect((await w.service.admin('POST', '/admin/tenants/acme/versions/99/activate')).status).toBe(404);
    expect((await w.service.admin('POST', '/admin/tenants/acme/versions/abc/activate')).status).toBe(404);
  });

  it('activate version 3, roll back to version 2: the next sign-in uses version 2\'s mappings, and its audit says so', async () => {
    const three = await w.service.admin('POST', '/admin/tenants/acme/versions', v('RQ-V3'));
    expect(three.body.version).toBe(3);
    expect((await w.service.admin('POST', '/admin/tenants/acme/versions/3/activate')).body.activeVersion).toBe(3);
    let r = await w.signIn(app, carol);
    expect(((await w.me(app, (r as any).tokens.access_token)).body as any).securityRole).toBe('RQ-V3');
    expect(await lastAudit()).toMatchObject({ config_version: 3, outcome: 'updated' });

    const back = await w.service.admin('POST', '/admin/tenants/acme/rollback', { toVersion: 2, note: 'version 3 mapped the wrong role' });
    expect(back.status).toBe(200);
    expect(back.body.activeVersion).toBe(2);
    expect(back.body.config.roles.map).toEqual({ 'Store Manager': 'RQ-V2', Associate: 'RQ-Associate' });
    r = await w.signIn(app, carol);
    expect(((await w.me(app, (r as any).tokens.access_token)).body as any).securityRole).toBe('RQ-V2');
    const audit = await lastAudit();
    expect(audit).toMatchObject({ config_version: 2, outcome: 'updated' });
    expect(audit.changes.securityRole).toEqual({ from: 'RQ-V3', to: 'RQ-V2' });

    const history = await versionsOf();
    expect(history.map((x) => [x.version, x.status])).toEqual([[3, 'superseded'], [2, 'active'], [1, 'superseded']]);
    expect(history[1]!.activations.map((a: { kind: string; previousVersion: number }) => [a.kind, a.previousVersion])).toEqual([['activate', 1], ['rollback', 3]]);
    expect(history[1]!.activations[1].note).toBe('version 3 mapped the wrong role');
    expect((await w.service.admin('POST', '/admin/tenants/acme/rollback', { toVersion: 2 })).body.detail).toBe('Version 2 is already in force.');
    const detail = await w.service.admin('GET', '/admin/tenants/acme/versions/3?against=1');
    expect(detail.body.diff.changes.map((c: { text: string }) => c.text)).toEqual(['roles.map["Store Manager"]: changed from "RQ-StoreManager" to "RQ-V3"']);
  });

  it('a sign-in under way when a new version is activated finishes with the version it started with', async () => {
    const browser = new Browser();
    const verifier = client.randomPKCECodeVerifier();
    const url = client.buildAuthorizationUrl(app, {
      redirect_uri: APP_REDIRECT, scope: 'openid', login_hint: carol.login, prompt: 'login', state: 'inflight',
      code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
    });
    const atCallback = await browser.follow(url.href, { stopAt: `${w.service.url}/oauth2/callback`, username: carol.login, password: carol.password });
    expect(atCallback.reached).toBe(true);
    const next = await w.service.admin('POST', '/admin/tenants/acme/versions', v('RQ-INFLIGHT'));
    expect((await w.service.admin('POST', `/admin/tenants/acme/versions/${next.body.version}/activate`)).body.activeVersion).toBe(next.body.version);
    const done = await browser.follow(atCallback.url, { stopAt: APP_REDIRECT });
    expect(new URL(done.url).searchParams.get('error')).toBeNull();
    expect(await lastAudit()).toMatchObject({ config_version: 2 });
    const r = await w.signIn(app, carol);
    expect(((await w.me(app, (r as any).tokens.access_token)).body as any).securityRole).toBe('RQ-INFLIGHT');
    expect(await lastAudit()).toMatchObject({ config_version: next.body.version });
    expect((await w.service.admin('POST', '/admin/tenants/acme/rollback', { toVersion: 2 })).status).toBe(200);
  });

  it('refuses a save made from a version that is no longer in force, so two people cannot overwrite each other', async () => {
    const before = (await w.service.admin('GET', '/admin/tenants/acme')).body as { activeVersion: number; latestVersion: number };
    // Jane and Sam both load version N; Jane saves first.
    const jane = await w.service.admin('PUT', '/admin/tenants/acme/config', { ...v('RQ-JANE'), baseVersion: before.activeVersion });
    expect(jane.status).toBe(200);
    expect(jane.body.activeVersion).toBe(before.latestVersion + 1);
    const sam = await w.service.admin('PUT', '/admin/tenants/acme/config', { ...v('RQ-SAM'), baseVersion: before.activeVersion });
    expect(sam.status).toBe(409);
    expect(sam.body).toMatchObject({
      detail: `Version ${jane.body.activeVersion} was put in force after version ${before.activeVersion}, which this change was made from; reload and make the change again.`,
      errors: [{ field: 'baseVersion', reason: `version ${jane.body.activeVersion} is in force now, not ${before.activeVersion}` }],
    });
    const samDraft = await w.service.admin('POST', '/admin/tenants/acme/versions', { ...v('RQ-SAM'), baseVersion: before.activeVersion });
    expect(samDraft.status).toBe(409);
    const after = (await w.service.admin('GET', '/admin/tenants/acme')).body as { activeVersion: number; latestVersion: number };
    expect([after.activeVersion, after.latestVersion]).toEqual([jane.body.activeVersion, jane.body.activeVersion]); // nothing of Sam's written
    // Reloaded, Sam's change goes in.
    const reloaded = await w.service.admin('PUT', '/admin/tenants/acme/config', { ...v('RQ-SAM'), baseVersion: after.activeVersion });
    expect(reloaded.status).toBe(200);
    expect((await w.service.admin('PUT', '/admin/tenants/acme/config', { ...v('RQ-SAM'), baseVersion: 999 })).body).toMatchObject({
      status: 422, errors: [{ field: 'baseVersion', reason: 'this tenant has no version 999' }],
    });
    // A draft staged from an older version than the one in force is not activated over it unless asked.
    const stale = await w.service.admin('POST', '/admin/tenants/acme/versions', { ...v('RQ-STALE'), baseVersion: reloaded.body.activeVersion });
    const newer = await w.service.admin('PUT', '/admin/tenants/acme/config', { ...v('RQ-NEWER'), baseVersion: reloaded.body.activeVersion });
    const refused = await w.service.admin('POST', `/admin/tenants/acme/versions/${stale.body.version}/activate`, {});
    expect(refused.status).toBe(409);
    expect(refused.body.detail).toBe(`Draft v${stale.body.version} was made from version ${reloaded.body.activeVersion}, but version ${newer.body.activeVersion} is in force now: activating it would undo the changes of version ${newer.body.activeVersion}. Stage the change again from version ${newer.body.activeVersion}, or activate with "replaceNewer": true to undo them on purpose.`);
    expect((await w.service.admin('GET', '/admin/tenants/acme')).body.activeVersion).toBe(newer.body.activeVersion);
    const onPurpose = await w.service.admin('POST', `/admin/tenants/acme/versions/${stale.body.version}/activate`, { replaceNewer: true });
    expect(onPurpose.body.activeVersion).toBe(stale.body.version);
    // The tests after this one expect version 2's mapping in force: put it back (no baseVersion: last writer wins).
    expect((await w.service.admin('PUT', '/admin/tenants/acme/config', v('RQ-V2'))).status).toBe(200);
  });

  it('takes baseVersion on a rollback and an activation with the 409 of a save: a rollback and a save sent at once cannot both win', async () => {
    const inForce = (await w.service.admin('GET', '/admin/tenants/acme')).body.activeVersion as number;
    const earlier = (await versionsOf()).find((x) => x.status === 'superseded')!.version as number;
    const typo = await w.service.admin('POST', '/admin/tenants/acme/rollback', { toVersion: earlier, basVersion: inForce });
    expect([typo.status, typo.body.errors]).toEqual([422, [{ field: '(body)', reason: 'Unrecognized key: "basVersion"' }]]);
    const stale = await w.service.admin('POST', '/admin/tenants/acme/rollback', { toVersion: earlier, baseVersion: earlier });
    expect([stale.status, stale.body.errors]).toEqual([409, [{ field: 'baseVersion', reason: `version ${inForce} is in force now, not ${earlier}` }]]);
    // Both made from the version in force, sent at once: one is put in force, the other is told it came too late.
    const [rollback, save] = await Promise.all([
      w.service.admin('POST', '/admin/tenants/acme/rollback', { toVersion: earlier, baseVersion: inForce }),
      w.service.admin('PUT', '/admin/tenants/acme/config', { ...v('RQ-RACE'), baseVersion: inForce }),
    ]);
    expect([rollback.status, save.status].sort()).toEqual([200, 409]);
    const winner = rollback.status === 200 ? earlier : save.body.activeVersion;
    expect((await w.service.admin('GET', '/admin/tenants/acme')).body.activeVersion).toBe(winner);
    // An activation alike; a draft names no version anyone saw in force, so it is no base (422, not a 409).
    const draft = await w.service.admin('POST', '/admin/tenants/acme/versions', { ...v('RQ-V2'), baseVersion: winner });
    // A rollback's target must be superseded now (rolling back to the version in force is its own 409): whichever won.
    const superseded = winner === earlier ? inForce : earlier;
    for (const [method, path, body] of [
      ['PUT', '/admin/tenants/acme/config', { ...v('RQ-V2'), baseVersion: draft.body.version }],
      ['POST', '/admin/tenants/acme/rollback', { toVersion: superseded, baseVersion: draft.body.version }],
      ['POST', `/admin/tenants/acme/versions/${draft.body.version}/activate`, { baseVersion: draft.body.version }],
    ] as const) {
      const res = await w.service.admin(method, path, body);
      expect([path, res.status, res.body.errors]).toEqual([path, 422, [{ field: 'baseVersion', reason: `version ${draft.body.version} was never in force (it is draft); give the version in force the change was made from` }]]);
    }
    const staleActivation = await w.service.admin('POST', `/admin/tenants/acme/versions/${draft.body.version}/activate`, { baseVersion: inForce });
    expect([staleActivation.status, staleActivation.body.errors[0].field]).toEqual([409, 'baseVersion']);
    const activated = await w.service.admin('POST', `/admin/tenants/acme/versions/${draft.body.version}/activate`, { baseVersion: winner });
    expect([activated.status, activated.body.activeVersion]).toEqual([200, draft.body.version]);
  });

  it('keys named like JavaScript built-ins: "constructor" is a key like any other (added in the diff), "__proto__" is refused with its reason', async () => {
    const saved = await w.service.admin('PUT', '/admin/tenants/acme/config', v('RQ-V2', { roles: { map: { 'Store Manager': 'RQ-V2', Associate: 'RQ-Associate', constructor: 'RQ-C' } } }));
    expect(saved.status).toBe(200);
    const diff = (await w.service.admin('GET', `/admin/tenants/acme/versions/${saved.body.activeVersion}`)).body.diff.changes;
    expect(diff).toEqual([{ path: 'roles.map.constructor', change: 'added', to: 'RQ-C', text: 'roles.map.constructor: set to "RQ-C"' }]);
    const reason = '"__proto__" cannot be used here: it names every JavaScript object\'s prototype, so it would be lost; rename it';
    const proto = await w.service.admin('PUT', '/admin/tenants/acme/config', JSON.parse(`{"config": {"okta": {"issuer": "${t.authServer.issuer}", "clientId": "${t.oktaClientId}"}, "domains": ["acme.com"],
      "roles": {"map": {"__proto__": "RQ-V2", "Store Manager": "RQ-V2"}}, "commissionTypes": {"__proto__": "x"},
      "training": {"locations": {"map": {"__proto__": "TRN-1"}}}, "customFields": [{"name": "__proto__"}], "claims": {"firstName": "__proto__"}}}`));
    expect([proto.status, proto.body.errors]).toEqual([422, [
      { field: 'config.claims.firstName', reason },
      { field: 'config.roles.map.__proto__', reason },
      { field: 'config.commissionTypes.__proto__', reason },
      { field: 'config.customFields[0].name', reason },
      { field: 'config.training.locations.map.__proto__', reason },
    ]]);
    expect((await w.service.admin('PUT', '/admin/tenants/acme/config', v('RQ-V2'))).status).toBe(200);
  });

  it('discards a draft, which can then not be activated', async () => {
    const four = await w.service.admin('POST', '/admin/tenants/acme/versions', v('RQ-V4'));
    expect((await w.service.admin('DELETE', `/admin/tenants/acme/versions/${four.body.version}`)).body.status).toBe('discarded');
    expect((await w.service.admin('POST', `/admin/tenants/acme/versions/${four.body.version}/activate`)).status).toBe(409);
    expect((await w.service.admin('POST', `/admin/tenants/acme/rollback`, { toVersion: four.body.version })).body.detail).toBe(`Version ${four.body.version} was never in force (discarded); activate a draft instead.`);
  });

  it('stages a new client secret before the old one is retired', async () => {
    const NEW_SECRET = 'n3w+secret/with:colons %and=more';
    const staged = await w.service.admin('POST', '/admin/tenants/acme/secrets', { clientSecret: NEW_SECRET, label: 'rotation' });
    expect(staged.status).toBe(201);
    expect(staged.body).toMatchObject({ label: 'rotation', status: 'staged', usedByVersions: [] });
    // The customer adds the new secret in their Okta; a version using it is staged and activated.
    await t.authServer.addClient({ client_id: t.oktaClientId, client_secret: NEW_SECRET, redirect_uris: [`${w.service.url}/oauth2/callback`] });
    const draft = await w.service.admin('POST', '/admin/tenants/acme/versions', { ...v('RQ-V2'), clientSecretId: staged.body.id });
    expect(draft.body.diff.changes).toEqual([{ path: 'okta.clientSecret', change: 'changed', text: 'okta.clientSecret: replaced by another secret (never shown)' }]);
    await w.service.admin('POST', `/admin/tenants/acme/versions/${draft.body.version}/activate`);
    t.authServer.clearRequests();
    const r = await w.signIn(app, carol);
    expect(r.error).toBeUndefined();
    expect(t.authServer.requestsTo('token')[0]!.basicAuth).toEqual({ clientId: t.oktaClientId, clientSecret: NEW_SECRET });

    const secrets = (await w.service.admin('GET', '/admin/tenants/acme/secrets')).body as Array<Record<string, any>>;
    expect(secrets.map((s) => s.status)).toEqual(['in-use', 'staged']);
    const inUse = await w.service.admin('POST', `/admin/tenants/acme/secrets/${staged.body.id}/retire`);
    expect([inUse.status, inUse.body.detail]).toEqual([409, 'This secret is used by the version in force; activate a version with the new secret first.']);
    const old = secrets[1]!;
    const retired = await w.service.admin('POST', `/admin/tenants/acme/secrets/${old.id}/retire`);
    expect(retired.body).toMatchObject({ status: 'retired' });
    const [row] = await w.db.query<Record<string, unknown>>(`SELECT ciphertext, iv, tag FROM tenant_secrets WHERE id = $1`, [old.id]);
    expect(row).toEqual({ ciphertext: null, iv: null, tag: null });
    // Versions that used the retired secret cannot come back.
    const back = await w.service.admin('POST', '/admin/tenants/acme/rollback', { toVersion: 3 });
    expect(back.status).toBe(422);
    expect(back.body.errors).toContainEqual({ field: 'config.okta.clientSecretId', reason: 'the client secret of version 3 was retired; save a new version with a current secret' });
  });

  it('never returns the client secret, in any form', async () => {
    const sealed = await w.db.query<{ ciphertext: Buffer; iv: Buffer; tag: Buffer }>(`SELECT ciphertext, iv, tag FROM tenant_secrets WHERE ciphertext IS NOT NULL`);
    const secrets = [OKTA_CLIENT_SECRET, 'n3w+secret/with:colons %and=more', 'x-secret'];
    const forms = secrets.flatMap((s) => [
      s, encodeURIComponent(s), new URLSearchParams({ s }).toString().slice(2), Buffer.from(s).toString('base64'), Buffer.from(s).toString('base64url'),
      Buffer.from(`${t.oktaClientId}:${s}`).toString('base64'), Buffer.from(`${encodeURIComponent(t.oktaClientId)}:${encodeURIComponent(s)}`).toString('base64'),
      JSON.stringify(s).slice(1, -1),
    ]);
    for (const s of sealed) for (const b of [s.ciphertext, s.iv, s.tag]) forms.push(b.toString('base64'), b.toString('base64url'), b.toString('hex'));
    const reads = ['/admin/tenants/acme', '/admin/tenants', '/admin/tenants/acme/versions', '/admin/tenants/acme/versions/1', '/admin/tenants/acme/versions/5', '/admin/tenants/acme/secrets', '/admin/tenants/acme/actions'];
    for (const path of reads) {
      const res = await w.service.admin('GET', path);
      expect(res.status).toBe(200);
      const text = JSON.stringify(res.body);
      for (const f of forms) expect({ path, leaked: text.includes(f) ? f : null }).toEqual({ path, leaked: null });
    }
    const tenant = (await w.service.admin('GET', '/admin/tenants/acme')).body;
    expect(Object.keys(tenant.config.okta.clientSecret).sort()).toEqual(['id', 'set', 'updatedAt']);
  });
});

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as oidc from 'openid-client';
import { Browser } from '../../tools/browser.js';
import { ProvisioningService } from '../../src/provisioning/provisioning.service.js';
import { TenantRuntime } from '../../src/tenants/tenant-runtime.js';
import { statementKinds, statementsDuring } from '../support/statements.js';
import { APP_REDIRECT, type TenantSetup, World } from '../support/world.js';

/**
 * Provisioning through the real sign-in (app → service → Okta stand-in → Postgres), one case of the issue each.
 * The Okta stand-in's code-flow ID token is thin, like Okta's: the profile arrives through UserInfo.
 */
describe('auto-provisioning through the sign-in', () => {
  let w: World;
  let kentel: TenantSetup;
  let app: oidc.Configuration;
  const LOCATION_CLAIM = 'assigned_entity_client_entity_ids';

  const person = (tenant: TenantSetup, login: string, sub: string, claims: Record<string, unknown>) => {
    tenant.authServer.setUser(login, { password: 'Pa55-word', sub, claims });
    return { login, password: 'Pa55-word' };
  };
  const profile = (userName: string, more: Record<string, unknown> = {}) => ({
    userName, name: 'Pat', family_name: 'Doe', email: userName, security_group_name: 'Associate', ...more,
  });
  const audits = async (sub: string) => w.db.query<Record<string, any>>(`SELECT * FROM provisioning_audit WHERE subject = $1 ORDER BY created_at, id`, [sub]);
  const lastAudit = async (sub: string) => (await audits(sub)).at(-1)!;
  const userOf = async (sub: string) => (await w.db.query<Record<string, any>>(`SELECT * FROM users WHERE subject = $1`, [sub]))[0];
  const locationsOf = async (sub: string) =>
    (await w.db.query<{ ext: string }>(`SELECT l.location_external_id AS ext FROM user_locations l JOIN users u ON u.id = l.user_id WHERE u.subject = $1 ORDER BY 1`, [sub])).map((r) => r.ext);

  beforeAll(async () => {
    w = await World.start();
    kentel = await w.addTenant('kentel', ['kentel.com'], {
      usernameRewrites: [{ from: 'yvr.kentel.local', to: 'kentel.com' }],
      customFields: [{ name: 'Region', maxLength: 20 }],
      rqIds: { organizationalRoles: ['101'], commissionGroups: ['CG-1'] },
      commissionTypes: { Hourly: 'RQ-Hourly' },
    });
    await w.addLocations('kentel', ['LOC-1', 'LOC-2', 'LOC-3', 'LOC-4']);
    await w.addApp('hub');
    app = await w.app('hub');
  });
  afterAll(() => w?.close());

  it('provisions every field of the guide from UserInfo, and audits where each value came from', async () => {
    const who = person(kentel, 'full@kentel.com', '00uFULL0001', profile('full@yvr.kentel.local', {
      name: 'Francesca', attribute_EmailDisplayName: 'Fran F.', phone_number: '+1 604 555 0100;ext=12', mobile_number: '604-555-0101',
      attribute_OrganizationalRoleID: '101', attribute_SupervisorUPN: 'boss@yvr.kentel.local', attribute_SpecialIdentifier: 'EMP-123456',
      attribute_CommissionGroupID: 'CG-1', attribute_CommissionType: 'hourly', attribute_rqCustomField_Region: 'West', [LOCATION_CLAIM]: 'LOC-1;LOC-2',
    }));
    const r = await w.signIn(app, who);
    expect(r.error).toBeUndefined();
    const user = await userOf('00uFULL0001');
    expect(user).toMatchObject({
      username: 'full@kentel.com', first_name: 'Francesca', last_name: 'Doe', security_role: 'RQ-Associate', email: 'full@yvr.kentel.local',
      email_display_name: 'Fran F.', home_phone: '+1 604 555 0100;ext=12', cell_phone: '604-555-0101', organizational_role_id: '101',
      supervisor_username: 'boss@kentel.com', id_number: 'EMP-123456', commission_group_id: 'CG-1', commission_type: 'RQ-Hourly',
      custom_fields: { Region: 'West' },
    });
    expect(await locationsOf('00uFULL0001')).toEqual(['LOC-1', 'LOC-2']);
    const audit = await lastAudit('00uFULL0001');
    expect(audit.outcome).toBe('created');
    expect(audit.sources.firstName).toEqual('userinfo');
    expect(audit.sources.username).toEqual('userinfo');
    expect(audit.changes.idNumber).toEqual({ from: null, to: '•••56' }); // masked in the audit, stored whole
    expect(audit.changes['custom.Region']).toEqual({ from: null, to: 'West' });
    expect(audit.claims.userinfo.attribute_SpecialIdentifier).toBe('•••56');
    expect(audit.claims.idToken.nonce).toBeUndefined();
    // No token is ever stored: nothing in the row looks like a JWT.
    expect(JSON.stringify(audit)).not.toMatch(/eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\./);
  });

  it('reads locations in every shape Okta sends, across consecutive logins of one user', async () => {
    const sub = '00uSHAPES001';
    const who = person(kentel, 'shapes@kentel.com', sub, profile('shapes@kentel.com'));
    const steps: Array<[unknown, string[], string, { added: string[]; removed: string[] } | undefined]> = [
      ['LOC-1', ['LOC-1'], 'created', { added: ['LOC-1'], removed: [] }],
      [['LOC-1', 'LOC-2'], ['LOC-1', 'LOC-2'], 'updated', { added: ['LOC-2'], removed: [] }],
      ['LOC-1, LOC-2', ['LOC-1', 'LOC-2'], 'unchanged', undefined],
      ['["LOC-1"]', ['LOC-1'], 'updated', { added: [], removed: ['LOC-2'] }],
      [[], [], 'updated', { added: [], removed: ['LOC-1'] }],
      [undefined, [], 'unchanged', undefined],
      ['LOC-2; LOC-3', ['LOC-2', 'LOC-3'], 'updated', { added: ['LOC-2', 'LOC-3'], removed: [] }],
      [undefined, ['LOC-2', 'LOC-3'], 'unchanged', undefined],
    ];
    for (const [claim, expected, outcome, change] of steps) {
      kentel.authServer.updateUser(who.login, { claims: { [LOCATION_CLAIM]: claim } });
      const r = await w.signIn(app, who);
      expect(r.error).toBeUndefined();
      const me = await w.me(app, (r as { tokens: { access_token: string } }).tokens.access_token);
      expect({ claim, locations: (me.body as { locations: string[] }).locations }).toEqual({ claim, locations: expected });
      const audit = await lastAudit(sub);
      expect({ claim, outcome: audit.outcome, locations: audit.changes.locations }).toEqual({ claim, outcome, locations: change });
      const absentWarning = audit.warnings.find((x: { field: string }) => x.field === 'locations');
      expect({ claim, warning: absentWarning?.reason }).toEqual({ claim, warning: claim === undefined ? `claim ${LOCATION_CLAIM} was not sent; location assignments were left unchanged` : undefined });
    }
    expect(await audits(sub)).toHaveLength(steps.length);
  });

  it('login 1 with LOC-1 and LOC-2, login 2 with LOC-2: LOC-1 is removed, a location assigned by hand stays', async () => {
    const sub = '00uHANDLOC01';
    const who = person(kentel, 'handloc@kentel.com', sub, profile('handloc@kentel.com', { [LOCATION_CLAIM]: ['LOC-1', 'LOC-2'] }));
    await w.signIn(app, who);
    const user = await userOf(sub);
    const put = await w.service.admin('PUT', `/admin/tenants/kentel/users/${user.id}/locations/LOC-3`);
    expect(put.status).toBe(200);
    kentel.authServer.updateUser(who.login, { claims: { [LOCATION_CLAIM]: ['LOC-2'] } });
    await w.signIn(app, who);
    expect(await w.db.query(`SELECT location_external_id AS ext, source FROM user_locations WHERE user_id = $1 ORDER BY 1`, [user.id])).toEqual([
      { ext: 'LOC-2', source: 'idp' }, { ext: 'LOC-3', source: 'manual' },
    ]);
    expect((await lastAudit(sub)).changes.locations).toEqual({ added: [], removed: ['LOC-1'] });
  });

  it('an unchanged login writes nothing but last_login_at, and is audited as unchanged', async () => {
    const sub = '00uSAME00001';
    const who = person(kentel, 'same@kentel.com', sub, profile('same@kentel.com', { [LOCATION_CLAIM]: 'LOC-4' }));
    await w.signIn(app, who);
    const before = await userOf(sub);
    await w.signIn(app, who);
    const after = await userOf(sub);
    const { last_login_at: l1, ...rest1 } = before;
    const { last_login_at: l2, ...rest2 } = after;
    expect(rest2).toEqual(rest1);
    expect(new Date(l2).getTime()).toBeGreaterThan(new Date(l1).getTime());
    const audit = await lastAudit(sub);
    expect(audit).toMatchObject({ outcome: 'unchanged', changes: {}, reasons: [] });
  });

  it('"Store Manager" with no mapping and no default role: refused, the reason audited, the existing user untouched', async () => {
    const norole = await w.addTenant('norole', ['norole.com'], { roles: { map: { Associate: 'RQ-Associate' } } });
    const sub = '00uNOROLE001';
    const who = person(norole, 'sam@norole.com', sub, profile('sam@norole.com'));
    expect((await w.signIn(app, who)).error).toBeUndefined();
    const before = await userOf(sub);
    norole.authServer.updateUser(who.login, { claims: { security_group_name: 'Store Manager', name: 'Samuel' } });
    const r = await w.signIn(app, who);
    const audit = await lastAudit(sub);
    expect(r.error).toBe('access_denied');
    expect(r.description).toBe(`Your account could not be set up (securityRole). Your administrator can look up reference ${audit.id}.`);
    expect(audit).toMatchObject({ outcome: 'refused', user_id: before.id, username: 'sam@norole.com' });
    expect(audit.reasons).toEqual([{ field: 'securityRole', reason: 'claim security_group_name "Store Manager" is not mapped to a security role for this tenant, and it has no default role' }]);
    expect(await userOf(sub)).toEqual(before);

    // A new person whose Okta sends no group at all: a new user needs a role, and there is no default.
    const nogroup = person(norole, 'nora@norole.com', '00uNOROLE002', { userName: 'nora@norole.com', name: 'Nora' });
    expect((await w.signIn(app, nogroup)).error).toBe('access_denied');
    expect((await lastAudit('00uNOROLE002')).reasons).toEqual([
      { field: 'securityRole', reason: 'claim security_group_name was not sent, this tenant has no default, and a new user needs one' },
    ]);
    expect(await userOf('00uNOROLE002')).toBeUndefined();
  });

  it('a tenant default role applies to unmapped groups and to a new user without any', async () => {
    const dflt = await w.addTenant('dflt', ['dflt.com'], { roles: { map: { Associate: 'RQ-Associate' }, defaultRole: 'RQ-Basic' } });
    const who = person(dflt, 'dee@dflt.com', '00uDEFAULT01', { userName: 'dee@dflt.com', name: 'Dee' });
    expect((await w.signIn(app, who)).error).toBeUndefined();
    expect((await userOf('00uDEFAULT01')).security_role).toBe('RQ-Basic');
    dflt.authServer.updateUser(who.login, { claims: { security_group_name: 'Associate' } });
    await w.signIn(app, who);
    expect((await userOf('00uDEFAULT01')).security_role).toBe('RQ-Associate');
    dflt.authServer.updateUser(who.login, { claims: { security_group_name: 'Janitor' } });
    await w.signIn(app, who);
    expect((await userOf('00uDEFAULT01')).security_role).toBe('RQ-Basic');
    expect((await lastAudit('00uDEFAULT01')).warnings).toContainEqual({ field: 'securityRole', reason: `claim security_group_name: "Janitor" is not mapped to a security role; the tenant's default role applies` });
  });

  it('unknown location identifiers: refused by default; with assign-known, the known ones are assigned and the rest reported', async () => {
    const who = person(kentel, 'unknown@kentel.com', '00uUNKNOWN01', profile('unknown@kentel.com', { [LOCATION_CLAIM]: ['LOC-1', 'LOC-404'] }));
    expect((await w.signIn(app, who)).error).toBe('access_denied');
    expect((await lastAudit('00uUNKNOWN01')).reasons).toEqual([{ field: 'locations', reason: "unknown External Node Identifiers (not in this tenant's company tree): LOC-404" }]);
    expect(await userOf('00uUNKNOWN01')).toBeUndefined();

    const lenient = await w.addTenant('lenient', ['lenient.com'], { unknownLocations: 'assign-known', claims: { firstName: 'given_name' } });
    await w.addLocations('lenient', ['LOC-1']);
    const other = person(lenient, 'lee@lenient.com', '00uLENIENT01', profile('lee@lenient.com', { name: 'Lee Lenient', given_name: 'Lee', [LOCATION_CLAIM]: 'LOC-1; LOC-404' }));
    expect((await w.signIn(app, other)).error).toBeUndefined();
    const audit = await lastAudit('00uLENIENT01');
    expect(audit.outcome).toBe('created');
    expect(audit.warnings).toContainEqual({ field: 'locations', reason: 'unknown External Node Identifiers were not assigned: LOC-404' });
    expect(await locationsOf('00uLENIENT01')).toEqual(['LOC-1']);
    expect((await userOf('00uLENIENT01')).first_name).toBe('Lee'); // the tenant's claim override
  });

  it('an ID token sub of 00uAAAA with a UserInfo sub of 00uBBBB: refused', async () => {
    const who = person(kentel, 'aaaa@kentel.com', '00uAAAA', profile('aaaa@kentel.com'));
    kentel.authServer.faults.next('userinfo', { transform: (body) => ({ ...body, sub: '00uBBBB', name: 'Someone Else' }) });
    const r = await w.signIn(app, who);
    expect(r.error).toBe('access_denied');
    expect(r.description).toMatch(/^Your account could not be set up \(sub, username\)/);
    const audit = await lastAudit('00uAAAA');
    expect(audit.outcome).toBe('refused');
    expect(audit.reasons[0]).toEqual({ field: 'sub', reason: 'UserInfo is about another subject ("00uBBBB") than the ID token ("00uAAAA"); its claims were not used' });
    expect(audit.claims.userinfo).toEqual({ sub: '00uBBBB' }); // nothing else of someone else's profile
    expect(await userOf('00uAAAA')).toBeUndefined();
  });

  it('a claim of 10,000 characters, a username with control characters, attribute_rqCustomField_Undeclared: each a clear per-field reason', async () => {
    const long = person(kentel, 'long@kentel.com', '00uLONG00001', profile('long@kentel.com', { family_name: 'x'.repeat(10_000) }));
    const r1 = await w.signIn(app, long);
    expect(r1.error).toBe('access_denied');
    const a1 = await lastAudit('00uLONG00001');
    expect(a1.reasons).toEqual([{ field: 'lastName', reason: 'claim family_name is 10000 characters long; at most 100 are allowed' }]);
    expect(a1.claims.userinfo.family_name).toBe(`${'x'.repeat(200)}…(10000 characters)`);

    const ctl = person(kentel, 'ctl@kentel.com', '00uCTRL00001', profile('ali\u0000c\u0007e@kentel.com'));
    expect((await w.signIn(app, ctl)).error).toBe('access_denied');
    const a2 = await lastAudit('00uCTRL00001');
    expect(a2.reasons).toEqual([
      { field: 'username', reason: 'claim userName contains a control character (U+0000) at position 4; a username has no spaces, control or invisible characters' },
      { field: 'email', reason: 'claim email contains a control character (U+0000) at position 4' },
    ]);
    expect(a2.claims.userinfo.userName).toBe('ali\uFFFDc\u0007e@kentel.com'); // stored, minus what Postgres cannot hold

    const extra = person(kentel, 'extra@kentel.com', '00uEXTRA0001', profile('extra@kentel.com', { attribute_rqCustomField_Undeclared: 'whatever', attribute_rqCustomField_Region: 'North' }));
    expect((await w.signIn(app, extra)).error).toBeUndefined();
    const a3 = await lastAudit('00uEXTRA0001');
    expect(a3.outcome).toBe('created');
    expect(a3.warnings).toContainEqual({
      field: 'custom.Undeclared',
      reason: `claim "attribute_rqCustomField_Undeclared" is not a custom field declared for this tenant; its value was ignored (declare it in the tenant's customFields to provision it)`,
    });
    expect((await userOf('00uEXTRA0001')).custom_fields).toEqual({ Region: 'North' });

    // The dry run shows the same reasons, writing nothing.
    const dry = await w.service.admin('POST', '/admin/tenants/kentel/dry-run', {
      idToken: { sub: '00uDRY000001' },
      userinfo: { sub: '00uDRY000001', ...profile('dr\u0007y@kentel.com'), family_name: 'x'.repeat(10_000), attribute_rqCustomField_Undeclared: 'v' },
    });
    expect(dry.status).toBe(200);
    expect(dry.body.outcome).toBe('refused');
    expect(dry.body.problems).toEqual(expect.arrayContaining([
      { field: 'username', reason: 'claim userName contains a control character (U+0007) at position 3; a username has no spaces, control or invisible characters' },
      { field: 'lastName', reason: 'claim family_name is 10000 characters long; at most 100 are allowed' },
    ]));
    expect(dry.body.warnings).toContainEqual(expect.objectContaining({ field: 'custom.Undeclared' }));
  });

  it('a blank-looking name from Okta (Hangul fillers, braille blank) is a per-field problem: refused, audited, the user untouched', async () => {
    const blank = (codes: string) => `has only characters that show nothing (${codes}); it must have a visible character`;
    const bea = person(kentel, 'bea@kentel.com', '00uBLANK0001', profile('bea@kentel.com', { name: 'Bea', family_name: 'Blank' }));
    expect((await w.signIn(app, bea)).error).toBeUndefined();
    const before = await userOf('00uBLANK0001');
    kentel.authServer.updateUser(bea.login, { claims: { name: '\u3164\u3164', family_name: ' \u2800 ' } });
    expect((await w.signIn(app, bea)).error).toBe('access_denied');
    const audit = await lastAudit('00uBLANK0001');
    expect(audit).toMatchObject({ outcome: 'refused', user_id: before.id });
    expect(audit.reasons).toEqual([
      { field: 'firstName', reason: `claim name ${blank('U+3164')}` },
      { field: 'lastName', reason: `claim family_name ${blank('U+2800')}` },
    ]);
    expect(await userOf('00uBLANK0001')).toMatchObject({ first_name: 'Bea', last_name: 'Blank' });
  });

  describe('identity and uniqueness', () => {
    it('a username owned by another tenant is refused and audited, never taken over (case-insensitive after NFKC)', async () => {
      const acme = await w.addTenant('acme', ['acme.com', 'shared.com']);
      const carol = person(acme, 'carol@acme.com', '00uCAROL0001', profile('carol@shared.com'));
      expect((await w.signIn(app, carol)).error).toBeUndefined();
      // shared.com moves to another tenant; acme's user keeps her username.
      const cfg = (await w.service.admin('GET', '/admin/tenants/acme')).body.config;
      const moved = await w.service.admin('PUT', '/admin/tenants/acme/config', {
        config: { okta: { issuer: cfg.okta.issuer, clientId: cfg.okta.clientId }, domains: ['acme.com'], roles: cfg.roles },
      });
      expect(moved.status).toBe(200);
      const globex = await w.addTenant('globex', ['shared.com']);
      const impostor = person(globex, 'carol@shared.com', '00uIMPOSTOR1', profile('ＣＡＲＯＬ@shared.com'));
      const r = await w.signIn(app, impostor);
      expect(r.error).toBe('access_denied');
      const audit = await lastAudit('00uIMPOSTOR1');
      expect(audit).toMatchObject({ outcome: 'refused', username: 'CAROL@shared.com' });
      expect(audit.reasons).toEqual([{ field: 'username', reason: 'the username CAROL@shared.com already belongs to a user of another tenant; it was not taken over' }]);
      expect(await userOf('00uIMPOSTOR1')).toBeUndefined();
      expect(await w.db.query(`SELECT t.slug, u.username FROM users u JOIN tenants t ON t.id = u.tenant_id WHERE u.username_key = 'carol@shared.com'`)).toEqual([{ slug: 'acme', username: 'carol@shared.com' }]);
    });

    it('a user is keyed by (tenant, issuer, sub), never by email: another subject with the same username is refused', async () => {
      const dave = person(kentel, 'dave@kentel.com', '00uDAVE00001', profile('dave@kentel.com'));
      expect((await w.signIn(app, dave)).error).toBeUndefined();
      const twin = person(kentel, 'dave.twin@kentel.com', '00uDAVE00002', profile('Dave@Kentel.com', { email: 'dave@kentel.com' }));
      expect((await w.signIn(app, twin)).error).toBe('access_denied');
      expect((await lastAudit('00uDAVE00002')).reasons).toEqual([
        { field: 'username', reason: 'the username Dave@kentel.com already belongs to another user of this tenant (a different identity-provider subject); it was not taken over' },
      ]);
      // The same person whose email changes stays the same user.
      kentel.authServer.updateUser(dave.login, { claims: { email: 'david@kentel.com' } });
      await w.signIn(app, dave);
      expect(await w.db.query(`SELECT email FROM users WHERE subject IN ('00uDAVE00001', '00uDAVE00002')`)).toEqual([{ email: 'david@kentel.com' }]);
    });
  });

  describe('concurrency', () => {
    it('ten parallel first logins of one new person through the real sign-in: one user, ten audit rows, all succeed', async () => {
      const sub = '00uRUSH00001';
      const who = person(kentel, 'rush@kentel.com', sub, profile('rush@kentel.com', { [LOCATION_CLAIM]: ['LOC-1', 'LOC-3'] }));
      // Each browser goes through Okta up to our callback; then all ten callbacks (where provisioning runs) fire at once.
      const started = await Promise.all(Array.from({ length: 10 }, () => startUpToCallback(who)));
      const finished = await Promise.all(started.map((s) => s.browser.follow(s.callback, { stopAt: APP_REDIRECT })));
      for (const [i, f] of finished.entries()) {
        expect(f.reached).toBe(true);
        const back = new URL(f.url);
        expect(back.searchParams.get('error')).toBeNull();
        const tokens = await oidc.authorizationCodeGrant(app, back, { pkceCodeVerifier: started[i]!.verifier, expectedState: started[i]!.state, expectedNonce: started[i]!.nonce });
        expect(tokens.access_token).toBeTruthy();
      }
      expect(await w.db.query(`SELECT count(*)::int AS n FROM users WHERE subject = $1`, [sub])).toEqual([{ n: 1 }]);
      const rows = await audits(sub);
      expect(rows.map((a) => a.outcome).sort()).toEqual(['created', ...Array(9).fill('unchanged')]);
      expect(new Set(rows.map((a) => a.correlation_id)).size).toBe(10);
      expect(await locationsOf(sub)).toEqual(['LOC-1', 'LOC-3']);
    });

    it('through ProvisioningService on real Postgres: ten first logins, then ten re-logins asserting different locations', async () => {
      const svc = w.service.app.get(ProvisioningService);
      const tenantId = (await w.db.query<{ id: string }>(`SELECT id FROM tenants WHERE slug = 'kentel'`))[0]!.id;
      const tenant = await w.service.app.get(TenantRuntime).load({ id: tenantId, version: 1 });
      const ctx = { tenantId, configVersion: 1, config: tenant.config, environment: 'production' as const, source: 'sign-in' as const };
      const sub = '00uPARALLEL1';
      const claims = (locations: string[]) => ({ idToken: { sub }, userinfo: { sub, ...profile('parallel@kentel.com'), [LOCATION_CLAIM]: locations } });
      const first = await Promise.all(Array.from({ length: 10 }, () => svc.provision(ctx, claims(['LOC-1', 'LOC-2']), kentel.authServer.issuer)));
      expect(first.map((r) => r.outcome).sort()).toEqual(['created', ...Array(9).fill('unchanged')]);
      expect(new Set(first.map((r) => r.userId)).size).toBe(1);
      expect(await locationsOf(sub)).toEqual(['LOC-1', 'LOC-2']);

      // Concurrent re-logins with different sets: the result is exactly one of the asserted sets, never a mix.
      const sets = Array.from({ length: 10 }, (_, i) => [`LOC-${(i % 4) + 1}`]);
      const again = await Promise.all(sets.map((s) => svc.provision(ctx, claims(s), kentel.authServer.issuer)));
      expect(again.every((r) => r.outcome === 'updated' || r.outcome === 'unchanged')).toBe(true);
      const final = await locationsOf(sub);
      expect(final).toHaveLength(1);
      expect(await audits(sub)).toHaveLength(20);
    });
  });

  it('a database failure mid-write leaves nothing half-written, audits "failed", and tells the app', async () => {
    await w.db.query(`CREATE FUNCTION test_fail() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'injected'; END $$`);
    await w.db.query(`CREATE TRIGGER test_fail AFTER INSERT ON user_locations FOR EACH ROW WHEN (NEW.location_external_id = 'LOC-4') EXECUTE FUNCTION test_fail()`);
    try {
      const who = person(kentel, 'fail@kentel.com', '00uFAIL00001', profile('fail@kentel.com', { [LOCATION_CLAIM]: ['LOC-1', 'LOC-4'] }));
      const r = await w.signIn(app, who);
      const audit = await lastAudit('00uFAIL00001');
      expect(r.error).toBe('server_error');
      expect(r.description).toBe(`Your account could not be set up right now; try again in a moment. Reference ${audit.id}.`);
      expect(audit).toMatchObject({ outcome: 'failed', user_id: null, reasons: [{ field: 'directory', reason: 'the user could not be written (database error P0001); nothing was changed' }] });
      expect(await userOf('00uFAIL00001')).toBeUndefined();
    } finally {
      await w.db.query(`DROP TRIGGER test_fail ON user_locations; DROP FUNCTION test_fail()`);
    }
  });

  it('a sign-in callback costs two database round trips: the login state and the provisioning statement', async () => {
    const who = person(kentel, 'trips@kentel.com', '00uTRIPS0001', profile('trips@kentel.com', { [LOCATION_CLAIM]: 'LOC-1' }));
    await w.signIn(app, who); // warm: tenant configuration cached, user exists
    kentel.authServer.updateUser(who.login, { claims: { name: 'Tripp', [LOCATION_CLAIM]: 'LOC-2' } });
    const s = await startUpToCallback(who);
    let code: string | null = null;
    const statements = await statementsDuring(w.service.app, async () => {
      code = new URL((await s.browser.follow(s.callback, { stopAt: APP_REDIRECT })).url).searchParams.get('code');
    });
    expect(code).toBeTruthy();
    const kinds = statementKinds(statements);
    // No BEGIN, no entity loads, no session write (the SSO session starts when the app redeems the code).
    expect(kinds).toEqual(['login state', 'provisioning']);
    expect((await lastAudit('00uTRIPS0001')).changes).toMatchObject({ firstName: { from: 'Pat', to: 'Tripp' }, locations: { added: ['LOC-2'], removed: ['LOC-1'] } });
  });

  /** The app's authorization request, followed through the user's Okta login up to (not into) our callback. */
  async function startUpToCallback(who: { login: string; password: string }) {
    const browser = new Browser();
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const url = oidc.buildAuthorizationUrl(app, {
      redirect_uri: APP_REDIRECT, scope: 'openid profile', code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256', state, nonce, login_hint: who.login,
    });
    const r = await browser.follow(url.href, { stopAt: `${w.service.url}/oauth2/callback`, username: who.login, password: who.password });
    if (!r.reached) throw new Error(`did not reach the callback: ${r.url}`);
    return { browser, callback: r.url, verifier, state, nonce };
  }
});

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as oidc from 'openid-client';
import { type TenantSetup, World } from '../support/world.js';

/**
 * Re-login semantics with provenance, over real HTTP: an account manager sets fields and locations by hand
 * through the admin API; later sign-ins update or remove only what came from the identity provider.
 */
describe('provenance: hand edits and sign-in', () => {
  let w: World;
  let kentel: TenantSetup;
  let app: oidc.Configuration;
  let userId: string;
  const pat = { login: 'pat@kentel.com', password: 'Pa55-word' };
  const SUB = '00uPAT000001';
  const L = 'assigned_entity_client_entity_ids';

  const signIn = async (claims: Record<string, unknown> = {}) => {
    if (Object.keys(claims).length) kentel.authServer.updateUser(pat.login, { claims });
    const r = await w.signIn(app, pat);
    expect(r.error).toBeUndefined();
    return (await w.db.query<Record<string, any>>(`SELECT * FROM provisioning_audit WHERE subject = $1 ORDER BY created_at DESC, id DESC LIMIT 1`, [SUB]))[0]!;
  };
  const user = () => w.service.admin('GET', `/admin/tenants/kentel/users/${userId}`);
  const edit = (body: unknown) => w.service.admin('PATCH', `/admin/tenants/kentel/users/${userId}`, body);
  const location = (method: string, ext: string, suffix = '') => w.service.admin(method, `/admin/tenants/kentel/users/${userId}/locations/${ext}${suffix}`);
  const assignments = () => w.db.query<{ ext: string; source: string }>(`SELECT location_external_id AS ext, source FROM user_locations WHERE user_id = $1 ORDER BY 1`, [userId]);
  const adminAudits = () => w.db.query<Record<string, any>>(`SELECT * FROM provisioning_audit WHERE user_id = $1 AND source = 'admin' ORDER BY created_at, id`, [userId]);

  beforeAll(async () => {
    w = await World.start();
    kentel = await w.addTenant('kentel', ['kentel.com'], { customFields: [{ name: 'Region' }, { name: 'Badge', values: { yes: 'Y', no: 'N' } }] });
    await w.addLocations('kentel', ['LOC-1', 'LOC-2', 'LOC-3', 'LOC-4']);
    await w.addApp('hub');
    app = await w.app('hub');
    kentel.authServer.setUser(pat.login, {
      password: pat.password, sub: SUB,
      claims: { userName: pat.login, name: 'Pat', family_name: 'Doe', email: pat.login, phone_number: '+1 604 555 0100', security_group_name: 'Associate', attribute_rqCustomField_Region: 'East', [L]: ['LOC-1', 'LOC-2'] },
    });
    const first = await signIn();
    userId = first.user_id;
  });
  afterAll(() => w?.close());

  it('shows every field with its provenance and every assignment with its source', async () => {
    const r = await user();
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      id: userId, username: 'pat@kentel.com', status: 'active', subject: SUB,
      fields: {
        firstName: { value: 'Pat', source: 'idp' }, homePhone: { value: '+1 604 555 0100', source: 'idp' },
        securityRole: { value: 'RQ-Associate', source: 'idp' }, cellPhone: { value: null, source: 'none' },
      },
      customFields: { Region: { value: 'East', source: 'idp' } },
      locations: [{ externalId: 'LOC-1', source: 'idp', assignedBy: null }, { externalId: 'LOC-2', source: 'idp', assignedBy: null }],
      excludedLocations: [],
    });
  });

  it('a field set by hand survives sign-ins; handed back, the identity provider takes it over again', async () => {
    const res = await edit({ set: { firstName: 'Patricia', homePhone: null, 'custom.Region': 'West', 'custom.Badge': 'Y' } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ outcome: 'updated', changes: {
      firstName: { from: 'Pat', to: 'Patricia' }, homePhone: { from: '+1 604 555 0100', to: null },
      'custom.Region': { from: 'East', to: 'West' }, 'custom.Badge': { from: null, to: 'Y' },
      provenance: { firstName: { from: 'idp', to: 'manual' }, homePhone: { from: 'idp', to: 'manual' }, 'custom.Region': { from: 'idp', to: 'manual' }, 'custom.Badge': { from: 'none', to: 'manual' } },
    } });
    expect(res.body.user.fields.firstName).toEqual({ value: 'Patricia', source: 'manual' });
    const [audit] = (await adminAudits()).slice(-1);
    expect(audit).toMatchObject({ source: 'admin', actor: 'operator:bootstrap-key', outcome: 'updated', username: 'pat@kentel.com', correlation_id: res.headers.get('x-request-id'), claims: null });
    expect(audit!.id).toBe(res.body.auditId);

    // Okta now says otherwise about those fields, and changes another.
    const later = await signIn({ name: 'Patty', phone_number: '+1 604 555 0199', attribute_rqCustomField_Region: 'North', family_name: 'Dane' });
    expect(later.outcome).toBe('updated');
    expect(later.changes).toEqual({ lastName: { from: 'Doe', to: 'Dane' } });
    expect(later.warnings.filter((x: { reason: string }) => /set by hand/.test(x.reason)).map((x: { field: string }) => x.field)).toEqual(['custom.Region', 'firstName', 'homePhone']);
    const kept = (await user()).body;
    expect(kept.fields).toMatchObject({ firstName: { value: 'Patricia', source: 'manual' }, homePhone: { value: null, source: 'manual' }, lastName: { value: 'Dane', source: 'idp' } });
    expect(kept.customFields).toMatchObject({ Region: { value: 'West', source: 'manual' } });

    const back = await edit({ handBack: ['firstName', 'custom.Region'] });
    expect(back.status).toBe(200);
    expect(back.body).toMatchObject({ outcome: 'updated', changes: { provenance: { firstName: { from: 'manual', to: 'idp' }, 'custom.Region': { from: 'manual', to: 'idp' } } } });
    expect(back.body.user.fields.firstName).toEqual({ value: 'Patricia', source: 'idp' }); // until the next sign-in
    const taken = await signIn();
    expect(taken.changes).toEqual({ firstName: { from: 'Patricia', to: 'Patty' }, 'custom.Region': { from: 'West', to: 'North' } });
    expect((await user()).body.fields.homePhone).toEqual({ value: null, source: 'manual' });
  });

  it('an unchanged sign-in after hand edits is audited as unchanged', async () => {
    expect((await signIn()).outcome).toBe('unchanged');
  });

  it('refuses an edit with every problem named, and changes nothing', async () => {
    const before = (await user()).body;
    const audits = (await adminAudits()).length;
    const res = await edit({
      set: { username: 'x@kentel.com', securityRole: 'RQ-Nope', email: 'not-mail', nickname: 'P', 'custom.Undeclared': 'x', 'custom.Badge': 'maybe', firstName: 'x'.repeat(101), lastName: null },
      handBack: ['firstName', 'bogus'],
    });
    expect(res.status).toBe(422);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.body.errors).toEqual([
      { field: 'set.username', reason: 'comes from the identity provider and cannot be set by hand' },
      { field: 'set.securityRole', reason: `"RQ-Nope" is not one of this tenant's security roles` },
      { field: 'set.email', reason: '"not-mail" is not an email address like name@example.com' },
      { field: 'set.nickname', reason: 'is not a provisioned field' },
      { field: 'set.custom.Undeclared', reason: 'is not a custom field declared for this tenant' },
      { field: 'set.custom.Badge', reason: '"maybe" is not one of the values declared for this custom field' },
      { field: 'set.firstName', reason: 'is 101 characters long; at most 100 are allowed' },
      { field: 'handBack[0]', reason: 'firstName is also being set by hand in this request' },
      { field: 'handBack[1]', reason: '"bogus" is not a field that can be handed back' },
    ]);
    expect((await user()).body).toEqual(before);
    expect(await adminAudits()).toHaveLength(audits);

    expect((await edit({})).body.errors).toEqual([{ field: '(body)', reason: 'give set, handBack, or both' }]);
    expect((await edit({ set: { firstName: 'A' }, extra: 1 })).status).toBe(422);
    expect((await w.service.admin('PATCH', '/admin/tenants/kentel/users/00000000-0000-4000-8000-000000000000', { set: { firstName: 'A' } })).status).toBe(404);
    expect((await w.service.admin('GET', '/admin/tenants/kentel/users/not-a-uuid')).status).toBe(404);
  });

  it('refuses a blank-looking name set by hand (only characters that show nothing), and changes nothing', async () => {
    const before = (await user()).body;
    const blank = (codes: string) => `has only characters that show nothing (${codes}); it must have a visible character`;
    const res = await edit({ set: { firstName: '\u2800\u2800', lastName: ' \u2800\u3000\u2800 ', 'custom.Region': '\u2800' } });
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual([
      { field: 'set.firstName', reason: blank('U+2800') },
      { field: 'set.lastName', reason: blank('U+2800, U+3000') },
      { field: 'set.custom.Region', reason: blank('U+2800') },
    ]);
    expect((await user()).body).toEqual(before);
  });

  it('locations by hand: sign-in never removes a manual one, never re-adds one unassigned by hand; hand-back returns them to the IdP', async () => {
    // Assign LOC-3 by hand; make the IdP's LOC-1 manual; unassign the IdP's LOC-2 by hand.
    const a3 = await location('PUT', 'LOC-3');
    expect(a3.body).toMatchObject({ outcome: 'updated', changes: { locations: { added: ['LOC-3'], removed: [] } } });
    expect((await location('PUT', 'LOC-1')).body.changes).toEqual({ locationSources: { 'LOC-1': { from: 'idp', to: 'manual' } } });
    expect((await location('PUT', 'LOC-3')).body).toMatchObject({ outcome: 'unchanged', changes: {} });
    const d2 = await location('DELETE', 'LOC-2');
    expect(d2.body.changes).toEqual({ locations: { added: [], removed: ['LOC-2'] }, excludedLocations: { added: ['LOC-2'], removed: [] } });
    expect(d2.body.user.excludedLocations).toEqual(['LOC-2']);
    expect(d2.body.user.locations.find((l: { externalId: string }) => l.externalId === 'LOC-3')).toMatchObject({ source: 'manual', assignedBy: 'operator:bootstrap-key' });

    // Okta drops LOC-1, still sends LOC-2, adds LOC-4.
    const s1 = await signIn({ [L]: ['LOC-2', 'LOC-4'] });
    expect(s1.changes.locations).toEqual({ added: ['LOC-4'], removed: [] });
    expect(s1.warnings).toContainEqual({ field: 'locations', reason: 'unassigned by hand by an account manager, so not assigned again: LOC-2' });
    expect(await assignments()).toEqual([{ ext: 'LOC-1', source: 'manual' }, { ext: 'LOC-3', source: 'manual' }, { ext: 'LOC-4', source: 'idp' }]);

    // Hand both back: LOC-2 may be assigned again, LOC-1 is the IdP's to remove.
    expect((await location('POST', 'LOC-2', '/hand-back')).body.changes).toEqual({ excludedLocations: { added: [], removed: ['LOC-2'] } });
    expect((await location('POST', 'LOC-1', '/hand-back')).body.changes).toEqual({ locationSources: { 'LOC-1': { from: 'manual', to: 'idp' } } });
    const s2 = await signIn();
    expect(s2.changes.locations).toEqual({ added: ['LOC-2'], removed: ['LOC-1'] });
    expect(await assignments()).toEqual([{ ext: 'LOC-2', source: 'idp' }, { ext: 'LOC-3', source: 'manual' }, { ext: 'LOC-4', source: 'idp' }]);

    // Every hand edit is one attributed audit row.
    const rows = await adminAudits();
    expect(rows.every((r) => r.actor === 'operator:bootstrap-key' && r.source === 'admin')).toBe(true);
    expect(rows.map((r) => r.outcome)).toEqual(['updated', 'updated', 'updated', 'updated', 'unchanged', 'updated', 'updated', 'updated']);
  });

  it('refuses a location that is not in the company tree, and a malformed one', async () => {
    const res = await location('PUT', 'LOC-404');
    expect(res.status).toBe(404);
    expect(res.body.detail).toBe(`Location "LOC-404" in this tenant's company tree does not exist.`);
    // A control character in an admin path is refused before the route runs (common/web/input-guard.ts).
    const bad = await location('PUT', encodeURIComponent('LOC\u00071'));
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([{ field: '(path)', reason: 'must not contain control characters (U+0007 at position 3)' }]);
    const invisible = await location('PUT', encodeURIComponent('LOC\u200B1'));
    expect(invisible.status).toBe(400);
    expect(invisible.body.errors).toEqual([{ field: '(path)', reason: 'must not contain invisible characters (U+200B at position 3)' }]);
  });

  it('lists users by username prefix, case-insensitively', async () => {
    const r = await w.service.admin('GET', '/admin/tenants/kentel/users?username=PAT');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ items: [{ id: userId, username: 'pat@kentel.com', firstName: 'Patty' }], nextCursor: null });
    expect((await w.service.admin('GET', '/admin/tenants/kentel/users?username=zz')).body.items).toEqual([]);
    kentel.authServer.setUser('pam@kentel.com', { password: 'Pa55-word', sub: '00uPAM000001', claims: { userName: 'pam@kentel.com', name: 'Pam', security_group_name: 'Associate' } });
    expect((await w.signIn(app, { login: 'pam@kentel.com', password: 'Pa55-word' })).error).toBeUndefined();
    const page1 = await w.service.admin('GET', '/admin/tenants/kentel/users?username=pa&limit=1');
    expect(page1.body.items.map((u: { username: string }) => u.username)).toEqual(['pam@kentel.com']);
    const page2 = await w.service.admin('GET', `/admin/tenants/kentel/users?username=pa&limit=1&cursor=${page1.body.nextCursor}`);
    expect(page2.body).toMatchObject({ items: [{ username: 'pat@kentel.com' }], nextCursor: null });
    expect((await w.service.admin('GET', '/admin/tenants/kentel/users?cursor=%25%25%25')).status).toBe(422);
    // Not percent-encoding at all: refused before the cursor is read, naming it.
    expect(await w.service.admin('GET', '/admin/tenants/kentel/users?cursor=%%%')).toMatchObject({
      status: 400, body: { detail: 'The request query is not valid percent-encoded UTF-8.', errors: [{ field: 'cursor', reason: 'is not valid percent-encoded UTF-8' }] },
    });
  });
});

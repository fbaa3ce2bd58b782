import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as oidc from 'openid-client';
import { type TenantSetup, World } from '../support/world.js';

const CORE = 'urn:ietf:params:scim:schemas:core:2.0:User';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const IQ = 'urn:iqmetrix:params:scim:schemas:extension:rq:2.0:User';
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

/**
 * SCIM 2.0 provisioning as a customer's Okta does it (request shapes from Okta's SCIM 2.0 reference), through
 * the same provisioning code and audit as sign-in, and deprovisioning that reaches the user's tokens.
 */
describe('SCIM 2.0 provisioning from a customer\'s Okta', () => {
  let w: World;
  let kentel: TenantSetup;
  let token: string;
  let otherToken: string;
  let app: oidc.Configuration;
  let api: oidc.Configuration;
  const carol = { login: 'carol@kentel.com', password: 'C4rol-pass' };

  const scim = async (method: string, path: string, body?: unknown, bearer: string | null = token, slug = 'kentel', headers: Record<string, string> = {}) => {
    const res = await fetch(`${w.service.url}/scim/v2/${slug}${path}`, {
      method,
      headers: {
        accept: 'application/scim+json',
        ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/scim+json; charset=utf-8' } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
  };

  /** What Okta POSTs when a user is assigned to the app (Okta's SCIM 2.0 reference, plus our extensions). */
  const oktaCreate = (over: Record<string, unknown> = {}) => ({
    schemas: [CORE, ENTERPRISE, IQ],
    userName: 'carol@yvr.kentel.local',
    name: { givenName: 'Carol', familyName: 'Cooper' },
    emails: [{ primary: true, value: 'carol@kentel.com', type: 'work' }],
    phoneNumbers: [{ value: '+1 604 555 0101', type: 'mobile' }],
    displayName: 'Carol Cooper',
    locale: 'en-US',
    externalId: '00uCAROL0001',
    groups: [],
    password: '1mz050nq',
    active: true,
    [ENTERPRISE]: { employeeNumber: 'E-1001' },
    [IQ]: { security_group_name: ['Store Manager'], assigned_entity_client_entity_ids: ['LOC-1', 'LOC-2'] },
    ...over,
  });

  beforeAll(async () => {
    w = await World.start();
    kentel = await w.addTenant('kentel', ['kentel.com'], { usernameRewrites: [{ from: 'yvr.kentel.local', to: 'kentel.com' }] });
    await w.addTenant('other', ['other.com']);
    await w.addLocations('kentel', ['LOC-1', 'LOC-2', 'LOC-3']);
    await w.addApp('hub');
    app = await w.app('hub');
    const apiSecret = (await w.addApp('rq-api', { type: 'confidential', introspection: true })).clientSecret!;
    api = await w.app('rq-api', apiSecret);
    const issued = await w.service.admin('POST', '/admin/tenants/kentel/scim-tokens', { label: 'Kentel Okta' });
    expect(issued.status).toBe(201);
    token = issued.body.token;
    otherToken = (await w.service.admin('POST', '/admin/tenants/other/scim-tokens', {})).body.token;
    // The same person in the tenant's Okta, for signing in (sub = the Okta user id SCIM sends as externalId).
    kentel.authServer.setUser(carol.login, {
      password: carol.password,
      sub: '00uCAROL0001',
      claims: { userName: 'carol@yvr.kentel.local', name: 'Carol', family_name: 'Cooper', email: 'carol@kentel.com', security_group_name: 'Store Manager', assigned_entity_client_entity_ids: ['LOC-1', 'LOC-2'] },
    });
  });
  afterAll(() => w?.close());

  it('a wrong, missing or other tenant\'s token gets 401 in SCIM error form', async () => {
    for (const bearer of [null, 'iqscim_not-a-real-token', otherToken]) {
      const r = await scim('GET', '/Users', undefined, bearer);
      expect(r.status).toBe(401);
      expect(r.headers.get('content-type')).toMatch(/^application\/scim\+json/);
      expect(r.headers.get('www-authenticate')).toBe('Bearer realm="scim"');
      expect(r.body).toEqual({
        schemas: [ERROR], status: '401',
        detail: bearer ? 'The SCIM bearer token is not valid for this tenant.' : 'A SCIM bearer token is required (Authorization: Bearer).',
      });
    }
  });

  it('discovery: ServiceProviderConfig, ResourceTypes and Schemas', async () => {
    const spc = await scim('GET', '/ServiceProviderConfig');
    expect(spc.status).toBe(200);
    expect(spc.headers.get('content-type')).toMatch(/^application\/scim\+json/);
    expect(spc.body).toMatchObject({ patch: { supported: true }, filter: { supported: true, maxResults: 200 }, bulk: { supported: false }, authenticationSchemes: [{ type: 'oauthbearertoken' }] });
    // Every URI it gives resolves (documentationUri is left out: the SCIM surface is documented in the README only).
    for (const uri of [spc.body.documentationUri, spc.body.meta.location].filter(Boolean)) {
      expect([uri, (await fetch(uri, { headers: { authorization: `Bearer ${token}` } })).status]).toEqual([uri, 200]);
    }
    const types = await scim('GET', '/ResourceTypes');
    expect(types.body).toMatchObject({ totalResults: 1, Resources: [{ id: 'User', endpoint: '/Users', schema: CORE, schemaExtensions: [{ schema: ENTERPRISE }, { schema: IQ }] }] });
    const schemas = await scim('GET', '/Schemas');
    expect(schemas.body.Resources.map((s: { id: string }) => s.id)).toEqual([CORE, ENTERPRISE, IQ]);
    expect((await scim('GET', `/Schemas/${IQ}`)).body.attributes.map((a: { name: string }) => a.name)).toContain('security_group_name');
  });

  it('Okta\'s lookup before a create: a filter query that matches nobody is an empty ListResponse', async () => {
    const r = await scim('GET', `/Users?filter=${encodeURIComponent('userName eq "carol@yvr.kentel.local"')}&startIndex=1&count=100`);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'], totalResults: 0, startIndex: 1, itemsPerPage: 0, Resources: [] });
  });

  let carolId: string;

  it('create: provisions through the tenant\'s claim rules and audits with source scim', async () => {
    const r = await scim('POST', '/Users', oktaCreate());
    expect(r.status).toBe(201);
    carolId = r.body.id;
    expect(r.headers.get('location')).toBe(`${w.service.url}/scim/v2/kentel/Users/${carolId}`);
    expect(r.headers.get('content-type')).toMatch(/^application\/scim\+json/);
    expect(r.body).toMatchObject({
      schemas: [CORE, ENTERPRISE, IQ],
      externalId: '00uCAROL0001',
      userName: 'carol@kentel.com', // the tenant's rewrite of yvr.kentel.local
      name: { givenName: 'Carol', familyName: 'Cooper' },
      active: true,
      emails: [{ value: 'carol@kentel.com', type: 'work', primary: true }],
      phoneNumbers: [{ value: '+1 604 555 0101', type: 'mobile' }],
      [ENTERPRISE]: { employeeNumber: 'E-1001' },
      [IQ]: { securityRole: 'RQ-StoreManager', locations: ['LOC-1', 'LOC-2'] },
      meta: { resourceType: 'User', location: `${w.service.url}/scim/v2/kentel/Users/${carolId}` },
    });
    const audits = await w.audits('kentel');
    const audit = audits[audits.length - 1]!;
    expect(audit).toMatchObject({ source: 'scim', outcome: 'created', subject: '00uCAROL0001', username: 'carol@kentel.com', user_id: carolId });
    expect(audit.sources).toMatchObject({ username: 'scim', securityRole: 'scim', locations: 'scim' });
    expect(JSON.stringify(audit.claims)).not.toContain('1mz050nq'); // Okta's password is never mapped nor audited

    const again = await scim('POST', '/Users', oktaCreate());
    expect(again.status).toBe(409);
    expect(again.body).toEqual({ schemas: [ERROR], status: '409', scimType: 'uniqueness', detail: `A user with this externalId already exists (id ${carolId}).` });
  });

  it('the same person signing in through Okta later is the same user', async () => {
    const r = await w.signIn(app, carol);
    expect(r.error).toBeUndefined();
    expect((r as { tokens: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers }).tokens.claims()!.sub).toBe(carolId);
    expect(await w.db.query(`SELECT id FROM users WHERE subject = '00uCAROL0001'`)).toEqual([{ id: carolId }]);
  });

  it('filter query: userName eq finds the user by the name Okta knows (before the rewrite) and the stored one', async () => {
    for (const name of ['carol@yvr.kentel.local', 'CAROL@kentel.com']) {
      const r = await scim('GET', `/Users?filter=${encodeURIComponent(`userName eq "${name}"`)}`);
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ totalResults: 1, itemsPerPage: 1, startIndex: 1, Resources: [{ id: carolId, userName: 'carol@kentel.com' }] });
    }
    expect((await scim('GET', '/Users?count=10')).body.totalResults).toBe(1);
    expect((await scim('GET', `/Users/${carolId}`)).body.id).toBe(carolId);
  });

  it('paging (RFC 7644 §3.4.2.4): a startIndex below 1 is 1, a negative count is 0, a huge one clamped; a non-integer is invalidValue', async () => {
    const empty = { schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'], totalResults: 1, startIndex: 1, itemsPerPage: 0, Resources: [] };
    for (const q of ['startIndex=-1&count=-5', 'startIndex=0&count=0', 'count=-1', `startIndex=-${'9'.repeat(20)}&count=-${'9'.repeat(20)}`]) {
      const r = await scim('GET', `/Users?${q}`);
      expect({ q, status: r.status, body: r.body }).toEqual({ q, status: 200, body: empty });
    }
    const filtered = await scim('GET', `/Users?filter=${encodeURIComponent('userName eq "carol@kentel.com"')}&count=-5`);
    expect([filtered.status, filtered.body]).toEqual([200, empty]);
    // Past maxResults (200) or past any tenant's size: clamped, never refused.
    const huge = await scim('GET', `/Users?count=${'9'.repeat(12)}`);
    expect([huge.status, huge.body.itemsPerPage, huge.body.totalResults]).toEqual([200, 1, 1]);
    const past = await scim('GET', `/Users?startIndex=${'9'.repeat(17)}`);
    expect([past.status, past.body.startIndex, past.body.Resources]).toEqual([200, 2147483647, []]);
    const first = await scim('GET', '/Users?startIndex=-1');
    expect([first.status, first.body.startIndex, first.body.itemsPerPage, first.body.Resources.map((u: { id: string }) => u.id)]).toEqual([200, 1, 1, [carolId]]);
    for (const [q, detail] of [['count=1.5', 'count must be an integer.'], ['startIndex=abc', 'startIndex must be an integer.'], ['startIndex=-', 'startIndex must be an integer.']]) {
      const r = await scim('GET', `/Users?${q}`);
      expect({ q, status: r.status, body: r.body }).toEqual({ q, status: 400, body: { schemas: [ERROR], status: '400', scimType: 'invalidValue', detail } });
    }
  });

  it('malformed and unsupported filters get 400 invalidFilter', async () => {
    const cases: Array<[string, string]> = [
      ['userName eq carol', 'The filter is malformed: the value must be a quoted string, e.g. userName eq "john.smith@kentel.com".'],
      ['userName eq "carol', 'The filter is malformed: the value must be a quoted string, e.g. userName eq "john.smith@kentel.com".'],
      ['userName', 'The filter is malformed: expected attribute operator "value", e.g. userName eq "john.smith@kentel.com".'],
      ['userName is "carol"', 'The filter is malformed: "is" is not a SCIM comparison operator.'],
      ['emails co "kentel"', 'Unsupported filter: only userName eq "value" is supported (got emails co).'],
      ['userName eq "a@kentel.com" or userName eq "b@kentel.com"', 'Only a single comparison is supported: userName eq "value" (no and/or/not, no grouping).'],
    ];
    for (const [filter, detail] of cases) {
      const r = await scim('GET', `/Users?filter=${encodeURIComponent(filter)}`);
      expect(r.status).toBe(400);
      expect(r.body).toEqual({ schemas: [ERROR], status: '400', scimType: 'invalidFilter', detail });
    }
  });

  it('replace (PUT): updates what changed, through the same rules', async () => {
    const r = await scim('PUT', `/Users/${carolId}`, { ...oktaCreate({ name: { givenName: 'Caroline', familyName: 'Cooper' } }), id: carolId });
    expect(r.status).toBe(200);
    expect(r.body.name).toEqual({ givenName: 'Caroline', familyName: 'Cooper', formatted: 'Caroline Cooper' });
    const audits = await w.audits('kentel');
    expect(audits[audits.length - 1]).toMatchObject({ source: 'scim', outcome: 'updated', changes: { firstName: { from: 'Carol', to: 'Caroline' } } });
    const immutable = await scim('PUT', `/Users/${carolId}`, oktaCreate({ externalId: '00uSOMEONEELSE' }));
    expect(immutable.body).toEqual({ schemas: [ERROR], status: '400', scimType: 'mutability', detail: 'externalId is immutable: it binds this user to the Okta user who signs in.' });
  });

  it('evaluates If-Match after the token (RFC 7644 §3.14): Users carry no ETag, so a tag is 412 and nothing is written; * holds', async () => {
    const body = { ...oktaCreate({ name: { givenName: 'Conditional', familyName: 'Cooper' } }), id: carolId };
    const tagged = await scim('PUT', `/Users/${carolId}`, body, token, 'kentel', { 'if-match': 'W/"nope"' });
    expect([tagged.status, tagged.body.schemas, tagged.body.status]).toEqual([412, [ERROR], '412']);
    expect((await scim('GET', `/Users/${carolId}`)).body.name.givenName).toBe('Caroline');
    const anonymous = await scim('PUT', `/Users/${carolId}`, body, null, 'kentel', { 'if-match': 'W/"nope"' });
    expect(anonymous.status).toBe(401);
    const any = await scim('PUT', `/Users/${carolId}`, { ...oktaCreate({ name: { givenName: 'Caroline', familyName: 'Cooper' } }), id: carolId }, token, 'kentel', { 'if-match': '*' });
    expect(any.status).toBe(200);
    // If-None-Match: * ("only if nothing is there") cannot hold for a change of a user that exists (RFC 9110 §13.1.2).
    const createOnly = await scim('PUT', `/Users/${carolId}`, body, token, 'kentel', { 'if-none-match': '*' });
    expect([createOnly.status, createOnly.body.schemas, createOnly.body.detail]).toEqual([412, [ERROR], expect.stringMatching(/^If-None-Match: \* holds only where nothing exists yet/)]);
    expect((await scim('GET', `/Users/${carolId}`)).body.name.givenName).toBe('Caroline');
    expect((await scim('PUT', `/Users/${carolId}`, { ...oktaCreate({ name: { givenName: 'Caroline', familyName: 'Cooper' } }), id: carolId }, token, 'kentel', { 'if-none-match': 'W/"a", "b"' })).status).toBe(200);
  });

  it('PATCH: a path naming an attribute this service does not store is invalidPath, as an unknown one is, and nothing is written', async () => {
    const before = (await scim('GET', `/Users/${carolId}`)).body;
    for (const path of ['nickName', 'title', 'displayName', 'name.middleName', `${ENTERPRISE}:department`]) {
      const res = await scim('PATCH', `/Users/${carolId}`, { schemas: [PATCH], Operations: [{ op: 'replace', path, value: 'x' }, { op: 'replace', path: 'name.familyName', value: 'Nick' }] });
      const shown = path.startsWith(ENTERPRISE) ? 'department' : path;
      expect([path, res.status, res.body]).toEqual([path, 400, { schemas: [ERROR], status: '400', scimType: 'invalidPath', detail: `${shown} is not an attribute this service supports.` }]);
    }
    // In a PATCH value without a path they are ignored, as in a resource (Okta sends them back).
    const value = await scim('PATCH', `/Users/${carolId}`, { schemas: [PATCH], Operations: [{ op: 'replace', value: { nickName: 'x', displayName: 'x' } }] });
    expect(value.status).toBe(200);
    expect((await scim('GET', `/Users/${carolId}`)).body).toEqual({ ...before, meta: { ...before.meta, lastModified: expect.any(String) } });
  });

  it('PATCH: a path judges only its own target; the sub-attributes of its value are read as in a value without a path (RFC 7644 §3.5.2.3)', async () => {
    const cases: Array<[string, Record<string, unknown>, Record<string, unknown>]> = [
      ['name', { givenName: 'John', familyName: 'Smith', formatted: 'John Smith', middleName: 'X' }, { name: { givenName: 'John', familyName: 'Smith', formatted: 'John Smith' } }],
      [ENTERPRISE, { employeeNumber: 'E-2002', department: 'x' }, { [ENTERPRISE]: { employeeNumber: 'E-2002' } }],
      [IQ, { security_group_name: ['Associate'], securityRole: 'RQ-Admin', locations: ['LOC-9'] }, { [IQ]: { securityRole: 'RQ-Associate', locations: ['LOC-1', 'LOC-2'] } }],
    ];
    for (const [path, value, result] of cases) {
      const withPath = await scim('PATCH', `/Users/${carolId}`, { schemas: [PATCH], Operations: [{ op: 'replace', path, value }] });
      expect([path, withPath.status, withPath.body]).toEqual([path, 200, expect.objectContaining(result)]);
      const withoutPath = await scim('PATCH', `/Users/${carolId}`, { schemas: [PATCH], Operations: [{ op: 'replace', value: { [path]: value } }] });
      expect([path, withoutPath.status, withoutPath.body]).toEqual([path, 200, { ...withPath.body, meta: { ...withPath.body.meta, lastModified: expect.any(String) } }]);
    }
    // A sub-attribute that is no attribute at all is refused alike in both forms.
    for (const op of [{ op: 'replace', path: 'name', value: { nonsense: 'x' } }, { op: 'replace', value: { name: { nonsense: 'x' } } }]) {
      const res = await scim('PATCH', `/Users/${carolId}`, { schemas: [PATCH], Operations: [op] });
      expect([res.status, res.body]).toEqual([400, { schemas: [ERROR], status: '400', scimType: 'invalidPath', detail: 'name.nonsense is not an attribute this service supports.' }]);
    }
    const restored = await scim('PATCH', `/Users/${carolId}`, { schemas: [PATCH], Operations: [{ op: 'replace', value: { name: { givenName: 'Caroline', familyName: 'Cooper' }, [ENTERPRISE]: { employeeNumber: 'E-1001' }, [IQ]: { security_group_name: ['Store Manager'] } } }] });
    expect([restored.status, restored.body.name.givenName, restored.body[IQ].securityRole]).toEqual([200, 'Caroline', 'RQ-StoreManager']);
  });

  it('refuses a body that gives a member twice (RFC 7644 §3.12 invalidSyntax): which one Okta meant cannot be known', async () => {
    const text = JSON.stringify(oktaCreate({ externalId: '00uTWICE0001', userName: 'g@kentel.com' })).replace('"userName":"g@kentel.com"', '"userName":"g@kentel.com","userName":"h@kentel.com"');
    const res = await scim('POST', '/Users', text);
    expect([res.status, res.body]).toEqual([400, { schemas: [ERROR], status: '400', scimType: 'invalidSyntax', detail: 'The request body gives a member twice in one JSON object; give each once. (userName)' }]);
    expect(await w.db.query(`SELECT 1 FROM users WHERE subject = '00uTWICE0001'`)).toEqual([]);
  });

  it('refuses an attribute given twice in one object in another letter case or form (RFC 7643 §2.1: names are case-insensitive), and writes nothing', async () => {
    const twice = (shown: string) => ({ schemas: [ERROR], status: '400', scimType: 'invalidSyntax', detail: `The request body gives an attribute twice in one object, in another letter case or form (SCIM attribute names are case-insensitive); give each once. (${shown})` });
    const before = (await scim('GET', `/Users/${carolId}`)).body;
    const patches: Array<[string, unknown]> = [
      ['name.GIVENNAME', { schemas: [PATCH], Operations: [{ op: 'replace', value: { name: { givenName: 'Aa', GIVENNAME: 'Bb' } } }] }],
      ['name.GivenName', { schemas: [PATCH], Operations: [{ op: 'replace', path: 'name', value: { givenName: 'Aa', GivenName: 'Bb' } }] }],
      ['Name', { schemas: [PATCH], Operations: [{ op: 'replace', value: { name: { givenName: 'Aa' }, Name: { givenName: 'Bb' } } }] }],
      ['ACTIVE', { schemas: [PATCH], Operations: [{ op: 'replace', value: { active: true, ACTIVE: false } }] }],
      [`${CORE}:userName`, { schemas: [PATCH], Operations: [{ op: 'replace', value: { userName: 'carol@kentel.com', [`${CORE}:userName`]: 'dave@kentel.com' } }] }],
      [`${ENTERPRISE}:EMPLOYEENUMBER`, { schemas: [PATCH], Operations: [{ op: 'replace', value: { [ENTERPRISE]: { employeeNumber: 'E-1' }, [`${ENTERPRISE}:EMPLOYEENUMBER`]: 'E-2' } }] }],
      [ENTERPRISE.toUpperCase(), { schemas: [PATCH], Operations: [{ op: 'replace', value: { [ENTERPRISE]: { employeeNumber: 'E-1' }, [ENTERPRISE.toUpperCase()]: { employeeNumber: 'E-2' } } }] }],
      [`${IQ}:SECURITY_GROUP_NAME`, { schemas: [PATCH], Operations: [{ op: 'replace', path: IQ, value: { security_group_name: ['Store Manager'], SECURITY_GROUP_NAME: ['Associate'] } }] }],
      [`${IQ}:Security_Group_Name`, { schemas: [PATCH], Operations: [{ op: 'replace', value: { [IQ]: { security_group_name: ['Store Manager'] }, [`${IQ}:Security_Group_Name`]: ['Associate'] } }] }],
      ['emails.VALUE', { schemas: [PATCH], Operations: [{ op: 'replace', path: 'emails', value: [{ value: 'carol@kentel.com', VALUE: 'eve@kentel.com' }] }] }],
      // The PatchOp message's own members are SCIM attributes too.
      ['Operations[0].VALUE', { schemas: [PATCH], Operations: [{ op: 'replace', path: 'active', value: true, VALUE: false }] }],
      ['operations', { schemas: [PATCH], Operations: [{ op: 'replace', value: { active: true } }], operations: [{ op: 'replace', value: { active: false } }] }],
    ];
    for (const [shown, body] of patches) {
      const res = await scim('PATCH', `/Users/${carolId}`, body);
      expect([shown, res.status, res.body]).toEqual([shown, 400, twice(shown)]);
    }
    expect((await scim('GET', `/Users/${carolId}`)).body).toEqual(before);
    // A resource (POST, PUT) too: nothing is created.
    const created = await scim('POST', '/Users', oktaCreate({ externalId: '00uCASE00001', userName: 'g@kentel.com', USERNAME: 'h@kentel.com' }));
    expect([created.status, created.body]).toEqual([400, twice('USERNAME')]);
    const put = await scim('PUT', `/Users/${carolId}`, { ...oktaCreate({ name: { givenName: 'Gg', familyName: 'Cooper', FamilyName: 'Hh' } }), id: carolId });
    expect([put.status, put.body]).toEqual([400, twice('name.FamilyName')]);
    const putClaims = await scim('PUT', `/Users/${carolId}`, { ...oktaCreate({ [IQ]: { security_group_name: ['Store Manager'], Security_Group_Name: ['Associate'] } }), id: carolId });
    expect([putClaims.status, putClaims.body]).toEqual([400, twice(`${IQ}:Security_Group_Name`)]);
    expect(await w.db.query(`SELECT 1 FROM users WHERE subject = '00uCASE00001'`)).toEqual([]);
    expect((await scim('GET', `/Users/${carolId}`)).body).toEqual(before);
    // Given once, a name in any case is that attribute; a claim of the extension keeps its exact name (as at sign-in).
    const once = await scim('PATCH', `/Users/${carolId}`, { schemas: [PATCH], Operations: [{ op: 'replace', value: { NAME: { GIVENNAME: 'Carolyn' }, [IQ]: { attribute_EmailDisplayName: 'Carol C.' } } }] });
    expect([once.status, once.body.name]).toEqual([200, { givenName: 'Carolyn', familyName: 'Cooper', formatted: 'Carolyn Cooper' }]);
    expect(await w.db.query(`SELECT email_display_name FROM users WHERE id = $1`, [carolId])).toEqual([{ email_display_name: 'Carol C.' }]);
    expect((await scim('PATCH', `/Users/${carolId}`, { schemas: [PATCH], Operations: [{ op: 'replace', path: 'name.givenName', value: 'Caroline' }] })).status).toBe(200);
    // So are a list entry's sub-attributes: "Value" is the value (it was read as absent, which cleared the email).
    const entry = await scim('PATCH', `/Users/${carolId}`, { schemas: [PATCH], Operations: [{ op: 'replace', path: 'emails', value: [{ Value: 'carol@kentel.com', Type: 'work', Primary: true }] }] });
    expect([entry.status, entry.body.emails]).toEqual([200, [{ value: 'carol@kentel.com', type: 'work', primary: true }]]);
  });

  it('an extension claim named by a claim override given as a list (tried in order) is read, as at sign-in', async () => {
    const config = await w.configOf('kentel');
    const saved = await w.service.admin('PUT', '/admin/tenants/kentel/config', { config: { ...config, claims: { ...(config.claims as object), idNumber: ['employee_no', 'attribute_SpecialIdentifier'] } } });
    expect(saved.status).toBe(200);
    try {
      const r = await scim('PATCH', `/Users/${carolId}`, { schemas: [PATCH], Operations: [{ op: 'replace', value: { [IQ]: { employee_no: 'E-1001' } } }] });
      expect(r.status).toBe(200);
      expect(await w.db.query(`SELECT id_number FROM users WHERE id = $1`, [carolId])).toEqual([{ id_number: 'E-1001' }]);
    } finally {
      expect((await w.service.admin('PUT', '/admin/tenants/kentel/config', { config })).status).toBe(200);
    }
  });

  it('PATCH with paths (Okta and RFC 7644 shapes)', async () => {
    const r = await scim('PATCH', `/Users/${carolId}`, {
      schemas: [PATCH],
      Operations: [
        { op: 'replace', path: 'name.familyName', value: 'Carter' },
        { op: 'remove', path: 'phoneNumbers[type eq "mobile"]' },
        { op: 'add', path: `${IQ}:assigned_entity_client_entity_ids`, value: ['LOC-1', 'LOC-2', 'LOC-3'] },
      ],
    });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ name: { givenName: 'Caroline', familyName: 'Carter' }, [IQ]: { locations: ['LOC-1', 'LOC-2', 'LOC-3'] } });
    expect(r.body.phoneNumbers).toBeUndefined();

    const badPath = await scim('PATCH', `/Users/${carolId}`, { schemas: [PATCH], Operations: [{ op: 'replace', path: 'favouriteColour', value: 'blue' }] });
    expect(badPath.body).toEqual({ schemas: [ERROR], status: '400', scimType: 'invalidPath', detail: 'favouriteColour is not an attribute this service supports.' });
    for (const path of ['id', 'meta.lastModified', 'urn:ietf:params:scim:schemas:core:2.0:User:id', 'name.formatted', `${IQ}:securityRole`]) {
      const readOnly = await scim('PATCH', `/Users/${carolId}`, { schemas: [PATCH], Operations: [{ op: 'replace', path, value: 'x' }] });
      expect(readOnly.body).toEqual({ schemas: [ERROR], status: '400', scimType: 'mutability', detail: `${path.replace(`${IQ}:`, '')} is read-only.` });
    }
    // A body that is not SCIM JSON is 415, in SCIM's form (it used to reach the handler as no body: "invalidSyntax").
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) {
      const res = await fetch(`${w.service.url}/scim/v2/kentel/Users/${carolId}`, { method: 'PATCH', headers: { authorization: `Bearer ${token}`, 'content-type': type }, body: JSON.stringify({ schemas: [PATCH], Operations: [{ op: 'replace', value: { active: false } }] }) });
      expect([type, res.status, res.headers.get('content-type'), await res.json()]).toEqual([type, 415, 'application/scim+json; charset=utf-8', { schemas: [ERROR], status: '415', detail: 'SCIM takes application/scim+json (or application/json) bodies.' }]);
    }
    const notPatchOp = await scim('PATCH', `/Users/${carolId}`, { Operations: [{ op: 'replace', value: { active: false } }] });
    expect(notPatchOp.body).toEqual({ schemas: [ERROR], status: '400', scimType: 'invalidSyntax', detail: `A PATCH request must be a PatchOp message (schemas: ["${PATCH}"]).` });
    expect((await scim('GET', `/Users/${carolId}`)).body.active).toBe(true);
  });

  it('deactivation (PATCH active=false, as Okta sends it): the user is disabled, IdP locations removed, refresh fails, introspection says inactive', async () => {
    // A location an account manager assigned by hand stays; the IdP-sourced ones go (tenant policy remove-idp, the default).
    await w.db.query(`UPDATE user_locations SET source = 'manual' WHERE user_id = $1 AND location_external_id = 'LOC-3'`, [carolId]);
    const signedIn = (await w.signIn(app, carol)) as { tokens: oidc.TokenEndpointResponse };
    expect((await oidc.tokenIntrospection(api, signedIn.tokens.access_token)).active).toBe(true);

    const r = await scim('PATCH', `/Users/${carolId}`, { schemas: [PATCH], Operations: [{ op: 'replace', value: { active: false } }] });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ id: carolId, active: false, [IQ]: { locations: ['LOC-3'] } });

    await expect(oidc.refreshTokenGrant(app, signedIn.tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant', error_description: 'The refresh token has been revoked.' });
    expect(await oidc.tokenIntrospection(api, signedIn.tokens.access_token)).toEqual({ active: false });
    expect(await oidc.tokenIntrospection(api, signedIn.tokens.refresh_token!)).toEqual({ active: false });
    const me = await fetch(`${w.service.url}/v1/me`, { headers: { authorization: `Bearer ${signedIn.tokens.access_token}` } });
    expect(me.status).toBe(401);

    const audits = await w.audits('kentel');
    expect(audits[audits.length - 1]).toMatchObject({ source: 'scim', outcome: 'updated', changes: { status: { from: 'active', to: 'disabled' }, locations: { added: [], removed: ['LOC-1', 'LOC-2'] } } });
    const [grants] = await w.db.query<{ live: number }>(`SELECT count(*)::int AS live FROM token_grants WHERE user_id = $1 AND revoked_at IS NULL`, [carolId]);
    expect(grants!.live).toBe(0);

    // Signing in again does not bring the user back: SCIM is the authority on status.
    const again = await w.signIn(app, carol);
    expect(again.error).toBe('access_denied');
    expect(again.description).toBe('Your account is disabled. Ask your administrator.');
  });

  it('reactivation with a path op brings the user back', async () => {
    const r = await scim('PATCH', `/Users/${carolId}`, { schemas: [PATCH], Operations: [{ op: 'replace', path: 'active', value: true }] });
    expect(r.body.active).toBe(true);
    const s = await w.signIn(app, carol);
    expect(s.error).toBeUndefined();
  });

  it('refused values are a SCIM 400 with every reason, and nothing is written', async () => {
    const before = await w.db.query(`SELECT count(*)::int AS n FROM users`);
    const r = await scim('POST', '/Users', oktaCreate({ externalId: '00uDAVE00001', userName: 'dave@kentel.com', [IQ]: { security_group_name: 'Janitor' } }));
    expect(r.status).toBe(400);
    expect(r.body.scimType).toBe('invalidValue');
    expect(r.body.detail).toMatch(/^The user could not be provisioned \(audit [0-9a-f-]{36}\): securityRole: claim security_group_name "Janitor" is not mapped to a security role for this tenant, and it has no default role\.$/);
    expect(await w.db.query(`SELECT count(*)::int AS n FROM users`)).toEqual(before);

    const taken = await scim('POST', '/Users', oktaCreate({ externalId: '00uEVE000001', userName: 'carol@kentel.com' }));
    expect(taken.status).toBe(409);
    expect(taken.body.scimType).toBe('uniqueness');
    const noExternalId = await scim('POST', '/Users', oktaCreate({ externalId: undefined, userName: 'frank@kentel.com' }));
    expect(noExternalId.body).toEqual({ schemas: [ERROR], status: '400', scimType: 'invalidValue', detail: 'externalId is required: it must be the Okta user id (the sub of the tenant\'s ID tokens), so that the person signing in later is this same user.' });
    const notJson = await fetch(`${w.service.url}/scim/v2/kentel/Users`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' }, body: '{"schemas":' });
    expect(notJson.status).toBe(400);
    expect(await notJson.json()).toEqual({ schemas: [ERROR], status: '400', scimType: 'invalidSyntax', detail: 'The request body is not valid JSON.' });
  });

  it('DELETE deprovisions and hides the user from SCIM; the row and its audits stay', async () => {
    const r = await scim('DELETE', `/Users/${carolId}`);
    expect(r.status).toBe(204);
    expect((await scim('GET', `/Users/${carolId}`)).body).toEqual({ schemas: [ERROR], status: '404', detail: `User ${carolId} not found.` });
    expect((await scim('GET', `/Users?filter=${encodeURIComponent('userName eq "carol@kentel.com"')}`)).body.totalResults).toBe(0);
    const [row] = await w.db.query<{ status: string; deleted: boolean }>(`SELECT status, scim_deleted_at IS NOT NULL AS deleted FROM users WHERE id = $1`, [carolId]);
    expect(row).toEqual({ status: 'disabled', deleted: true });
    // Okta assigning the person again re-creates them as the same user.
    const back = await scim('POST', '/Users', oktaCreate());
    expect(back.status).toBe(201);
    expect(back.body.id).toBe(carolId);
  });

  it('account managers rotate SCIM tokens: a new one works, the revoked one is refused, and tokens are never shown again', async () => {
    // A mistyped key is refused, not dropped: "expiresIndays" would otherwise issue a token that never expires.
    const typo = await w.service.admin('POST', '/admin/tenants/kentel/scim-tokens', { label: 'typo', expiresIndays: 30 });
    expect([typo.status, typo.body.errors]).toEqual([422, [{ field: '(body)', reason: 'Unrecognized key: "expiresIndays"' }]]);
    expect((await w.service.admin('GET', '/admin/tenants/kentel/scim-tokens')).body.map((t: { label: string }) => t.label)).not.toContain('typo');
    const issued = await w.service.admin('POST', '/admin/tenants/kentel/scim-tokens', { label: 'rotated', expiresInDays: 30 });
    expect(issued.status).toBe(201);
    expect(issued.body.token).toMatch(/^iqscim_[A-Za-z0-9_-]{43}$/);
    const list = await w.service.admin('GET', '/admin/tenants/kentel/scim-tokens');
    expect(list.body).toHaveLength(2);
    expect(JSON.stringify(list.body)).not.toContain(token.slice(7, 20));
    expect((await scim('GET', '/Users', undefined, issued.body.token)).status).toBe(200);
    const old = list.body.find((t: { label: string }) => t.label === 'Kentel Okta');
    expect(old.lastUsedAt).not.toBeNull();
    expect((await w.service.admin('DELETE', `/admin/tenants/kentel/scim-tokens/${old.id}`)).body.revokedAt).not.toBeNull();
    expect((await scim('GET', '/Users')).status).toBe(401);
    expect((await w.db.query(`SELECT token_hash FROM scim_tokens`)).some((t) => JSON.stringify(t).includes(token))).toBe(false);
    token = issued.body.token;
  });
});

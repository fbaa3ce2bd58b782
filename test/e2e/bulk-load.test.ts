import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type * as oidc from 'openid-client';
import { TEST_ADMIN_KEY } from '../support/service.js';
import { type TenantSetup, World } from '../support/world.js';

/** Company tree and RQ ID bulk loads, in JSON and CSV, with what was added, changed and rejected. */
describe('bulk loads: company tree and RQ IDs', () => {
  let w: World;
  let t: TenantSetup;
  let app: oidc.Configuration;
  const csv = async (path: string, text: string) => {
    const res = await fetch(`${w.service.url}${path}`, { method: 'PUT', headers: { 'x-admin-key': TEST_ADMIN_KEY, 'content-type': 'text/csv; charset=utf-8' }, body: text });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };

  beforeAll(async () => {
    w = await World.start();
    t = await w.addTenant('kentel', ['kentel.com']);
    await w.addApp('hub');
    app = await w.app('hub');
  });
  afterAll(() => w?.close());

  it('loads a company tree from JSON, rejecting each bad row with its reason', async () => {
    const res = await w.service.admin('PUT', '/admin/tenants/kentel/locations', {
      locations: [
        { externalId: 'REGION-W', name: 'West' },
        { externalId: 'LOC-1', name: 'Vancouver Downtown', parentExternalId: 'REGION-W' },
        { externalId: 'LOC-2', name: '' },
        { externalId: 'LOC-1', name: 'Vancouver again' },
        { externalId: 'LOC-3', name: 'Orphan', parentExternalId: 'REGION-X' },
        { externalId: 'LOOP-A', name: 'A', parentExternalId: 'LOOP-B' },
        { externalId: 'LOOP-B', name: 'B', parentExternalId: 'LOOP-A' },
        { externalId: 'LOC-4', name: 'Under the loop', parentExternalId: 'LOOP-A' },
        'not an object',
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      added: ['LOC-1', 'REGION-W'],
      changed: [],
      unchanged: 0,
      rejected: [
        { row: 2, externalId: 'LOC-2', reason: 'name: must not be empty' },
        { row: 3, externalId: 'LOC-1', reason: 'LOC-1 is listed twice; row 1 was kept' },
        { row: 4, externalId: 'LOC-3', reason: 'its parent REGION-X is neither in the company tree nor accepted in this load' },
        { row: 5, externalId: 'LOOP-A', reason: 'its parent LOOP-B would make the company tree a loop' },
        { row: 6, externalId: 'LOOP-B', reason: 'its parent LOOP-A is neither in the company tree nor accepted in this load' },
        { row: 7, externalId: 'LOC-4', reason: 'its parent LOOP-A is neither in the company tree nor accepted in this load' },
        { row: 8, reason: 'externalId: Invalid input: expected string, received undefined; name: Invalid input: expected string, received undefined' },
      ],
    });
    const tree = await w.service.admin('GET', '/admin/tenants/kentel/locations');
    expect(tree.body).toEqual([
      { externalId: 'LOC-1', name: 'Vancouver Downtown', parentExternalId: 'REGION-W' },
      { externalId: 'REGION-W', name: 'West', parentExternalId: null },
    ]);
  });

  it('loads CSV: adds, changes, keeps what is unchanged, and names the line of each rejected row', async () => {
    const res = await csv('/admin/tenants/kentel/locations', [
      'externalId,name,parentExternalId',
      'REGION-W,West,',
      'LOC-1,Vancouver Downtown (Robson),REGION-W',
      '"LOC-5","Burnaby, Metrotown",REGION-W',
      'LOC-6,Surrey,LOC-5',
      'LOC-7,Nowhere,REGION-Q',
      '',
    ].join('\n'));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      added: ['LOC-5', 'LOC-6'],
      changed: ['LOC-1'],
      unchanged: 1,
      rejected: [{ row: 6, externalId: 'LOC-7', reason: 'its parent REGION-Q is neither in the company tree nor accepted in this load' }],
    });
    const names = (await w.service.admin('GET', '/admin/tenants/kentel/locations')).body.map((l: { name: string }) => l.name);
    expect(names).toContain('Burnaby, Metrotown');
  });

  it('takes a name only as one line: a quoted line break in a CSV row or a JSON name is refused with the reason', async () => {
    const res = await csv('/admin/tenants/kentel/locations', 'externalId,name\nLOC-NL,"Two\nlines"\nLOC-OK,One line\n');
    expect([res.status, res.body.added, res.body.rejected]).toEqual([200, ['LOC-OK'], [{ row: 3, externalId: 'LOC-NL', reason: expect.stringContaining('must be one line (no line breaks or tabs)') }]]);
    const json = await w.service.admin('PUT', '/admin/tenants/kentel/locations', { locations: [{ externalId: 'LOC-TAB', name: 'Tab\tbed' }] });
    expect(JSON.stringify(json.body)).toContain('must be one line (no line breaks or tabs)');
    const tenant = await w.service.admin('POST', '/admin/clients', { clientId: 'two-lines', name: 'Two\nlines', type: 'public', redirectUris: ['https://app.example.com/cb'] });
    expect([tenant.status, tenant.body.errors]).toEqual([422, [{ field: 'name', reason: 'must be one line (no line breaks or tabs)' }]]);
  });

  it('takes back what GET lists: a root with parentExternalId null is a root, and nothing changes', async () => {
    const before = (await w.service.admin('GET', '/admin/tenants/kentel/locations')).body as Array<{ parentExternalId: string | null }>;
    expect(before.filter((l) => l.parentExternalId === null).length).toBeGreaterThan(0);
    expect(before.filter((l) => l.parentExternalId !== null).length).toBeGreaterThan(0);
    const res = await w.service.admin('PUT', '/admin/tenants/kentel/locations', { locations: before });
    expect([res.status, res.body]).toEqual([200, { added: [], changed: [], unchanged: before.length, rejected: [] }]);
    expect((await w.service.admin('GET', '/admin/tenants/kentel/locations')).body).toEqual(before);
    // null for a new root is a root too.
    const root = await w.service.admin('PUT', '/admin/tenants/kentel/locations', { locations: [{ externalId: 'REGION-N', name: 'North', parentExternalId: null }] });
    expect([root.status, root.body]).toEqual([200, { added: ['REGION-N'], changed: [], unchanged: 0, rejected: [] }]);
  });

  it('refuses CSV it cannot read, and a body that is neither', async () => {
    const bad = await csv('/admin/tenants/kentel/locations', 'externalId,name\n"LOC-9,unclosed\n');
    expect(bad.status).toBe(422);
    expect(bad.body.errors[0].field).toBe('(csv)');
    expect(bad.body.errors[0].reason).toMatch(/^the CSV could not be read: /);
    const wrong = await w.service.admin('PUT', '/admin/tenants/kentel/locations', { locations: 'LOC-1' });
    expect([wrong.status, wrong.body.errors]).toEqual([422, [{ field: 'locations', reason: 'must be an array' }]]);
  });

  it('refuses a CSV whose header has a duplicate, unknown or missing column, naming the expected header (nothing is loaded)', async () => {
    const before = (await w.service.admin('GET', '/admin/tenants/kentel/locations')).body;
    const expected = 'The CSV header must be externalId,name,parentExternalId (parentExternalId optional).';
    const refusal = (...reasons: string[]) => ({
      type: '/problems/validation', title: 'Validation failed', status: 422, detail: expected,
      errors: reasons.map((reason) => ({ field: '(csv header)', reason })), instance: '/admin/tenants/kentel/locations', correlationId: expect.any(String),
    });
    const dup = await csv('/admin/tenants/kentel/locations', 'externalId,externalId,name\nA,B,C\n');
    expect([dup.status, dup.body]).toEqual([422, refusal('column externalId is given more than once')]);
    // An alias is its column: external_id and externalId together are the same column twice.
    const alias = await csv('/admin/tenants/kentel/locations', 'externalId,name,external_id\nA,B,C\n');
    expect(alias.body.errors).toEqual([{ field: '(csv header)', reason: 'column externalId is given more than once' }]);
    const wrong = await csv('/admin/tenants/kentel/locations', 'foo,bar\n1,2\n');
    expect([wrong.status, wrong.body]).toEqual([422, refusal('unknown column "foo"', 'unknown column "bar"', 'column externalId is missing', 'column name is missing')]);
    const semicolons = await csv('/admin/tenants/kentel/locations', 'externalId;name\nA;B\n');
    expect(semicolons.body.errors).toEqual([{ field: '(csv header)', reason: 'unknown column "externalId;name"' }, { field: '(csv header)', reason: 'column externalId is missing' }, { field: '(csv header)', reason: 'column name is missing' }]);
    const empty = await csv('/admin/tenants/kentel/locations', '');
    expect([empty.status, empty.body.errors]).toEqual([422, [{ field: '(csv header)', reason: 'the CSV is empty; its first line is the header' }]]);
    expect((await w.service.admin('GET', '/admin/tenants/kentel/locations')).body).toEqual(before);

    // Case and the documented aliases are still a header.
    const aliases = await csv('/admin/tenants/kentel/locations', 'External_ID,NAME,parent\nLOC-H,Header store,REGION-W\n');
    expect([aliases.status, aliases.body.added]).toEqual([200, ['LOC-H']]);

    const rq = await csv('/admin/tenants/kentel/rq-ids?activate=false', 'a,b\nsecurityRoles,X\n');
    expect([rq.status, rq.body.detail, rq.body.errors]).toEqual([422, 'The CSV header must be kind,id.', [
      { field: '(csv header)', reason: 'unknown column "a"' }, { field: '(csv header)', reason: 'unknown column "b"' },
      { field: '(csv header)', reason: 'column kind is missing' }, { field: '(csv header)', reason: 'column id is missing' },
    ]]);
    const training = await csv('/admin/tenants/kentel/training/locations', 'id,id,name\nA,B,C\n');
    expect([training.status, training.body.errors]).toEqual([422, [{ field: '(csv header)', reason: 'column externalId is given more than once' }]]);
  });

  it('loads RQ IDs from JSON as a new version the mapper uses at the next sign-in', async () => {
    const res = await w.service.admin('PUT', '/admin/tenants/kentel/rq-ids', {
      organizationalRoles: ['101', '102', '10 3', '101'],
      commissionGroups: ['CG-1'],
      securityRoles: ['RQ-StoreManager', 'RQ-Associate'],
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      version: 2,
      status: 'active',
      kinds: {
        organizationalRoles: { added: ['101', '102'], removed: [], unchanged: 0 },
        commissionGroups: { added: ['CG-1'], removed: [], unchanged: 0 },
        securityRoles: { added: ['RQ-StoreManager', 'RQ-Associate'], removed: [], unchanged: 0 },
        commissionTypes: { added: [], removed: [], unchanged: 0 },
      },
      rejected: [
        { row: 2, kind: 'organizationalRoles', id: '10 3', reason: 'id must be an RQ ID (letters, digits, - or _; at most 50)' },
        { row: 3, kind: 'organizationalRoles', id: '101', reason: '101 is listed twice' },
      ],
      warnings: [],
    });
    const version = await w.service.admin('GET', '/admin/tenants/kentel/versions/2');
    expect(version.body.note).toBe('RQ IDs loaded (merge)');
    expect(version.body.diff.changes.map((c: { text: string }) => c.text)).toEqual([
      'rqIds.commissionGroups: added "CG-1"',
      'rqIds.organizationalRoles: added "101", "102"',
      'rqIds.securityRoles: added "RQ-StoreManager", "RQ-Associate"',
    ]);

    t.authServer.setUser('dana@kentel.com', { password: 'D4na-pass', sub: '00uDANA', claims: { userName: 'dana@kentel.com', name: 'Dana', email: 'dana@kentel.com', security_group_name: 'Associate', attribute_OrganizationalRoleID: '102', attribute_CommissionGroupID: 'CG-1' } });
    const r = await w.signIn(app, { login: 'dana@kentel.com', password: 'D4na-pass' });
    expect(r.error).toBeUndefined();
    const [user] = await w.db.query(`SELECT organizational_role_id, commission_group_id FROM users WHERE subject = '00uDANA'`);
    expect(user).toEqual({ organizational_role_id: '102', commission_group_id: 'CG-1' });
    expect((await w.audits('kentel')).at(-1)).toMatchObject({ config_version: 2, outcome: 'created' });
  });

  it('loads RQ IDs from CSV; replace mode; staged as a draft on request', async () => {
    const res = await csv('/admin/tenants/kentel/rq-ids?mode=replace&activate=false&note=from%20RQ%20export', 'kind,id\norganizational-role,101\norganizationalRoles,201\ncommission group,CG-1\nbadge,7\n');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      version: 3,
      status: 'draft',
      kinds: { organizationalRoles: { added: ['201'], removed: ['102'], unchanged: 1 }, commissionGroups: { added: [], removed: [], unchanged: 1 }, securityRoles: { added: [], removed: [], unchanged: 2 } },
      rejected: [{ row: 5, kind: 'badge', id: '7', reason: 'kind must be one of organizationalRoles, commissionGroups, securityRoles, commissionTypes' }],
    });
    const tenant = await w.service.admin('GET', '/admin/tenants/kentel');
    expect(tenant.body).toMatchObject({ activeVersion: 2, drafts: [3] });
    expect(tenant.body.config.rqIds.organizationalRoles).toEqual(['101', '102']);
    const again = await w.service.admin('PUT', '/admin/tenants/kentel/rq-ids', { organizationalRoles: ['101'] });
    expect(again.body).toMatchObject({ version: null, status: 'unchanged' });
  });

  it('refuses a load that would leave a mapping pointing at an ID that no longer exists', async () => {
    const res = await w.service.admin('PUT', '/admin/tenants/kentel/rq-ids', { securityRoles: ['RQ-Associate'], mode: 'replace' });
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual([{ field: 'config.roles.map["Store Manager"]', reason: 'RQ-StoreManager is not one of this tenant\'s RQ security roles (RQ-Associate)' }]);
    expect((await w.service.admin('GET', '/admin/tenants/kentel')).body.activeVersion).toBe(2);
    const badOption = await w.service.admin('PUT', '/admin/tenants/kentel/rq-ids', { securityRoles: ['X'], mode: 'sideways' });
    expect(badOption.status).toBe(422);
    expect(badOption.body.errors[0].field).toBe('mode');
  });

  it('merges RQ ID loads made at the same time into each other: no load is lost, and each report is what its version changed', async () => {
    const before = (await w.service.admin('GET', '/admin/tenants/kentel')).body;
    const loads = await Promise.all(Array.from({ length: 8 }, (_, i) => w.service.admin('PUT', '/admin/tenants/kentel/rq-ids', { organizationalRoles: [`ORG-${i}`] })));
    for (const [i, res] of loads.entries()) {
      expect({ i, status: res.status, state: res.body.status, added: res.body.kinds?.organizationalRoles.added }).toEqual({ i, status: 200, state: 'active', added: [`ORG-${i}`] });
    }
    const versions = loads.map((r) => r.body.version as number).sort((a, b) => a - b);
    expect(new Set(versions).size).toBe(8);
    const after = (await w.service.admin('GET', '/admin/tenants/kentel')).body;
    expect(after.activeVersion).toBe(versions.at(-1));
    expect([...after.config.rqIds.organizationalRoles].sort()).toEqual([...before.config.rqIds.organizationalRoles, ...loads.map((_, i) => `ORG-${i}`)].sort());
    // Each version is its load on top of the one before: its diff is its own ID and nothing else.
    for (const [i, res] of loads.entries()) {
      const v = (await w.service.admin('GET', `/admin/tenants/kentel/versions/${res.body.version}`)).body;
      expect({ i, changes: v.diff.changes.map((c: { text: string }) => c.text) }).toEqual({ i, changes: [`rqIds.organizationalRoles: added "ORG-${i}"`] });
    }
  });

  it('fetches the tenant\'s discovery document once per load, however often the load is merged again into a newer version', async () => {
    // Okta answers slowly, so every load validates against the same version and all but one must merge again.
    t.authServer.faults.every('discovery', { delayMs: 300 });
    const before = t.authServer.requestsTo('discovery').length;
    try {
      const loads = await Promise.all(Array.from({ length: 6 }, (_, i) => w.service.admin('PUT', '/admin/tenants/kentel/rq-ids', { organizationalRoles: [`ONCE-${i}`] })));
      expect(loads.map((r) => [r.status, r.body.kinds?.organizationalRoles.added])).toEqual(Array.from({ length: 6 }, (_, i) => [200, [`ONCE-${i}`]]));
    } finally {
      t.authServer.faults.clear('discovery');
    }
    expect(t.authServer.requestsTo('discovery').length - before).toBe(6);
  });

  it('refuses an RQ ID load made against a version no longer in force, when it names one (baseVersion, as PUT …/config)', async () => {
    const inForce = (await w.service.admin('GET', '/admin/tenants/kentel')).body.activeVersion as number;
    const stale = await w.service.admin('PUT', '/admin/tenants/kentel/rq-ids', { organizationalRoles: ['ORG-STALE'], baseVersion: inForce - 1 });
    expect([stale.status, stale.body.type, stale.body.errors]).toEqual([409, '/problems/conflict', [{ field: 'baseVersion', reason: `version ${inForce} is in force now, not ${inForce - 1}` }]]);
    const staleCsv = await csv(`/admin/tenants/kentel/rq-ids?baseVersion=${inForce - 1}`, 'kind,id\norganizationalRole,ORG-STALE\n');
    expect(staleCsv.status).toBe(409);
    expect((await w.service.admin('GET', '/admin/tenants/kentel')).body.activeVersion).toBe(inForce);
    const current = await csv(`/admin/tenants/kentel/rq-ids?baseVersion=${inForce}`, 'kind,id\norganizationalRole,ORG-FRESH\n');
    expect([current.status, current.body.version, current.body.kinds.organizationalRoles.added]).toEqual([200, inForce + 1, ['ORG-FRESH']]);
    const notANumber = await w.service.admin('PUT', '/admin/tenants/kentel/rq-ids', { organizationalRoles: ['X'], baseVersion: 'latest' });
    expect([notANumber.status, notANumber.body.errors[0].field]).toEqual([422, 'baseVersion']);
  });

  it('refuses a key that is no option or kind, in the JSON body or the CSV query, instead of loading as if it were not sent', async () => {
    const inForce = (await w.service.admin('GET', '/admin/tenants/kentel')).body.activeVersion as number;
    const query = await csv('/admin/tenants/kentel/rq-ids?modee=replace', 'kind,id\norganizationalRole,ORG-TYPO\n');
    expect([query.status, query.body.errors]).toEqual([422, [{ field: '(query)', reason: 'Unrecognized key: "modee"' }]]);
    const kind = await w.service.admin('PUT', '/admin/tenants/kentel/rq-ids', { organisationalRoles: ['X1'] });
    expect([kind.status, kind.body.errors]).toEqual([422, [{ field: '(body)', reason: 'Unrecognized key: "organisationalRoles"' }]]);
    const res = await fetch(`${w.service.url}/admin/tenants/kentel/rq-ids?mode=replace`, { method: 'PUT', headers: { 'x-admin-key': TEST_ADMIN_KEY, 'content-type': 'application/json' }, body: JSON.stringify({ organizationalRoles: ['X1'] }) });
    expect([res.status, ((await res.json()) as { errors: unknown }).errors]).toEqual([422, [{ field: '(query)', reason: 'a JSON load takes its options in the body, not the query string ("mode")' }]]);
    expect((await w.service.admin('GET', '/admin/tenants/kentel')).body.activeVersion).toBe(inForce);
    // The company tree alike; a JSON row with a key that is no column is rejected with it, not loaded as a root.
    const list = await w.service.admin('PUT', '/admin/tenants/kentel/locations', { location: [{ externalId: 'TYPO-1', name: 'Typo' }] });
    expect([list.status, list.body.errors]).toEqual([422, [{ field: '(body)', reason: 'Unrecognized key: "location"' }]]);
    const treeQuery = await csv('/admin/tenants/kentel/locations?dryRun=true', 'externalId,name\nTYPO-2,Typo\n');
    expect([treeQuery.status, treeQuery.body.errors]).toEqual([422, [{ field: '(query)', reason: 'Unrecognized key: "dryRun"' }]]);
    const row = await w.service.admin('PUT', '/admin/tenants/kentel/locations', { locations: [{ externalId: 'TYPO-3', name: 'Typo', parentId: 'REGION-W' }] });
    expect([row.status, row.body.rejected]).toEqual([200, [{ row: 0, externalId: 'TYPO-3', reason: '(row): Unrecognized key: "parentId"' }]]);
    expect((await w.service.admin('GET', '/admin/tenants/kentel/locations')).body.map((l: { externalId: string }) => l.externalId)).not.toEqual(expect.arrayContaining(['TYPO-1']));
  });

  it('checks company tree loads made at the same time against each other: together they cannot make a loop', async () => {
    const pairs = Array.from({ length: 6 }, (_, k) => [`CC-X${k}`, `CC-Y${k}`] as const);
    await w.service.admin('PUT', '/admin/tenants/kentel/locations', { locations: pairs.flat().map((externalId) => ({ externalId, name: externalId })) });
    const loads = await Promise.all(pairs.flatMap(([x, y]) => [
      w.service.admin('PUT', '/admin/tenants/kentel/locations', { locations: [{ externalId: x, name: x, parentExternalId: y }] }),
      w.service.admin('PUT', '/admin/tenants/kentel/locations', { locations: [{ externalId: y, name: y, parentExternalId: x }] }),
    ]));
    const tree = new Map<string, string | null>((await w.service.admin('GET', '/admin/tenants/kentel/locations')).body.map((l: { externalId: string; parentExternalId: string | null }) => [l.externalId, l.parentExternalId]));
    for (const [k, [x, y]] of pairs.entries()) {
      const [a, b] = [loads[2 * k]!.body, loads[2 * k + 1]!.body];
      // One of the two moved its location; the other was refused for the loop it would now make.
      expect({ k, changed: [...a.changed, ...b.changed], rejected: [...a.rejected, ...b.rejected].map((r: { reason: string }) => r.reason) }).toEqual({
        k, changed: [a.changed.length ? x : y], rejected: [`its parent ${a.changed.length ? x : y} would make the company tree a loop`],
      });
      expect({ k, loop: tree.get(x) === y && tree.get(y) === x }).toEqual({ k, loop: false });
    }
  });

  it('describes all of it in the OpenAPI document served at /docs, with examples', async () => {
    const ui = await fetch(`${w.service.url}/docs`);
    expect(ui.status).toBe(200);
    const doc = (await (await fetch(`${w.service.url}/docs/openapi.json`)).json()) as Record<string, any>;
    const ops = Object.entries(doc.paths as Record<string, Record<string, any>>).flatMap(([path, methods]) => Object.entries(methods).map(([m, op]) => ({ key: `${m.toUpperCase()} ${path}`, op })));
    const admin = ops.filter((o) => o.key.includes(' /admin/'));
    const mine = [
      'POST /admin/principals', 'POST /admin/principals/{id}/credentials', 'DELETE /admin/credentials/{id}', 'GET /admin/me', 'GET /admin/actions',
      'POST /admin/tenants', 'GET /admin/tenants/{slug}', 'PUT /admin/tenants/{slug}/config', 'GET /admin/tenants/{slug}/versions', 'POST /admin/tenants/{slug}/versions',
      'POST /admin/tenants/{slug}/versions/{version}/check', 'POST /admin/tenants/{slug}/versions/{version}/activate', 'POST /admin/tenants/{slug}/rollback',
      'POST /admin/tenants/{slug}/secrets', 'POST /admin/tenants/{slug}/secrets/{id}/retire', 'POST /admin/tenants/{slug}/troubleshoot', 'POST /admin/tenants/{slug}/dry-run',
      'PUT /admin/tenants/{slug}/locations', 'PUT /admin/tenants/{slug}/rq-ids', 'POST /admin/discovery',
    ];
    for (const key of mine) expect(admin.map((o) => o.key)).toContain(key);
    // Each is described, and each that takes a body shows an example of it.
    for (const { key, op } of admin.filter((o) => mine.includes(o.key))) {
      expect({ key, summary: typeof op.summary }).toEqual({ key, summary: 'string' });
      const body = op.requestBody?.content?.['application/json'];
      if (body) expect({ key, example: Boolean(body.schema?.example ?? body.examples ?? body.example) }).toEqual({ key, example: true });
    }
    expect(Object.keys(doc.components.securitySchemes).sort()).toEqual(expect.arrayContaining(['admin-key', 'admin-token']));
    expect(JSON.stringify(doc)).not.toMatch(/iqsso_am_[A-Za-z0-9_-]{43}/);
  });
});


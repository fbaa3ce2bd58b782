import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as oidc from 'openid-client';
import { AuditRetention } from '../../src/provisioning/audit-retention.js';
import { callback, toCallback } from '../support/steps.js';
import { type TenantSetup, World } from '../support/world.js';

/** The provisioning audit as account managers read it: list, filter, cursor paging, one attempt whole; retention. */
describe('provisioning audit API', () => {
  let w: World;
  let kentel: TenantSetup;
  let app: oidc.Configuration;
  const people = ['ann', 'ben', 'cat'].map((n, i) => ({ login: `${n}@kentel.com`, password: 'Pa55-word', sub: `00uAUDIT000${i}` }));
  const api = (query = '') => w.service.admin('GET', `/admin/tenants/kentel/audits${query}`);
  const logLines = () => readFileSync(w.service.logFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, any>);

  beforeAll(async () => {
    w = await World.start();
    kentel = await w.addTenant('kentel', ['kentel.com']);
    await w.addTenant('other', ['other.com']);
    await w.addLocations('kentel', ['LOC-1']);
    await w.addApp('hub');
    app = await w.app('hub');
    for (const p of people) {
      kentel.authServer.setUser(p.login, { password: p.password, sub: p.sub, claims: { userName: p.login, name: 'N', family_name: 'F', security_group_name: 'Associate', assigned_entity_client_entity_ids: 'LOC-1' } });
      await w.signIn(app, p);
    }
    // Ann signs in twice more (unchanged), Ben once refused.
    await w.signIn(app, people[0]!);
    await w.signIn(app, people[0]!);
    kentel.authServer.updateUser(people[1]!.login, { claims: { security_group_name: 'Janitor' } });
    await w.signIn(app, people[1]!);
  });
  afterAll(() => w?.close());

  it('lists attempts newest first, with a summary of each', async () => {
    const r = await api();
    expect(r.status).toBe(200);
    expect(r.body.nextCursor).toBeNull();
    expect(r.body.items.map((a: { outcome: string; username: string }) => `${a.outcome} ${a.username}`)).toEqual([
      'refused ben@kentel.com', 'unchanged ann@kentel.com', 'unchanged ann@kentel.com', 'created cat@kentel.com', 'created ben@kentel.com', 'created ann@kentel.com',
    ]);
    const created = r.body.items.at(-1);
    expect(created).toMatchObject({ environment: 'production', source: 'sign-in', subject: '00uAUDIT0000', configVersion: 1, actor: null, reasons: [] });
    expect(created.changed).toEqual(['firstName', 'lastName', 'locations', 'securityRole', 'username']);
    expect(created.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect(created.claims).toBeUndefined(); // only the whole record carries them
  });

  it('filters by user (id, username or subject), outcome and time range', async () => {
    const all = (await api()).body.items as Array<Record<string, any>>;
    const annId = all.find((a) => a.username === 'ann@kentel.com')!.userId;
    for (const user of [annId, 'ANN@kentel.com', '00uAUDIT0000']) {
      expect((await api(`?user=${encodeURIComponent(user)}`)).body.items.map((a: { outcome: string }) => a.outcome)).toEqual(['unchanged', 'unchanged', 'created']);
    }
    expect((await api('?outcome=refused')).body.items).toEqual([expect.objectContaining({
      username: 'ben@kentel.com',
      reasons: [{ field: 'securityRole', reason: 'claim security_group_name "Janitor" is not mapped to a security role for this tenant, and it has no default role' }],
    })]);
    expect((await api('?outcome=created,refused')).body.items).toHaveLength(4);
    const middle = all[3]!.createdAt; // cat's creation
    expect((await api(`?from=${middle}`)).body.items.map((a: { username: string }) => a.username)).toEqual(['ben@kentel.com', 'ann@kentel.com', 'ann@kentel.com', 'cat@kentel.com']);
    expect((await api(`?to=${middle}`)).body.items.map((a: { username: string }) => a.username)).toEqual(['ben@kentel.com', 'ann@kentel.com']);
    expect((await api('?source=admin')).body.items).toEqual([]);
  });

  it('pages with an opaque cursor that stays stable while new attempts are written', async () => {
    const first = await api('?limit=2');
    expect(first.body.items).toHaveLength(2);
    expect(first.body.nextCursor).toMatch(/^[A-Za-z0-9_-]+$/);
    // New attempts arrive while someone is paging: they land before page one, never inside later pages.
    await w.signIn(app, people[2]!);
    await w.signIn(app, people[2]!);
    const seen = [...first.body.items];
    let cursor = first.body.nextCursor;
    while (cursor) {
      const page = await api(`?limit=2&cursor=${cursor}`);
      expect(page.status).toBe(200);
      seen.push(...page.body.items);
      cursor = page.body.nextCursor;
    }
    expect(seen).toHaveLength(6);
    expect(new Set(seen.map((a) => a.id)).size).toBe(6);
    const now = (await api('?limit=200')).body.items;
    expect(now).toHaveLength(8);
    expect(now.slice(2).map((a: { id: string }) => a.id)).toEqual(seen.map((a) => a.id));
  });

  it('refuses a bad query with a per-field reason', async () => {
    const bad = async (q: string) => (await api(q)).body.errors;
    expect(await bad('?cursor=bm90LWEtY3Vyc29y')).toEqual([{ field: 'cursor', reason: 'is not a cursor from this API (pass nextCursor from the previous page)' }]);
    expect(await bad('?outcome=lost')).toEqual([{ field: 'outcome[0]', reason: 'must be one or more of created, updated, unchanged, refused, failed, comma-separated' }]);
    expect(await bad('?from=yesterday')).toEqual([{ field: 'from', reason: 'must be an ISO 8601 date-time, e.g. 2026-11-01T00:00:00Z' }]);
    expect(await bad('?from=2026-11-02T00:00:00Z&to=2026-11-01T00:00:00Z')).toEqual([{ field: 'to', reason: 'must be later than from' }]);
    expect(await bad('?limit=0')).toEqual([{ field: 'limit', reason: 'Too small: expected number to be >=1' }]);
    expect((await api('?userId=x')).status).toBe(422);
    expect(await bad('?bogus=1')).toEqual([{ field: '(query)', reason: 'Unrecognized key: "bogus"' }]);
  });

  it('refuses a time Postgres cannot take (year 0000, signed or expanded years) with the field named, never a 500', async () => {
    const range = 'must be in the years 0001 to 9999 (UTC)';
    for (const [q, field, reason] of [
      ['from=0000-01-01T00:00:00Z', 'from', range],
      ['to=0000-01-01T00:00:00Z', 'to', range],
      ['from=0001-01-01T00:00:00%2B01:00', 'from', range], // the instant is in year 0000
      ['to=9999-12-31T23:00:00-05:00', 'to', range], // and this one in 10000
      [`from=${encodeURIComponent('-000001-01-01T00:00:00Z')}`, 'from', 'must be an ISO 8601 date-time, e.g. 2026-11-01T00:00:00Z'],
      [`to=${encodeURIComponent('+010000-01-01T00:00:00Z')}`, 'to', 'must be an ISO 8601 date-time, e.g. 2026-11-02T00:00:00Z'],
    ] as const) {
      const r = await api(`?${q}`);
      expect({ q, status: r.status, errors: r.body.errors }).toEqual({ q, status: 422, errors: [{ field, reason }] });
    }
    const edges = await api('?from=0001-01-01T00:00:00Z&to=9999-12-31T23:59:59.999999Z');
    expect(edges.status).toBe(200);
    expect(edges.body.items.length).toBeGreaterThan(0);
    // A cursor carrying such a time is not one of ours either.
    const cursor = Buffer.from(JSON.stringify(['0000-01-01T00:00:00.000000Z', '00000000-0000-4000-8000-000000000000'])).toString('base64url');
    const r = await api(`?cursor=${cursor}`);
    expect([r.status, r.body.errors]).toEqual([422, [{ field: 'cursor', reason: 'is not a cursor from this API (pass nextCursor from the previous page)' }]]);
  });

  it('shows one attempt whole, with its correlation id also in the logs', async () => {
    const s = await toCallback(w, app, people[0]!);
    kentel.authServer.updateUser(people[0]!.login, { claims: { name: 'Anna' } });
    const r = await callback(s.browser, s.callbackUrl);
    expect(r.code).toBeTruthy();
    const requestId = r.headers.get('x-request-id')!;
    const [latest] = (await api('?limit=1')).body.items;
    expect(latest.correlationId).toBe(requestId);
    const whole = await api(`/${latest.id}`);
    expect(whole.status).toBe(200);
    expect(whole.body).toMatchObject({
      id: latest.id, outcome: 'updated', source: 'sign-in', environment: 'production', configVersion: 1, subject: '00uAUDIT0000', correlationId: requestId,
      changes: { firstName: { from: 'N', to: 'Anna' } }, sources: { firstName: 'userinfo', username: 'userinfo' }, reasons: [],
      claims: { idToken: { sub: '00uAUDIT0000' }, userinfo: { sub: '00uAUDIT0000', name: 'Anna', userName: 'ann@kentel.com' } },
    });
    expect(whole.body.claims.idToken.nonce).toBeUndefined();
    expect(JSON.stringify(whole.body)).not.toMatch(/eyJ[\w-]+\.[\w-]+\./); // no token, ever

    // The same id is on the callback's request log line and on the provisioning line that names this audit row.
    let lines: Array<Record<string, any>> = [];
    for (let i = 0; i < 50 && !lines.some((l) => l.msg === 'Provisioning attempt'); i++) {
      await new Promise((res) => setTimeout(res, 100)); // the log is written asynchronously
      lines = logLines().filter((l) => l.correlationId === requestId);
    }
    expect(lines.find((l) => l.msg === 'Provisioning attempt')).toMatchObject({ context: 'ProvisioningService', level: 30, auditId: latest.id, outcome: 'updated' });
    expect(lines.some((l) => String(l.req?.url ?? '').startsWith('/oauth2/callback'))).toBe(true);
  });

  it('describes the audit and user endpoints in the OpenAPI document', async () => {
    const doc = (await (await fetch(`${w.service.url}/docs/openapi.json`)).json()) as { paths: Record<string, Record<string, { summary?: string }>> };
    for (const [path, method] of [
      ['/admin/tenants/{slug}/audits', 'get'], ['/admin/tenants/{slug}/audits/{id}', 'get'], ['/admin/tenants/{slug}/users', 'get'],
      ['/admin/tenants/{slug}/users/{id}', 'patch'], ['/admin/tenants/{slug}/users/{id}/locations/{externalId}', 'put'],
      ['/admin/tenants/{slug}/users/{id}/locations/{externalId}', 'delete'], ['/admin/tenants/{slug}/users/{id}/locations/{externalId}/hand-back', 'post'],
    ] as const) {
      expect({ path, method, summary: typeof doc.paths[path]?.[method]?.summary }).toEqual({ path, method, summary: 'string' });
    }
  });

  it("never shows another tenant's audit", async () => {
    const [latest] = (await api('?limit=1')).body.items;
    const other = await w.service.admin('GET', `/admin/tenants/other/audits/${latest.id}`);
    expect(other.status).toBe(404);
    expect((await w.service.admin('GET', '/admin/tenants/other/audits')).body.items).toEqual([]);
    expect((await api('/not-a-uuid')).status).toBe(404);
  });

  it('retention: claims go after AUDIT_CLAIMS_RETENTION_DAYS, rows after AUDIT_RETENTION_DAYS, in bounded batches', async () => {
    const ids = (await api('?limit=200')).body.items.map((a: { id: string }) => a.id) as string[];
    await w.db.query(`UPDATE provisioning_audit SET created_at = now() - interval '400 days' WHERE id = ANY($1::uuid[])`, [ids.slice(-2)]);
    await w.db.query(`UPDATE provisioning_audit SET created_at = now() - interval '40 days' WHERE id = ANY($1::uuid[])`, [ids.slice(-4, -2)]);
    const result = await w.service.app.get(AuditRetention).purge();
    expect(result).toEqual({ claimsRemoved: 4, rowsDeleted: 2 });
    const rows = await w.db.query<{ id: string; claims: unknown }>(`SELECT id, claims FROM provisioning_audit WHERE id = ANY($1::uuid[])`, [ids]);
    expect(rows.map((r) => r.id).sort()).toEqual(ids.slice(0, -2).sort());
    expect(rows.filter((r) => r.claims === null).map((r) => r.id).sort()).toEqual(ids.slice(-4, -2).sort());
    expect(await w.service.app.get(AuditRetention).purge()).toEqual({ claimsRemoved: 0, rowsDeleted: 0 });
  });
});

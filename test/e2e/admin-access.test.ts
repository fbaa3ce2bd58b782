import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type TenantSetup, World } from '../support/world.js';

/**
 * Account-manager authorization over real HTTP and Postgres: individual tokens (shown once, stored as hashes,
 * revocable, expiring), tenant scope on every admin route (404 outside it, logged), operators for the rest.
 */
describe('admin access: account managers, operators, tenant scope', () => {
  let w: World;
  let kentel: TenantSetup;
  let other: TenantSetup;
  let managerA: { id: string; token: string; credentialId: string };
  let managerB: { id: string; token: string };

  const as = (token: string) => ({ 'x-admin-key': token });
  const call = (token: string, method: string, path: string, body?: unknown) => w.service.admin(method, path, body, as(token));

  async function newManager(name: string, tenants: string[], role = 'manager', expiresInDays = 30) {
    const p = await w.service.admin('POST', '/admin/principals', { name, role, tenants });
    expect(p.status).toBe(201);
    const c = await w.service.admin('POST', `/admin/principals/${p.body.id}/credentials`, { label: 'laptop', expiresInDays });
    expect(c.status).toBe(201);
    return { id: p.body.id as string, token: c.body.token as string, credentialId: c.body.credential.id as string };
  }

  beforeAll(async () => {
    w = await World.start();
    kentel = await w.addTenant('kentel', ['kentel.com']);
    other = await w.addTenant('other', ['other.com']);
    managerA = await newManager('Alice Manager', ['kentel']);
    managerB = await newManager('Bob Manager', []);
  });
  afterAll(() => w?.close());

  it('shows a token once and stores only its hash', async () => {
    expect(managerA.token).toMatch(/^iqsso_am_[A-Za-z0-9_-]{43}$/);
    const rows = await w.db.query<Record<string, unknown>>(`SELECT * FROM admin_credentials WHERE id = $1`, [managerA.credentialId]);
    expect(JSON.stringify(rows)).not.toContain(managerA.token);
    expect(JSON.stringify(rows)).not.toContain(managerA.token.slice(9));
    const listed = await w.service.admin('GET', `/admin/principals/${managerA.id}`);
    expect(listed.status).toBe(200);
    expect(JSON.stringify(listed.body)).not.toContain(managerA.token);
    expect(listed.body.credentials[0]).toMatchObject({ label: 'laptop', status: 'active', hint: `${managerA.token.slice(0, 13)}…` });
  });

  it('a manager sees and changes only the tenants in their scope', async () => {
    const me = await call(managerA.token, 'GET', '/admin/me');
    expect(me.body).toMatchObject({ name: 'Alice Manager', role: 'manager', tenants: ['kentel'], via: 'api-token' });
    const list = await call(managerA.token, 'GET', '/admin/tenants');
    expect(list.status).toBe(200);
    expect(list.body.map((t: { slug: string }) => t.slug)).toEqual(['kentel']);
    expect((await call(managerA.token, 'GET', '/admin/tenants/kentel')).status).toBe(200);
    expect((await call(managerA.token, 'GET', '/admin/tenants/kentel/locations')).status).toBe(200);
    expect((await call(managerB.token, 'GET', '/admin/tenants')).body).toEqual([]);
  });

  it('a manager of tenant A gets 404 for tenant B, exactly as for a tenant that does not exist; nothing changes; the attempt is logged', async () => {
    const before = await w.db.query(`SELECT t.active_version, (SELECT count(*)::int FROM tenant_config_versions v WHERE v.tenant_id = t.id) AS versions FROM tenants t WHERE slug = 'other'`);
    const strip = (b: Record<string, unknown>) => ({ ...b, instance: undefined, correlationId: undefined, detail: String(b.detail).replace(/"[a-z-]+"/, '"X"') });

    const read = await call(managerA.token, 'GET', '/admin/tenants/other');
    const missing = await call(managerA.token, 'GET', '/admin/tenants/no-such-tenant');
    expect(read.status).toBe(404);
    expect(read.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(read.body).toMatchObject({ status: 404, title: 'Not Found', detail: 'Tenant "other" does not exist.' });
    expect(strip(read.body)).toEqual(strip(missing.body));

    const change = await call(managerA.token, 'PUT', '/admin/tenants/other/config', {
      config: { okta: { issuer: other.authServer.issuer, clientId: 'stolen' }, domains: ['other.com'] },
    });
    expect(change.status).toBe(404);
    const locations = await call(managerA.token, 'PUT', '/admin/tenants/other/locations', { locations: [{ externalId: 'X-1', name: 'Injected' }] });
    expect(locations.status).toBe(404);
    const audits = await call(managerA.token, 'GET', '/admin/tenants/other/audits');
    expect(audits.status).toBe(404);
    const user = await call(managerA.token, 'GET', '/admin/tenants/other/users/00000000-0000-4000-8000-000000000000');
    expect(user.status).toBe(404);
    other.authServer.clearRequests();
    const troubleshoot = await call(managerA.token, 'POST', '/admin/tenants/other/troubleshoot', {});
    expect(troubleshoot.status).toBe(404);
    const dryRun = await call(managerA.token, 'POST', '/admin/tenants/other/dry-run', { lastSignIn: true });
    expect(dryRun.status).toBe(404);
    const rollback = await call(managerA.token, 'POST', '/admin/tenants/other/rollback', { toVersion: 1 });
    expect(rollback.status).toBe(404);
    const secret = await call(managerA.token, 'POST', '/admin/tenants/other/secrets', { clientSecret: 'planted' });
    expect(secret.status).toBe(404);
    expect(other.authServer.requests).toHaveLength(0); // not even a call to B's Okta

    const after = await w.db.query(`SELECT t.active_version, (SELECT count(*)::int FROM tenant_config_versions v WHERE v.tenant_id = t.id) AS versions FROM tenants t WHERE slug = 'other'`);
    expect(after).toEqual(before);
    expect(await w.db.query(`SELECT 1 FROM locations WHERE external_id = 'X-1'`)).toHaveLength(0);

    const denied = await w.service.admin('GET', '/admin/tenants/other/actions');
    expect(denied.status).toBe(200);
    const mine = denied.body.items.filter((a: { actor: string; outcome: string }) => a.actor === `principal:${managerA.id}` && a.outcome === 'denied');
    expect(mine.map((a: { method: string; route: string }) => `${a.method} ${a.route}`).sort()).toEqual([
      'GET /admin/tenants/:slug',
      'GET /admin/tenants/:slug/audits',
      'GET /admin/tenants/:slug/users/:id',
      'POST /admin/tenants/:slug/dry-run',
      'POST /admin/tenants/:slug/rollback',
      'POST /admin/tenants/:slug/secrets',
      'POST /admin/tenants/:slug/troubleshoot',
      'PUT /admin/tenants/:slug/config',
      'PUT /admin/tenants/:slug/locations',
    ]);
    expect(await w.db.query(`SELECT 1 FROM tenant_secrets s JOIN tenants t ON t.id = s.tenant_id WHERE t.slug = 'other' AND s.created_by LIKE 'principal:%'`)).toHaveLength(0);
    expect(mine[0]).toMatchObject({ tenant: 'other', status: 404, actorName: 'Alice Manager', role: 'manager' });
    const logged = readFileSync(w.service.logFile, 'utf8').split('\n').filter((l) => l.includes('outside the caller'));
    expect(logged.length).toBeGreaterThanOrEqual(9);
    expect(JSON.parse(logged[0]!)).toMatchObject({ actor: `principal:${managerA.id}`, tenant: 'other', level: 40 });
    expect(logged.join('\n')).not.toContain(managerA.token);
  });

  it('routes that name no tenant are for operators unless they say otherwise', async () => {
    for (const [method, path] of [['GET', '/admin/clients'], ['POST', '/admin/clients'], ['GET', '/admin/principals'], ['GET', '/admin/actions']] as const) {
      const res = await call(managerA.token, method, path, method === 'POST' ? { clientId: 'x-app', name: 'x', type: 'public', redirectUris: ['https://x.example/cb'] } : undefined);
      expect({ path, status: res.status, detail: res.body.detail }).toEqual({ path, status: 403, detail: 'Only operators may do this.' });
    }
    expect(await w.db.query(`SELECT 1 FROM oauth_clients WHERE client_id = 'x-app'`)).toHaveLength(0);
    // A manager cannot widen their own scope.
    const widen = await call(managerA.token, 'PATCH', `/admin/principals/${managerA.id}`, { tenants: ['kentel', 'other'] });
    expect(widen.status).toBe(403);
  });

  it('every change is attributed to the person who made it', async () => {
    const current = await call(managerA.token, 'GET', '/admin/tenants/kentel');
    const { clientSecret: _, endpoints: __, ...okta } = current.body.config.okta;
    const saved = await call(managerA.token, 'PUT', '/admin/tenants/kentel/config', { config: { ...current.body.config, okta, usernameRewrites: [{ from: 'yvr.kentel.local', to: 'kentel.com' }] } });
    expect(saved.status).toBe(200);
    const [version] = await w.db.query<{ author: string }>(`SELECT author FROM tenant_config_versions v JOIN tenants t ON t.id = v.tenant_id WHERE t.slug = 'kentel' ORDER BY version DESC LIMIT 1`);
    expect(version!.author).toBe(`principal:${managerA.id}`);
    const actions = await w.service.admin('GET', '/admin/tenants/kentel/actions');
    expect(actions.body.items[0]).toMatchObject({ actor: `principal:${managerA.id}`, method: 'PUT', route: '/admin/tenants/:slug/config', status: 200, outcome: 'ok' });
  });

  it('a manager onboarding a tenant looks after it', async () => {
    const onboarding = await newManager('Carol Manager', []);
    const authServer = w.okta.addAuthServer('ausnewco');
    await authServer.addClient({ client_id: '0oanewco', client_secret: 's3cret-newco', redirect_uris: [`${w.service.url}/oauth2/callback`] });
    const created = await call(onboarding.token, 'POST', '/admin/tenants', {
      slug: 'newco', name: 'NewCo', clientSecret: 's3cret-newco', config: { okta: { issuer: authServer.issuer, clientId: '0oanewco' }, domains: ['newco.com'] },
    });
    expect(created.status).toBe(201);
    expect((await call(onboarding.token, 'GET', '/admin/me')).body.tenants).toEqual(['newco']);
    expect((await call(onboarding.token, 'GET', '/admin/tenants/newco')).status).toBe(200);
    expect((await call(managerA.token, 'GET', '/admin/tenants/newco')).status).toBe(404);
  });

  it('refuses missing, unknown, revoked and expired credentials, and disabled people', async () => {
    const none = await w.service.admin('GET', '/admin/me', undefined, { 'x-admin-key': '' });
    expect(none.status).toBe(401);
    expect((await call('iqsso_am_' + 'x'.repeat(43), 'GET', '/admin/me')).body.detail).toBe('The admin credential is not valid.');
    const bearer = await fetch(`${w.service.url}/admin/me`, { headers: { authorization: `Bearer ${managerA.token}` } });
    expect(bearer.status).toBe(200);

    const temp = await newManager('Dave Temp', ['kentel']);
    await w.db.query(`UPDATE admin_credentials SET expires_at = now() - interval '1 second' WHERE id = $1`, [temp.credentialId]);
    const expired = await call(temp.token, 'GET', '/admin/me');
    expect([expired.status, expired.body.detail]).toEqual([401, 'The admin credential has expired; ask an operator for a new one.']);

    const second = await w.service.admin('POST', `/admin/principals/${temp.id}/credentials`, { label: 'second' });
    expect((await call(second.body.token, 'GET', '/admin/me')).status).toBe(200);
    const revoked = await call(second.body.token, 'DELETE', `/admin/credentials/${second.body.credential.id}`);
    expect(revoked.body).toMatchObject({ status: 'revoked' });
    const after = await call(second.body.token, 'GET', '/admin/me');
    expect([after.status, after.body.detail]).toEqual([401, 'The admin credential has been revoked.']);

    // A manager cannot revoke someone else's credential (and cannot tell it exists).
    expect((await call(managerB.token, 'DELETE', `/admin/credentials/${managerA.credentialId}`)).status).toBe(404);
    expect((await call(managerA.token, 'GET', '/admin/me')).status).toBe(200);

    const third = await w.service.admin('POST', `/admin/principals/${temp.id}/credentials`, { label: 'third' });
    await w.service.admin('PATCH', `/admin/principals/${temp.id}`, { status: 'disabled' });
    const disabled = await call(third.body.token, 'GET', '/admin/me');
    expect([disabled.status, disabled.body.detail]).toEqual([401, 'The admin user of this credential is disabled.']);
  });

  it('a token you issue yourself expires no later than the credential you issued it with, and dies with it', async () => {
    const erin = await newManager('Erin Short', ['kentel'], 'manager', 30);
    const [parent] = await w.db.query<{ expires_at: Date }>(`SELECT expires_at FROM admin_credentials WHERE id = $1`, [erin.credentialId]);
    const child = await call(erin.token, 'POST', '/admin/me/credentials', { label: 'for a year', expiresInDays: 365 });
    expect(child.status).toBe(201);
    expect(child.body.credential).toMatchObject({ parentId: erin.credentialId, expiresAt: parent!.expires_at.toISOString(), status: 'active' });
    expect(child.body.warnings).toEqual([{
      field: 'expiresInDays',
      reason: `capped: this token expires at ${parent!.expires_at.toISOString()}, with the credential this request was made with (${erin.credentialId}); a token you issue yourself cannot outlive it`,
    }]);
    // To the microsecond, in the database too.
    const [same] = await w.db.query<{ same: boolean }>(`SELECT c.expires_at = p.expires_at AS same FROM admin_credentials c JOIN admin_credentials p ON p.id = c.parent_id WHERE c.id = $1`, [child.body.credential.id]);
    expect(same!.same).toBe(true);
    expect((await call(child.body.token, 'GET', '/admin/me')).body.name).toBe('Erin Short');
    // Within the parent's life: asked for, given, no warning. And the child's own child is capped the same way.
    const short = await call(erin.token, 'POST', '/admin/me/credentials', { label: 'a day', expiresInDays: 1 });
    expect(short.body.warnings).toEqual([]);
    const grandchild = await call(child.body.token, 'POST', '/admin/me/credentials', { label: 'again', expiresInDays: 365 });
    expect(grandchild.body.credential).toMatchObject({ parentId: child.body.credential.id, expiresAt: parent!.expires_at.toISOString() });
    // The action log says what was issued with what.
    const [logged] = await w.db.query<{ detail: Record<string, unknown> }>(`SELECT detail FROM admin_actions WHERE route = '/admin/me/credentials' AND credential_id = $1 ORDER BY at LIMIT 1`, [erin.credentialId]);
    expect(logged!.detail).toEqual({ credential: child.body.credential.id, parent: erin.credentialId, issuedWith: erin.credentialId, expiresAt: parent!.expires_at.toISOString(), capped: true });

    // Revoking the parent revokes everything issued with it, down the line.
    const revoked = await call(erin.token, 'DELETE', `/admin/credentials/${erin.credentialId}`);
    expect(revoked.body).toMatchObject({ id: erin.credentialId, status: 'revoked', alsoRevoked: [child.body.credential.id, grandchild.body.credential.id, short.body.credential.id].sort() });
    for (const t of [child.body.token, grandchild.body.token, short.body.token]) {
      const r = await call(t, 'GET', '/admin/me');
      expect([r.status, r.body.detail]).toEqual([401, 'The admin credential has been revoked.']);
    }
    expect((await call(erin.token, 'POST', '/admin/me/credentials', { label: 'after' })).status).toBe(401);

    // And it expires with it: a parent with two seconds left gives a child with two seconds left.
    const fay = await newManager('Fay Short', ['kentel'], 'manager', 1);
    await w.db.query(`UPDATE admin_credentials SET expires_at = now() + interval '2 seconds' WHERE id = $1`, [fay.credentialId]);
    const brief = await call(fay.token, 'POST', '/admin/me/credentials', { label: 'brief', expiresInDays: 365 });
    expect(brief.status).toBe(201);
    expect(Date.parse(brief.body.credential.expiresAt) - Date.now()).toBeLessThan(2500);
    await new Promise((r) => setTimeout(r, 2100));
    const late = await call(brief.body.token, 'GET', '/admin/me');
    expect([late.status, late.body.detail]).toEqual([401, 'The admin credential has expired; ask an operator for a new one.']);
  });

  it('a console session cannot issue tokens: the request must carry the API token itself, and is then bounded by it', async () => {
    const openSession = async (token: string) => {
      const opened = await fetch(`${w.service.url}/console/api/session`, { method: 'POST', headers: { 'content-type': 'application/json', origin: w.service.url }, body: JSON.stringify({ token }) });
      expect(opened.status).toBe(201);
      const { csrfToken } = (await opened.json()) as { csrfToken: string };
      return { cookie: opened.headers.get('set-cookie')!.split(';')[0]!, origin: w.service.url, 'x-csrf-token': csrfToken, 'content-type': 'application/json' };
    };
    const post = async (path: string, headers: Record<string, string>, body: unknown) => {
      const res = await fetch(`${w.service.url}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
      return { status: res.status, type: res.headers.get('content-type'), body: (await res.json()) as any };
    };
    const refused = {
      type: '/problems/api-token-required', title: 'API token required', status: 403,
      detail: 'A console session cannot issue API tokens: send this request with your API token (Authorization: Bearer iqsso_am_…), which proves again who you are.',
      errors: [{ field: '(credential)', reason: 'a console session; issuing a token needs the API token itself' }],
    };
    const gil = await newManager('Gil Console', ['kentel'], 'manager', 2);
    const otto = await newManager('Otto Console', [], 'operator', 2);
    const session = await openSession(gil.token);
    const operatorSession = await openSession(otto.token);
    const [sessionRow] = await w.db.query<{ id: string }>(`SELECT id FROM admin_credentials WHERE parent_id = $1 AND kind = 'session'`, [gil.credentialId]);
    const count = async () => (await w.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM admin_credentials WHERE kind = 'api-token'`))[0]!.n;
    const before = await count();

    // The session's cookie alone (with its anti-forgery proof): refused, nothing issued, and logged as refused.
    const own = await post('/admin/me/credentials', session, { label: 'from the console', expiresInDays: 365 });
    expect(own).toMatchObject({ status: 403, body: refused });
    // Refused before the body is read: an empty one is the same 403, not a 422 about its fields.
    expect(await post('/admin/me/credentials', session, {})).toMatchObject({ status: 403, body: refused });
    expect(await post(`/admin/principals/${otto.id}/credentials`, operatorSession, {})).toMatchObject({ status: 403, body: refused });
    expect(own.type).toMatch(/^application\/problem\+json/);
    expect(await count()).toBe(before);
    const [logged] = await w.db.query<{ status: number; outcome: string; credential_id: string }>(`SELECT status, outcome, credential_id FROM admin_actions WHERE route = '/admin/me/credentials' AND credential_id = $1`, [sessionRow!.id]);
    expect(logged).toEqual({ status: 403, outcome: 'refused', credential_id: sessionRow!.id });

    // An operator's session can mint for no one either: not for someone else (a year, no parent), not for itself.
    for (const id of [managerB.id, otto.id]) expect(await post(`/admin/principals/${id}/credentials`, operatorSession, { label: 'from the console', expiresInDays: 365 })).toMatchObject({ status: 403, body: refused });
    expect(await count()).toBe(before);

    // Nor any other lasting credential: a SCIM token (a manager's own tenant), an application and its secret (operators).
    const scimRefused = await post('/admin/tenants/kentel/scim-tokens', session, { label: 'from the console', expiresInDays: 30 });
    expect(scimRefused).toMatchObject({ status: 403, body: { type: '/problems/api-token-required', detail: expect.stringMatching(/^A console session cannot issue SCIM tokens: send this request with your API token/), errors: [{ field: '(credential)', reason: 'a console session; issuing a SCIM token needs the API token itself' }] } });
    const app = { clientId: 'console-made', name: 'Console made', type: 'confidential', redirectUris: ['https://made.example.com/cb'] };
    const appRefused = await post('/admin/clients', operatorSession, app);
    expect(appRefused).toMatchObject({ status: 403, body: { type: '/problems/api-token-required', errors: [{ field: '(credential)', reason: 'a console session; registering an application needs the API token itself' }] } });
    expect(await w.db.query(`SELECT 1 FROM scim_tokens WHERE label = 'from the console' UNION ALL SELECT 1 FROM oauth_clients WHERE client_id = 'console-made'`)).toEqual([]);
    expect((await post('/admin/tenants/kentel/scim-tokens', { ...session, authorization: `Bearer ${gil.token}` }, { label: 'from the console', expiresInDays: 30 })).status).toBe(201);
    expect((await post('/admin/clients', { ...operatorSession, authorization: `Bearer ${otto.token}` }, app)).status).toBe(201);
    // Nor give an application a lasting right (introspection: reading any user's token).
    const patched = await fetch(`${w.service.url}/admin/clients/console-made`, { method: 'PATCH', headers: operatorSession, body: JSON.stringify({ introspection: true }) });
    expect([patched.status, ((await patched.json()) as { errors: unknown }).errors]).toEqual([403, [{ field: '(credential)', reason: 'a console session; changing an application needs the API token itself' }]]);

    // Re-presenting the API token (the same browser, cookie and all): issued, as the child of that token, capped by it.
    const res = await post('/admin/me/credentials', { ...session, authorization: `Bearer ${gil.token}` }, { label: 'from the console', expiresInDays: 365 });
    expect(res.status).toBe(201);
    const [token] = await w.db.query<{ expires_at: Date }>(`SELECT expires_at FROM admin_credentials WHERE id = $1`, [gil.credentialId]);
    expect(res.body.credential).toMatchObject({ parentId: gil.credentialId, expiresAt: token!.expires_at.toISOString() });
    expect(res.body.warnings[0].reason).toContain(`with the credential this request was made with (${gil.credentialId})`);
    expect((await call(gil.token, 'DELETE', `/admin/credentials/${gil.credentialId}`)).body.alsoRevoked).toEqual([sessionRow!.id, res.body.credential.id].sort());
    expect((await call(res.body.token, 'GET', '/admin/me')).status).toBe(401);
  });

  it('operators issuing tokens to others keep a year and no parent; to themselves, the same cap as anyone', async () => {
    const olga = await newManager('Olga Operator', [], 'operator', 1);
    const other = await call(olga.token, 'POST', `/admin/principals/${managerB.id}/credentials`, { label: 'a year', expiresInDays: 365 });
    expect(other.status).toBe(201);
    expect(other.body.credential.parentId).toBeNull();
    expect(other.body.warnings).toEqual([]);
    expect(Date.parse(other.body.credential.expiresAt) - Date.now()).toBeGreaterThan(364 * 86400_000);
    // Not parented, but found by the credential it was issued with, should that one be stolen.
    const [issuedLog] = await w.db.query<{ detail: Record<string, unknown> }>(`SELECT detail FROM admin_actions WHERE route = '/admin/principals/:id/credentials' AND credential_id = $1 AND status = 201`, [olga.credentialId]);
    expect(issuedLog!.detail).toMatchObject({ credential: other.body.credential.id, parent: null, issuedWith: olga.credentialId });
    const byKey = await w.service.admin('POST', `/admin/principals/${olga.id}/credentials`, { label: 'from the key', expiresInDays: 365 });
    expect([byKey.body.credential.parentId, byKey.body.warnings]).toEqual([null, []]);
    const own = await call(olga.token, 'POST', `/admin/principals/${olga.id}/credentials`, { label: 'mine', expiresInDays: 365 });
    expect(own.body.credential.parentId).toBe(olga.credentialId);
    expect(Date.parse(own.body.credential.expiresAt) - Date.now()).toBeLessThan(86400_000 + 60_000);
    expect(own.body.warnings[0].field).toBe('expiresInDays');
  });

  it('changes a role: operators only, valid roles only, in the action log, never leaving no enabled operator', async () => {
    const hal = await newManager('Hal Promoted', ['kentel']);
    const patch = (body: unknown, token?: string) => (token ? call(token, 'PATCH', `/admin/principals/${hal.id}`, body) : w.service.admin('PATCH', `/admin/principals/${hal.id}`, body));
    expect((await patch({ role: 'operator' }, managerA.token)).status).toBe(403);
    const god = await patch({ role: 'god' });
    expect([god.status, god.body.errors.map((e: { field: string }) => e.field)]).toEqual([422, ['role']]);
    const typo = await patch({ rol: 'operator', name: 'Hal' });
    expect([typo.status, typo.body.errors]).toEqual([422, [{ field: '(body)', reason: 'Unrecognized key: "rol"' }]]);
    expect((await patch({ role: 'operator', tenants: ['kentel'] })).body.errors).toEqual([{ field: 'tenants', reason: 'an operator looks after every tenant; a tenant list is only for a manager' }]);
    expect((await w.service.admin('GET', `/admin/principals/${hal.id}`)).body).toMatchObject({ name: 'Hal Promoted', role: 'manager', tenants: ['kentel'] });

    // Made operator: at once, on every credential; the tenant list goes (it would mean nothing, and return on a demotion).
    const promoted = await patch({ role: 'operator' });
    expect([promoted.status, promoted.body.role, promoted.body.tenants]).toEqual([200, 'operator', []]);
    expect((await call(hal.token, 'GET', '/admin/principals')).status).toBe(200);
    expect((await call(hal.token, 'GET', '/admin/me')).body).toMatchObject({ role: 'operator', tenants: 'all' });
    const [entry] = await w.db.query<{ detail: Record<string, unknown> }>(`SELECT detail FROM admin_actions WHERE route = '/admin/principals/:id' AND method = 'PATCH' AND status = 200 ORDER BY at DESC LIMIT 1`);
    expect(entry!.detail).toEqual({ principal: hal.id, changes: { role: { from: 'manager', to: 'operator' }, tenants: { added: [], removed: ['kentel'] } } });
    // Made manager: the tenants given with it, and nothing an operator may do.
    const demoted = await patch({ role: 'manager', tenants: ['other'] });
    expect([demoted.status, demoted.body.role, demoted.body.tenants]).toEqual([200, 'manager', ['other']]);
    expect((await call(hal.token, 'GET', '/admin/principals')).status).toBe(403);
    expect((await call(hal.token, 'GET', '/admin/tenants/kentel')).status).toBe(404);
    expect((await call(hal.token, 'GET', '/admin/tenants/other')).status).toBe(200);

    // The last enabled operator can be neither demoted nor disabled, by anyone, themselves included.
    const ivy = await newManager('Ivy Operator', [], 'operator');
    const others = await w.db.query<{ id: string }>(`SELECT id FROM admin_principals WHERE role = 'operator' AND status = 'active' AND id <> $1`, [ivy.id]);
    for (const { id } of others) expect((await w.service.admin('PATCH', `/admin/principals/${id}`, { role: 'manager' })).status).toBe(200);
    for (const [body, field] of [[{ role: 'manager' }, 'role'], [{ status: 'disabled' }, 'status']] as const) {
      for (const token of [undefined, ivy.token]) {
        const res = token ? await call(token, 'PATCH', `/admin/principals/${ivy.id}`, body) : await w.service.admin('PATCH', `/admin/principals/${ivy.id}`, body);
        expect({ body, token: !!token, status: res.status, errors: res.body.errors }).toEqual({ body, token: !!token, status: 409, errors: [{ field, reason: 'would leave no enabled operator' }] });
      }
    }
    expect((await w.service.admin('GET', `/admin/principals/${ivy.id}`)).body).toMatchObject({ role: 'operator', status: 'active' });
    // The two last operators demoted at once: one of them stays.
    expect((await patch({ role: 'operator' })).status).toBe(200);
    const [a, b] = await Promise.all([patch({ role: 'manager' }), w.service.admin('PATCH', `/admin/principals/${ivy.id}`, { status: 'disabled' })]);
    expect([a.status, b.status].sort()).toEqual([200, 409]);
    expect((await w.db.query(`SELECT 1 FROM admin_principals WHERE role = 'operator' AND status = 'active'`))).toHaveLength(1);
  });

  it('refuses two credentials in one request (X-Admin-Key and Authorization: Bearer) with 400 naming both, on the admin API and the operators\' endpoints', async () => {
    const errors = [
      { field: 'X-Admin-Key', reason: 'was sent together with Authorization: Bearer' },
      { field: 'Authorization', reason: 'was sent together with X-Admin-Key' },
    ];
    const principalsBefore = (await w.db.query(`SELECT count(*)::int AS n FROM admin_principals`))[0];
    for (const [path, method, headers] of [
      ['/admin/me', 'GET', { authorization: `Bearer ${managerB.token}`, 'x-admin-key': managerA.token }],
      ['/admin/me', 'GET', { authorization: `bearer ${managerA.token}`, 'x-admin-key': managerA.token }], // the same one twice, too
      ['/admin/principals', 'POST', { authorization: `Bearer ${managerA.token}` }], // + the bootstrap key (the helper's): which of the two would it run as?
      ['/metrics', 'GET', { authorization: 'Bearer not-the-ops-token' }],
    ] as const) {
      const res = await w.service.admin(method, path, method === 'POST' ? { name: 'Smuggled', role: 'operator' } : undefined, headers);
      expect({ path, status: res.status, title: res.body.title, detail: res.body.detail, errors: res.body.errors, challenge: res.headers.get('www-authenticate') }).toEqual({
        path, status: 400, title: 'Bad Request', detail: 'Send one credential: the X-Admin-Key header or Authorization: Bearer, not both.', errors, challenge: null,
      });
    }
    expect((await w.db.query(`SELECT count(*)::int AS n FROM admin_principals`))[0]).toEqual(principalsBefore);
    const logged = await w.db.query<{ actor: string; status: number; outcome: string; detail: { reason: string } }>(
      `SELECT actor, status, outcome, detail FROM admin_actions WHERE route = '/admin/principals' AND method = 'POST' AND status = 400`,
    );
    expect(logged).toEqual([{ actor: 'anonymous', status: 400, outcome: 'refused', detail: { reason: 'two credentials: X-Admin-Key and Authorization: Bearer' } }]);
    // Either one alone still works; an empty X-Admin-Key is no credential.
    expect((await w.service.admin('GET', '/admin/me', undefined, { 'x-admin-key': '', authorization: `Bearer ${managerA.token}` })).body.name).toBe('Alice Manager');
    expect((await call(managerA.token, 'GET', '/admin/me')).status).toBe(200);
  });

  it('the action logs take limit, cursor, before and principal, refuse a time Postgres cannot take, and document them', async () => {
    const own = await w.service.admin('GET', `/admin/tenants/kentel/actions?principal=${managerA.id}&limit=1&before=9999-12-31T23:59:59Z`);
    expect(own.status).toBe(200);
    expect(own.body).toEqual({ items: [expect.objectContaining({ actor: `principal:${managerA.id}`, tenant: 'kentel' })], nextCursor: expect.any(String) });
    expect((await w.service.admin('GET', '/admin/actions?before=0001-01-01T00:00:00Z')).body).toEqual({ items: [], nextCursor: null });
    for (const path of ['/admin/actions', '/admin/tenants/kentel/actions']) {
      for (const [before, reason] of [
        ['0000-01-01T00:00:00Z', 'must be in the years 0001 to 9999 (UTC)'],
        [encodeURIComponent('-000001-01-01T00:00:00Z'), 'must be an ISO 8601 date-time, e.g. 2026-11-01T00:00:00Z'],
        [encodeURIComponent('+010000-01-01T00:00:00Z'), 'must be an ISO 8601 date-time, e.g. 2026-11-01T00:00:00Z'],
        ['yesterday', 'must be an ISO 8601 date-time, e.g. 2026-11-01T00:00:00Z'],
      ] as const) {
        const r = await w.service.admin('GET', `${path}?before=${before}`);
        expect({ path, before, status: r.status, errors: r.body.errors }).toEqual({ path, before, status: 422, errors: [{ field: 'before', reason }] });
      }
    }
    const doc = (await (await fetch(`${w.service.url}/docs/openapi.json`)).json()) as { paths: Record<string, Record<string, { parameters?: Array<{ name: string; in: string }> }>> };
    for (const path of ['/admin/actions', '/admin/tenants/{slug}/actions']) {
      const query = (doc.paths[path]?.get?.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name).sort();
      expect({ path, query }).toEqual({ path, query: ['before', 'cursor', 'limit', 'principal'] });
    }
  });

  it('pages the action logs with a cursor on (at, id): entries sharing a millisecond, or an instant, are neither skipped nor repeated', async () => {
    // 40 entries in one millisecond (a burst of requests), 25 of them at the very same microsecond.
    const [{ id: tenantId }] = await w.db.query<{ id: string }>(`SELECT id FROM tenants WHERE slug = 'kentel'`);
    const burst = await w.db.query<{ id: string }>(
      `INSERT INTO admin_actions (at, actor, method, route, path, tenant_id, tenant_slug, status, outcome)
       SELECT '2026-06-01T10:00:00.123000Z'::timestamptz + make_interval(secs => CASE WHEN i <= 25 THEN 0.000010 ELSE i / 1000000.0 END),
              'operator:burst', 'GET', '/admin/burst', '/admin/burst/' || i, $1, 'kentel', 200, 'ok'
         FROM generate_series(1, 40) AS i RETURNING id`,
      [tenantId],
    );
    for (const path of ['/admin/actions', '/admin/tenants/kentel/actions']) {
      const seen: Array<{ id: string; at: string; actor: string }> = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page: { status: number; body: { items: Array<{ id: string; at: string; actor: string }>; nextCursor: string | null } } =
          await w.service.admin('GET', `${path}?limit=7&before=2026-06-01T10:00:01Z${cursor ? `&cursor=${cursor}` : ''}`);
        expect(page.status).toBe(200);
        seen.push(...page.body.items);
        cursor = page.body.nextCursor;
        pages++;
      } while (cursor && pages < 50);
      const ids = seen.filter((a) => a.actor === 'operator:burst').map((a) => a.id);
      expect({ path, count: ids.length, distinct: new Set(ids).size }).toEqual({ path, count: 40, distinct: 40 });
      expect(new Set(ids)).toEqual(new Set(burst.map((b) => b.id)));
      // Newest first, to the microsecond as stored, ties in id order.
      const keys = seen.map((a) => `${a.at} ${a.id}`);
      expect(keys).toEqual([...keys].sort().reverse());
      expect(seen.find((a) => a.actor === 'operator:burst')!.at).toBe('2026-06-01T10:00:00.123040Z');
      expect(seen.filter((a) => a.at === '2026-06-01T10:00:00.123010Z')).toHaveLength(25);
    }
    // `before` stays an exclusive time filter, now to the microsecond.
    const before = await w.service.admin('GET', '/admin/tenants/kentel/actions?before=2026-06-01T10:00:00.123026Z&limit=500');
    expect(before.body.items.filter((a: { actor: string }) => a.actor === 'operator:burst').map((a: { at: string }) => a.at)).toEqual(Array(25).fill('2026-06-01T10:00:00.123010Z'));
    const bad = await w.service.admin('GET', '/admin/actions?cursor=bm90LWEtY3Vyc29y');
    expect([bad.status, bad.body.errors]).toEqual([422, [{ field: 'cursor', reason: 'is not a cursor from this API (pass nextCursor from the previous page)' }]]);
  });

  it('validates what operators send, with per-field reasons', async () => {
    const bad = await w.service.admin('POST', '/admin/principals', { name: '', role: 'king', tenants: ['nope'] });
    expect(bad.status).toBe(422);
    expect(bad.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['name', 'role']);
    const unknownTenant = await w.service.admin('POST', '/admin/principals', { name: 'X', role: 'manager', tenants: ['nope'] });
    expect(unknownTenant.body.errors).toEqual([{ field: 'tenants[0]', reason: 'there is no tenant "nope"' }]);
    const longExpiry = await w.service.admin('POST', `/admin/principals/${managerB.id}/credentials`, { label: 'x', expiresInDays: 1000 });
    expect(longExpiry.status).toBe(422);
    expect(longExpiry.body.errors[0].field).toBe('expiresInDays');
    // A name is one line; an email can be delivered to (RFC 5321: a local part of at most 64).
    const odd = await w.service.admin('POST', '/admin/principals', { name: 'Two\nLines', email: `${'x'.repeat(65)}@iqmetrix.com`, role: 'manager' });
    expect([odd.status, odd.body.errors]).toEqual([422, [
      { field: 'name', reason: 'must be one line (no line breaks or tabs)' },
      { field: 'email', reason: 'must have a local part (before the @) of at most 64 characters (RFC 5321)' },
    ]]);
    expect((await w.service.admin('POST', '/admin/principals', { name: 'Long Local', email: `${'x'.repeat(64)}@iqmetrix.com`, role: 'manager' })).status).toBe(201);
    expect(kentel.slug).toBe('kentel');
  });
});

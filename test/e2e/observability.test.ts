import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as oidc from 'openid-client';
import { startOktaStandIn } from '../../tools/okta-stand-in/index.js';
import { TEST_ADMIN_KEY } from '../support/service.js';
import { callback, toCallback } from '../support/steps.js';
import { type TenantSetup, World } from '../support/world.js';

const alice = { login: 'alice@acme.com', password: 'Al1ce-pass' };
const logLines = (file: string) => readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, any>);
const admin = { 'x-admin-key': TEST_ADMIN_KEY };

/** Correlation ids, health, metrics: what an operator sees of a running instance. */
describe('observability', () => {
  let w: World;
  let app: oidc.Configuration;
  let acme: TenantSetup;

  beforeAll(async () => {
    // One tenant label, so the second tenant shows the cardinality bound.
    w = await World.start({ METRICS_TENANT_LABELS: '1' });
    acme = await w.addTenant('acme', ['acme.com']);
    await w.addLocations('acme', ['S1']);
    await w.addApp('hub');
    app = await w.app('hub');
    acme.authServer.setUser(alice.login, { password: alice.password, sub: '00uOBS1', claims: { userName: alice.login, name: 'Alice', family_name: 'A', email: alice.login, security_group_name: 'Associate', assigned_entity_client_entity_ids: ['S1'] } });
  });
  afterAll(() => w?.close());

  it('gives a request refused as bad JSON a correlation id: in the header, the problem body and the log', async () => {
    const res = await fetch(`${w.service.url}/admin/tenants`, { method: 'POST', headers: { ...admin, 'content-type': 'application/json' }, body: '{"slug": ' });
    expect(res.status).toBe(400);
    const id = res.headers.get('x-request-id')!;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(await res.json()).toMatchObject({ status: 400, detail: 'The request body is not valid JSON.', correlationId: id });
    await new Promise((r) => setTimeout(r, 300)); // the log is written asynchronously
    expect(logLines(w.service.logFile).some((l) => l.correlationId === id && l.msg === 'Request refused')).toBe(true);
  });

  it("keeps a well-formed X-Request-Id from a proxy, and replaces a malformed one", async () => {
    const kept = await fetch(`${w.service.url}/health/live`, { headers: { 'x-request-id': 'lb-0123456789abcdef' } });
    expect(kept.headers.get('x-request-id')).toBe('lb-0123456789abcdef');
    const replaced = await fetch(`${w.service.url}/health/live`, { headers: { 'x-request-id': 'bad id <script>' } });
    expect(replaced.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("carries the callback's correlation id into the provisioning audit and its log lines", async () => {
    const s = await toCallback(w, app, alice);
    const r = await callback(s.browser, s.callbackUrl);
    expect(r.code).toBeTruthy();
    const id = r.headers.get('x-request-id')!;
    const audits = await w.audits('acme');
    expect(audits[audits.length - 1]).toMatchObject({ outcome: 'created', correlation_id: id });
    await new Promise((res) => setTimeout(res, 300));
    const lines = logLines(w.service.logFile).filter((l) => l.correlationId === id);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.every((l) => !JSON.stringify(l).includes(r.code!))).toBe(true);
  });

  it('answers liveness and readiness (with the database)', async () => {
    const liveRes = await fetch(`${w.service.url}/health/live`);
    expect(liveRes.status).toBe(200);
    expect(await liveRes.json()).toEqual({ status: 'ok', info: {}, error: {}, details: {} });
    const ready = await fetch(`${w.service.url}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ok', info: { instance: { status: 'up' }, database: { status: 'up' } } });
  });

  it("reports each tenant's IdP separately and never fails readiness for it", async () => {
    expect((await fetch(`${w.service.url}/health/idp`)).status).toBe(401);
    const down = await startOktaStandIn({ pkiDir: process.env.TEST_PKI_DIR ?? '.test-tmp/pki' });
    const main = w.okta;
    try {
      w.okta = down;
      await w.addTenant('downco', ['downco.com']);
    } finally {
      w.okta = main;
    }
    await down.close();
    const res = await fetch(`${w.service.url}/health/idp`, { headers: { authorization: `Bearer ${TEST_ADMIN_KEY}` } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as any;
    expect(body.status).toBe('degraded');
    expect(body.details['tenant:acme']).toMatchObject({ status: 'up' });
    expect(body.details['tenant:downco']).toEqual({ status: 'degraded', message: expect.stringMatching(/^127\.0\.0\.1:\d+ could not be reached \(ECONNREFUSED\)\.$/) });
    expect((await fetch(`${w.service.url}/health/ready`)).status).toBe(200);
    const one = (await (await fetch(`${w.service.url}/health/idp?tenant=acme`, { headers: admin })).json()) as any;
    expect(Object.keys(one.details)).toEqual(['tenant:acme']);
  });

  it('says when ?tenant= names no tenant it checks, and refuses a repeated or unknown parameter, rather than an empty or full report', async () => {
    const idp = async (query: string) => {
      const res = await fetch(`${w.service.url}/health/idp${query}`, { headers: admin });
      return { status: res.status, type: res.headers.get('content-type'), body: (await res.json()) as any };
    };
    const notFound = (detail: string) => ({ status: 404, type: expect.stringMatching(/^application\/problem\+json/), body: { type: 'about:blank', title: 'Not Found', status: 404, detail, instance: '/health/idp', correlationId: expect.any(String) } });
    expect(await idp('?tenant=nosuch')).toEqual(notFound('Tenant "nosuch" does not exist.'));
    await w.addTenant('offco', ['offco.com']);
    await w.db.query(`UPDATE tenants SET status = 'disabled' WHERE slug = 'offco'`);
    expect(await idp('?tenant=offco')).toEqual(notFound('Tenant "offco" is disabled, so its Okta is not checked.'));
    await w.db.query(`UPDATE tenants SET status = 'active', active_version = NULL WHERE slug = 'offco'`);
    expect(await idp('?tenant=offco')).toEqual(notFound('Tenant "offco" has no configuration version in force, so its Okta is not checked.'));

    const invalid = (errors: Array<{ field: string; reason: string }>) => ({
      status: 422, type: expect.stringMatching(/^application\/problem\+json/),
      body: { type: '/problems/validation', title: 'Validation failed', status: 422, detail: 'The request query has invalid fields.', errors, instance: '/health/idp', correlationId: expect.any(String) },
    });
    expect(await idp('?tenant=acme&tenant=downco')).toEqual(invalid([{ field: 'tenant', reason: 'must be one tenant slug, given once' }]));
    expect(await idp('?tenants=acme')).toEqual(invalid([{ field: '(query)', reason: 'Unrecognized key: "tenants"' }]));
    // An empty one is no slug (not a tenant "" that does not exist), nor is one that no tenant could have.
    for (const query of ['?tenant=', '?tenant', '?tenant=ACME', `?tenant=${'a'.repeat(64)}`]) {
      expect([query, await idp(query)]).toEqual([query, invalid([{ field: 'tenant', reason: 'must be 2-63 lower-case letters, digits or hyphens' }])]);
    }
  });

  it('exposes Prometheus metrics for sign-ins, provisioning and Okta calls, with bounded tenant labels', async () => {
    expect((await fetch(`${w.service.url}/metrics`)).status).toBe(401);
    const other = await w.addTenant('second', ['second.com']);
    await w.addLocations('second', ['S1']);
    other.authServer.setUser('bob@second.com', { password: 'B0b-pass', sub: '00uOBS2', claims: { userName: 'bob@second.com', name: 'Bob', email: 'bob@second.com', security_group_name: 'Associate', assigned_entity_client_entity_ids: ['S1'] } });
    expect((await w.signIn(app, { login: 'bob@second.com', password: 'B0b-pass' })).error).toBeUndefined();
    acme.authServer.faults.next('token', { status: 500, body: { errorCode: 'E0000009' } });
    expect((await w.signIn(app, alice)).error).toBe('temporarily_unavailable');

    const res = await fetch(`${w.service.url}/metrics`, { headers: { authorization: `Bearer ${TEST_ADMIN_KEY}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    expect(text).toContain('iqsso_signins_total{tenant="acme",outcome="success"} 1');
    expect(text).toContain('iqsso_signins_total{tenant="acme",outcome="okta_server_error"} 1');
    expect(text).toContain('iqsso_provisioning_total{tenant="acme",outcome="created"} 1');
    expect(text).toContain('iqsso_okta_errors_total{tenant="acme",endpoint="token",kind="http_5xx"} 1');
    expect(text).toMatch(/iqsso_okta_request_duration_seconds_count\{tenant="acme",endpoint="token"\} 2/);
    // METRICS_TENANT_LABELS=1: every further tenant is counted under _other.
    expect(text).toContain('iqsso_signins_total{tenant="_other",outcome="success"} 1');
    expect(text).not.toContain('tenant="second"');
    expect(text).toContain('iqsso_process_resident_memory_bytes');
  });
});

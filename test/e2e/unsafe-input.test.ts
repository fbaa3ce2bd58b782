import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { ArgumentsHost } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AllExceptionsFilter } from '../../src/common/errors/exception.filter.js';
import { TEST_ADMIN_KEY } from '../support/service.js';
import { APP_REDIRECT, World } from '../support/world.js';

const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';
const CORE = 'urn:ietf:params:scim:schemas:core:2.0:User';
const IQ = 'urn:iqmetrix:params:scim:schemas:extension:rq:2.0:User';
const NUL_REASON = 'must not contain a NUL character (U+0000)';
const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

/**
 * A NUL (which Postgres cannot store) anywhere in a request, and control or bidi characters in what people type
 * into the admin API, are refused before any handler runs: a 400 in each surface's own form, never a 500
 * (attack findings F2, F3, F7).
 */
describe('unsafe characters in input', () => {
  let w: World;
  let scimToken: string;
  let apiSecret: string;

  const raw = async (path: string, init: RequestInit = {}) => {
    const res = await fetch(`${w.service.url}${path}`, { redirect: 'manual', ...init });
    const text = await res.text();
    let body: any = text;
    try { body = JSON.parse(text); } catch { /* a page */ }
    return { status: res.status, body, headers: res.headers };
  };
  const form = (path: string, body: string, headers: Record<string, string> = {}) =>
    raw(path, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body });
  const admin = (method: string, path: string, body: unknown, contentType = 'application/json') =>
    raw(path, { method, headers: { 'x-admin-key': TEST_ADMIN_KEY, 'content-type': contentType }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const problem = (part: string, field: string, reason: string, instance: string) => ({
    type: 'about:blank', title: 'Bad Request', status: 400, detail: `The request ${part} contains a character that is not allowed.`, errors: [{ field, reason }], instance, correlationId: expect.any(String),
  });
  const authorizeUrl = (extra: string) =>
    `/oauth2/authorize?response_type=code&client_id=hub&redirect_uri=${encodeURIComponent(APP_REDIRECT)}&scope=openid&code_challenge=${CHALLENGE}&code_challenge_method=S256&tenant=kentel&${extra}`;

  beforeAll(async () => {
    w = await World.start();
    await w.addTenant('kentel', ['kentel.com']);
    await w.addLocations('kentel', ['LOC-1']);
    await w.addApp('hub');
    apiSecret = (await w.addApp('rq-pos', { type: 'confidential' })).clientSecret!;
    scimToken = (await w.service.admin('POST', '/admin/tenants/kentel/scim-tokens', { label: 'Okta' })).body.token;
  });
  afterAll(() => w?.close());

  describe('OAuth JSON endpoints: invalid_request', () => {
    it('refuses a NUL in a form parameter (client_id)', async () => {
      const res = await form('/oauth2/token', 'grant_type=refresh_token&refresh_token=x&client_id=%00');
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.body).toEqual({ error: 'invalid_request', error_description: `client_id ${NUL_REASON}.` });
    });

    it('refuses a NUL in the client id of HTTP Basic credentials (percent-encoded, as RFC 6749 §2.3.1 form-encodes)', async () => {
      const res = await form('/oauth2/token', 'grant_type=refresh_token&refresh_token=x', { authorization: `Basic ${Buffer.from('rq%00pos:x').toString('base64')}` });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ error: 'invalid_request', error_description: 'The Authorization header must not carry client credentials with a NUL character (U+0000).' });
    });

    it('refuses a NUL at revoke and introspect', async () => {
      const revoke = await form('/oauth2/revoke', 'token=ab&client_id=h%00');
      expect(revoke.status).toBe(400);
      expect(revoke.body).toEqual({ error: 'invalid_request', error_description: `client_id ${NUL_REASON}.` });
      const basic = `Basic ${Buffer.from(`rq-pos:${encodeURIComponent(apiSecret)}`).toString('base64')}`;
      const introspect = await form('/oauth2/introspect', 'token=ab%00', { authorization: basic });
      expect(introspect.status).toBe(400);
      expect(introspect.body).toEqual({ error: 'invalid_request', error_description: `token ${NUL_REASON}.` });
    });
  });

  describe('browser pages: a 400 page, not temporarily_unavailable', () => {
    it.each([
      ['state', 'state=s%00'],
      ['login_hint', 'login_hint=a%00%40kentel.com'],
      ['nonce', 'nonce=n%00'],
    ])('refuses a NUL in %s at /oauth2/authorize', async (name, extra) => {
      const res = await raw(authorizeUrl(extra));
      expect(res.status).toBe(400);
      expect(res.headers.get('location')).toBeNull();
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(res.body).toContain('<h1>This request could not be handled</h1>');
      expect(res.body).toContain(`<p>${name} ${NUL_REASON}.</p>`);
    });

    it('refuses a NUL in state at /oauth2/callback', async () => {
      const res = await raw('/oauth2/callback?code=x&state=s%00');
      expect(res.status).toBe(400);
      expect(res.body).toContain(`<p>state ${NUL_REASON}.</p>`);
    });
  });

  describe('REST: problem details naming the field', () => {
    it('refuses an admin body that is not JSON (or CSV) with 415, instead of reading it as no body', async () => {
      for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) {
        const res = await admin('POST', '/admin/principals', 'name=Mallory&role=operator', type);
        expect(res).toMatchObject({ status: 415, body: { title: 'Unsupported Media Type', detail: 'The admin API takes application/json bodies (and text/csv for bulk loads).' } });
        expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      }
      const none = await raw('/admin/principals', { method: 'POST', headers: { 'x-admin-key': TEST_ADMIN_KEY }, body: new Uint8Array(Buffer.from('{"name":"x"}')) });
      expect(none.status).toBe(415);
      expect(await w.db.query(`SELECT 1 FROM admin_principals WHERE name IN ('Mallory', 'x')`)).toEqual([]);
      const latin1 = await admin('POST', '/admin/principals', { name: 'x' }, 'application/json; charset=latin1');
      expect(latin1).toMatchObject({ status: 415, body: { title: 'Unsupported Media Type', detail: 'JSON is UTF-8 (RFC 8259 section 8.1): send the body in UTF-8, with charset=utf-8 or no charset, not latin1.' } });
      // JSON with a charset, and CSV on a bulk route, are read as before.
      expect((await admin('PUT', '/admin/tenants/kentel/locations', { locations: [] }, 'application/json; charset=utf-8')).status).toBe(200);
      expect((await admin('PUT', '/admin/tenants/kentel/locations', 'externalId,name\n', 'text/csv')).status).not.toBe(415);
    });

    it('refuses a NUL in an admin JSON name, with the field', async () => {
      const res = await admin('POST', '/admin/principals', { name: 'a\u0000b', email: 'n@iqmetrix.com', role: 'operator' });
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(res.body).toEqual(problem('body', 'name', NUL_REASON, '/admin/principals'));
      expect((await w.db.query(`SELECT 1 FROM admin_principals WHERE email = 'n@iqmetrix.com'`)).length).toBe(0);
    });

    it('names the nested path of a NUL in a bulk load row and in an object key', async () => {
      const rows = await admin('PUT', '/admin/tenants/kentel/locations', { locations: [{ externalId: 'GOOD-1', name: 'Good' }, { externalId: 'NUL-1', name: 'a\u0000b' }] });
      expect(rows.status).toBe(400);
      expect(rows.body).toEqual(problem('body', 'locations[1].name', NUL_REASON, '/admin/tenants/kentel/locations'));
      const key = await admin('POST', '/admin/clients', { clientId: 'nulkey', name: 'n', type: 'public', redirectUris: [APP_REDIRECT], ['x\u0000']: 1 });
      expect(key.status).toBe(400);
      expect(key.body.errors).toEqual([{ field: '(body)', reason: `has a key that ${NUL_REASON}` }]);
    });

    it('refuses control and bidi characters in admin names (C0, C1, U+202E, U+2066), naming the field and position', async () => {
      const tenant = (name: string) => ({ slug: 'bidi1', name, clientSecret: 's', config: { okta: { issuer: 'https://127.0.0.1:1/oauth2/ausX', clientId: '0oaX' }, domains: ['bidi1.com'] } });
      const rlo = await admin('POST', '/admin/tenants', tenant('Acme\u202Egnp.exe'));
      expect(rlo.status).toBe(400);
      expect(rlo.body).toEqual(problem('body', 'name', 'must not contain bidirectional text controls (U+202E at position 4)', '/admin/tenants'));
      const isolate = await admin('POST', '/admin/tenants', tenant('Acme\u2066x'));
      expect(isolate.body.errors).toEqual([{ field: 'name', reason: 'must not contain bidirectional text controls (U+2066 at position 4)' }]);
      const bell = await admin('POST', '/admin/tenants', tenant('Ac\u0007me'));
      expect(bell.body.errors).toEqual([{ field: 'name', reason: 'must not contain control characters (U+0007 at position 2)' }]);
      const c1 = await admin('POST', '/admin/tenants', tenant('Acme\u0085'));
      expect(c1.body.errors).toEqual([{ field: 'name', reason: 'must not contain control characters (U+0085 at position 4)' }]);
      const rq = await admin('PUT', '/admin/tenants/kentel/rq-ids?activate=false', 'kind,id\nsecurityRoles,a\u202Eb\n', 'text/csv');
      expect(rq.status).toBe(400);
      expect(rq.body.errors).toEqual([{ field: '(line 2)', reason: 'must not contain bidirectional text controls (U+202E)' }]);
      expect((await w.db.query(`SELECT 1 FROM tenants WHERE slug = 'bidi1'`)).length).toBe(0);
      // Invisible characters, and an unpaired surrogate (JSON's "\ud800", which would be stored as U+FFFD).
      for (const [name, reason] of [
        ['Acme\u200B', 'must not contain invisible characters (U+200B at position 4)'],
        ['\uFEFFAcme', 'must not contain invisible characters (U+FEFF at position 0)'],
        ['Ac\u2060me', 'must not contain invisible characters (U+2060 at position 2)'],
        ['Acme\uD800', 'must not contain an unpaired surrogate (U+D800 at position 4): it is not Unicode text'],
        ['Acme\uDC00x', 'must not contain an unpaired surrogate (U+DC00 at position 4): it is not Unicode text'],
      ]) {
        const res = await admin('POST', '/admin/tenants', tenant(name!));
        expect([JSON.stringify(name), res.status, res.body.errors]).toEqual([JSON.stringify(name), 400, [{ field: 'name', reason }]]);
      }
      // A paired surrogate is a character like any other, and a CSV may start with a byte order mark.
      expect((await admin('PUT', '/admin/tenants/kentel/rq-ids?activate=false', '\uFEFFkind,id\nsecurityRoles,RQ-\u{1F600}\n', 'text/csv')).status).not.toBe(400);
      // Tab, CR and LF are text; the tenant is created.
      expect((await admin('POST', '/admin/tenants', { ...tenant('Acme\tInc.'), config: { okta: { issuer: 'https://127.0.0.1:1/oauth2/ausX', clientId: '0oaX' }, domains: ['bidi1.com'] } })).status).not.toBe(400);
    });

    it('refuses the implicit directional marks and the other invisible characters (Default_Ignorable_Code_Point) in admin input; keeps ZWJ, ZWNJ and variation selectors', async () => {
      const rq = await admin('PUT', '/admin/tenants/kentel/rq-ids', { commissionTypes: ['a\u200Eb'] });
      expect(rq.status).toBe(400);
      expect(rq.body).toEqual(problem('body', 'commissionTypes[0]', 'must not contain bidirectional text controls (U+200E at position 1)', '/admin/tenants/kentel/rq-ids'));
      const tenant = (name: string) => ({ slug: 'invis1', name, clientSecret: 's', config: { okta: { issuer: 'https://127.0.0.1:1/oauth2/ausX', clientId: '0oaX' }, domains: ['invis1.com'] } });
      for (const [name, reason] of [
        ['Acme\u200F', 'must not contain bidirectional text controls (U+200F at position 4)'],
        ['\u061CAcme', 'must not contain bidirectional text controls (U+061C at position 0)'],
        ['Ac\u180Eme', 'must not contain invisible characters (U+180E at position 2)'],
        ['Ac\u2061me', 'must not contain invisible characters (U+2061 at position 2)'],
        ['Ac\u2064me', 'must not contain invisible characters (U+2064 at position 2)'],
        ['Ac\u206Ame', 'must not contain invisible characters (U+206A at position 2)'],
        ['Ac\u206Fme', 'must not contain invisible characters (U+206F at position 2)'],
        ['\u3164\u3164', 'must not contain invisible characters (U+3164 at position 0)'],
        ['Ac\u00ADme', 'must not contain invisible characters (U+00AD at position 2)'],
        ['Acme\u{E0041}', 'must not contain invisible characters (U+E0041 at position 4)'],
      ]) {
        const res = await admin('POST', '/admin/tenants', tenant(name!));
        expect([JSON.stringify(name), res.status, res.body.errors]).toEqual([JSON.stringify(name), 400, [{ field: 'name', reason }]]);
      }
      // In a user's name set by hand, and a key: the same rule.
      const edit = await admin('PATCH', '/admin/tenants/kentel/users/00000000-0000-4000-8000-000000000000', { set: { firstName: '\u3164\u3164', lastName: '\u2800' } });
      expect(edit.body).toEqual(problem('body', 'set.firstName', 'must not contain invisible characters (U+3164 at position 0)', '/admin/tenants/kentel/users/00000000-0000-4000-8000-000000000000'));
      expect((await w.db.query(`SELECT 1 FROM tenants WHERE slug = 'invis1'`)).length).toBe(0);
      // What scripts and emoji need is text: ZWNJ (Persian), ZWJ and a variation selector (emoji).
      for (const name of ['\u0645\u06CC\u200C\u062E\u0648\u0627\u0647\u0645', 'Team \u{1F469}\u200D\u{1F4BB}', 'Acme \u2764\uFE0F']) {
        const res = await admin('POST', '/admin/tenants', tenant(name));
        expect([name, res.status]).not.toEqual([name, 400]);
        // Refused it is, for its unreachable issuer: never for the name (neither the guard nor the name's format).
        expect([name, (res.body.errors as Array<{ field: string }> | undefined)?.filter((e) => e.field === 'name')]).toEqual([name, []]);
      }
    });

    it('refuses a blank-looking person or label name (only characters that show nothing), naming the characters', async () => {
      const res = await admin('POST', '/admin/principals', { name: '\u2800 \u2800', role: 'operator' });
      expect(res.status).toBe(422);
      expect(res.body.errors).toEqual([{ field: 'name', reason: 'has only characters that show nothing (U+2800, U+0020); it must have a visible character' }]);
      expect((await w.db.query(`SELECT 1 FROM admin_principals WHERE name LIKE '%\u2800%'`)).length).toBe(0);
    });

    it('refuses a NUL in a CSV location load, naming the line', async () => {
      const res = await admin('PUT', '/admin/tenants/kentel/locations', 'externalId,name,parentExternalId\nCSV-OK,Fine,\nCSV-N,a\u0000b,\n', 'text/csv');
      expect(res.status).toBe(400);
      expect(res.body).toEqual(problem('body', '(line 3)', NUL_REASON, '/admin/tenants/kentel/locations'));
      expect((await w.service.admin('GET', '/admin/tenants/kentel/locations')).body.map((l: { externalId: string }) => l.externalId)).toEqual(['LOC-1']);
    });

    it('refuses a NUL in a path or query parameter (audits ?user=, a slug, /health/idp?tenant=)', async () => {
      const audits = await raw('/admin/tenants/kentel/audits?user=a%00', { headers: { 'x-admin-key': TEST_ADMIN_KEY } });
      expect(audits.status).toBe(400);
      expect(audits.body).toEqual(problem('query', 'user', NUL_REASON, '/admin/tenants/kentel/audits'));
      const slug = await raw('/admin/tenants/ken%00', { headers: { 'x-admin-key': TEST_ADMIN_KEY } });
      expect(slug.status).toBe(400);
      expect(slug.body).toEqual(problem('path', '(path)', NUL_REASON, '/admin/tenants/ken%00'));
      const health = await raw('/health/idp?tenant=k%00', { headers: { authorization: `Bearer ${TEST_ADMIN_KEY}` } });
      expect(health.status).toBe(400);
      expect(health.body).toEqual(problem('query', 'tenant', NUL_REASON, '/health/idp'));
    });

    it('refuses a control character in an admin path segment', async () => {
      const res = await raw(`/admin/tenants/kentel/users/00000000-0000-0000-0000-000000000000/locations/${encodeURIComponent('LOC\u00071')}`, { method: 'PUT', headers: { 'x-admin-key': TEST_ADMIN_KEY } });
      expect(res.status).toBe(400);
      expect(res.body.errors).toEqual([{ field: '(path)', reason: 'must not contain control characters (U+0007 at position 3)' }]);
    });

    it('keeps the dry run able to show what the mapper says of a control character in a pasted claim (a NUL is still refused)', async () => {
      const bell = await admin('POST', '/admin/tenants/kentel/dry-run', { claims: { sub: '00uDRY1', userName: 'd\u0007y@kentel.com', security_group_name: 'Store Manager' } });
      expect(bell.status).toBe(200);
      const nul = await admin('POST', '/admin/tenants/kentel/dry-run', { lastSignIn: { username: 'x\u0000@kentel.com' } });
      expect(nul.status).toBe(400);
      expect(nul.body.errors).toEqual([{ field: 'lastSignIn.username', reason: NUL_REASON }]);
    });
  });

  describe('SCIM: invalidValue', () => {
    const scim = (method: string, path: string, body?: unknown) =>
      raw(path, { method, headers: { authorization: `Bearer ${scimToken}`, ...(body ? { 'content-type': 'application/scim+json' } : {}) }, body: body ? JSON.stringify(body) : undefined });

    it('refuses a NUL in the tenant slug of the path', async () => {
      const res = await scim('GET', '/scim/v2/ken%00/Users');
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/^application\/scim\+json/);
      expect(res.body).toEqual({ schemas: [ERROR], status: '400', scimType: 'invalidValue', detail: `The request path ${NUL_REASON}.` });
    });

    it('refuses a NUL in externalId', async () => {
      const res = await scim('POST', '/scim/v2/kentel/Users', { schemas: [CORE, IQ], userName: 'nul@kentel.com', externalId: '00u\u0000NUL', active: true, [IQ]: { security_group_name: 'Store Manager' } });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ schemas: [ERROR], status: '400', scimType: 'invalidValue', detail: `externalId ${NUL_REASON}.` });
    });
  });

  describe('a path that is not valid percent-encoding: a 400 in each surface\'s form and our own words, never Express\'s', () => {
    const MALFORMED = 'The request path is not valid percent-encoded UTF-8.';

    it('answers the admin API with problem details, whether the route has a parameter there or not', async () => {
      for (const path of ['/admin/tenants/%E0%A4%A', '/admin/tenants/kentel/users/%C3%28', '/v1/%E0%A4%A']) {
        const res = await raw(path, { headers: { 'x-admin-key': TEST_ADMIN_KEY } });
        expect([res.status, res.headers.get('content-type')]).toEqual([400, 'application/problem+json; charset=utf-8']);
        expect(res.body).toEqual({ type: 'about:blank', title: 'Bad Request', status: 400, detail: MALFORMED, errors: [{ field: '(path)', reason: 'is not valid percent-encoded UTF-8' }], instance: path, correlationId: expect.any(String) });
      }
    });

    it('answers OAuth JSON endpoints with invalid_request, sign-in and sign-out pages with a 400 page, SCIM with a SCIM error', async () => {
      const token = await form('/oauth2/token%E0%A4%A', 'grant_type=refresh_token&refresh_token=x&client_id=hub');
      expect(token.status).toBe(400);
      expect(token.body).toEqual({ error: 'invalid_request', error_description: MALFORMED });
      for (const path of ['/oauth2/logout/%E0%A4%A', '/oauth2/authorize%E0%A4%A']) {
        const page = await raw(path);
        expect([page.status, page.headers.get('content-type')]).toEqual([400, 'text/html; charset=utf-8']);
        expect(page.body).toContain('<h1>This request could not be handled</h1>');
        expect(page.body).toContain(`<p>${MALFORMED}</p>`);
      }
      const scim = await raw('/scim/v2/%E0%A4%A/Users', { headers: { authorization: `Bearer ${scimToken}` } });
      expect(scim.status).toBe(400);
      expect(scim.body).toEqual({ schemas: [ERROR], status: '400', scimType: 'invalidSyntax', detail: MALFORMED });
      // The same for a query parameter there (the guard's one rule for every surface): a SCIM syntax error naming it.
      const query = await raw('/scim/v2/kentel/Users?filter=%C3%28', { headers: { authorization: `Bearer ${scimToken}` } });
      expect(query.status).toBe(400);
      expect(query.body).toEqual({ schemas: [ERROR], status: '400', scimType: 'invalidSyntax', detail: 'filter is not valid percent-encoded UTF-8.' });
    });
  });

  describe('backstop: text Postgres refuses (22021, 22P05) is the client\'s 400, never a 500', () => {
    /** The filter on a real QueryFailedError from the service's own database, for a path of each surface. */
    const render = async (sql: string, path: string, params: unknown[] = ['a\u0000b']) => {
      const error = await w.service.app.get(DataSource).query(sql, params).then(() => undefined, (e: unknown) => e);
      const out: { status?: number; type?: string; body?: string } = {};
      const res: any = {
        headersSent: false,
        status(s: number) { out.status = s; return res; },
        set(k: string | Record<string, string>) { if (typeof k === 'object' && k['Content-Type']) out.type = k['Content-Type']; return res; },
        type(t: string) { out.type = t; return res; },
        send(b: string) { out.body = b; return res; },
        json(b: unknown) { out.type = 'application/json'; out.body = JSON.stringify(b); return res; },
        redirect() { throw new Error('no redirect expected'); },
      };
      const host = { switchToHttp: () => ({ getRequest: () => ({ path, originalUrl: path, id: 'ref-1' }), getResponse: () => res }) } as unknown as ArgumentsHost;
      new AllExceptionsFilter().catch(error, host);
      return { code: (error as { driverError?: { code?: string } }).driverError?.code, ...out };
    };
    const message = 'The request contains characters that cannot be stored (such as a NUL character).';

    it('maps 22021 on every surface', async () => {
      const sql = 'SELECT $1::text AS v';
      const oauth = await render(sql, '/oauth2/token');
      expect(oauth).toEqual({ code: '22021', status: 400, type: 'application/json', body: JSON.stringify({ error: 'invalid_request', error_description: message }) });
      const rest = await render(sql, '/admin/tenants');
      expect(rest.status).toBe(400);
      expect(JSON.parse(rest.body!)).toEqual({ type: 'about:blank', title: 'Bad Request', status: 400, detail: message, instance: '/admin/tenants', correlationId: 'ref-1' });
      const scim = await render(sql, '/scim/v2/kentel/Users');
      expect(JSON.parse(scim.body!)).toEqual({ schemas: [ERROR], status: '400', scimType: 'invalidValue', detail: message });
      const page = await render(sql, '/oauth2/callback');
      expect(page.status).toBe(400);
      expect(page.body).toContain(`<p>${message}</p>`);
    });

    it('maps 22P05 (a \\u0000 escape in jsonb)', async () => {
      const r = await render(`SELECT '{"a":"\\u0000"}'::jsonb AS v`, '/admin/tenants', []);
      expect(r.code).toBe('22P05');
      expect(r.status).toBe(400);
    });
  });
});

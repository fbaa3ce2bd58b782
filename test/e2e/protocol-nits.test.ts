import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { request } from 'node:http';
import { TEST_ADMIN_KEY } from '../support/service.js';
import { APP_REDIRECT, type TenantSetup, World } from '../support/world.js';

/** Small protocol and wording fixes from the attack trial (findings F9, F10). */
describe('protocol details', () => {
  let w: World;
  let kentel: TenantSetup;
  let rqSecret: string;
  const pat = { login: 'pat@kentel.com', password: 'Pat-pass1' };

  const send = async (method: string, path: string, body?: string, headers: Record<string, string> = {}) => {
    const res = await fetch(`${w.service.url}${path}`, { method, headers: { 'x-admin-key': TEST_ADMIN_KEY, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers }, body });
    const text = await res.text();
    let parsed: any = text;
    try { parsed = JSON.parse(text); } catch { /* not JSON */ }
    return { status: res.status, body: parsed, headers: res.headers, text };
  };

  beforeAll(async () => {
    w = await World.start();
    kentel = await w.addTenant('kentel', ['kentel.com']);
    await w.addApp('hub');
    kentel.authServer.setUser(pat.login, { password: pat.password, sub: '00uNITS01', claims: { userName: pat.login, name: 'Pat', email: pat.login, security_group_name: 'Associate' } });
    rqSecret = (await w.addApp('rq-pos', { type: 'confidential' })).clientSecret!;
  });
  afterAll(() => w?.close());

  it('reads a version in the path only as plain decimal digits (0x1, 1e0, 01, +1 are not version 1)', async () => {
    expect((await send('GET', '/admin/tenants/kentel/versions/1')).status).toBe(200);
    for (const v of ['0x1', '1e0', '01', '+1', '1.0', '%201', '0b1']) {
      const res = await send('GET', `/admin/tenants/kentel/versions/${v}`);
      expect([v, res.status, res.body.detail]).toEqual([v, 404, `Version ${decodeURIComponent(v)} does not exist.`]);
    }
    const against = await send('GET', '/admin/tenants/kentel/versions/1?against=0x1');
    expect([against.status, against.body.errors]).toEqual([422, [{ field: 'against', reason: 'must be a whole number in decimal digits' }]]);
    const limit = await send('GET', '/admin/tenants/kentel/audits?limit=1e1');
    expect([limit.status, limit.body.errors]).toEqual([422, [{ field: 'limit', reason: 'must be a whole number in decimal digits' }]]);
    expect((await send('GET', '/admin/tenants/kentel/audits?limit=10')).status).toBe(200);
  });

  it('refuses a version in a JSON body past the integer column (2^31 and up) as a field problem, never a 500', async () => {
    const reason = 'is not a version number (at most 2147483647)';
    for (const [path, body, field] of [
      ['/admin/tenants/kentel/rollback', { toVersion: 2 ** 31 }, 'toVersion'],
      ['/admin/tenants/kentel/versions', { baseVersion: 2 ** 31, config: {} }, 'baseVersion'],
      ['/admin/tenants/kentel/troubleshoot', { version: 2 ** 53 - 1 }, 'version'],
      ['/admin/tenants/kentel/dry-run', { version: 2 ** 31, claims: { sub: 'x' } }, 'version'],
    ] as const) {
      const res = await send('POST', path, JSON.stringify(body));
      expect([path, res.status, res.body.errors]).toEqual([path, 422, expect.arrayContaining([{ field, reason }])]);
    }
  });

  it('says a JSON body that is not an object must be one (and keeps "not valid JSON" for what is not JSON)', async () => {
    for (const body of ['null', '"x"', '42', 'true', '[]', '[{"slug":"x"}]']) {
      const res = await send('POST', '/admin/tenants', body);
      expect([body, res.status, res.body.title, res.body.detail]).toEqual([body, 400, 'Bad Request', 'The request body must be a JSON object.']);
    }
    // A member given twice is refused (JSON.parse would keep the last): read one way by a reviewer, another by us.
    const twice = await send('POST', '/admin/principals', '{"name":"Dup","email":"dup@iqmetrix.com","role":"manager","role":"operator"}');
    expect([twice.status, twice.body.detail, twice.body.errors]).toEqual([400, 'The request body gives a member twice in one JSON object; give each once.', [{ field: 'role', reason: 'is given more than once in its object' }]]);
    expect(await w.db.query(`SELECT 1 FROM admin_principals WHERE email = 'dup@iqmetrix.com'`)).toEqual([]);
    const broken = await send('POST', '/admin/tenants', '{"slug": ');
    expect([broken.status, broken.body.detail]).toEqual([400, 'The request body is not valid JSON.']);
  });

  it('refuses a key that is no field in every admin body and query but a configuration\'s (422 naming it), never ignoring it', async () => {
    const cases: Array<[string, string, unknown, string]> = [
      ['POST', '/admin/tenants/kentel/troubleshoot', { verison: 1 }, '(body)'],
      ['POST', '/admin/tenants/kentel/dry-run', { claims: { sub: 'x' }, versoin: 1 }, '(body)'],
      ['POST', '/admin/tenants/kentel/dry-run', { lastSignIn: { usrname: 'pat@kentel.com' } }, 'lastSignIn'],
      ['POST', '/admin/tenants/kentel/secrets', { clientSecret: 'a-staged-secret', lable: 'rotation' }, '(body)'],
      ['POST', '/admin/tenants/kentel/versions/1/activate', { replaceNewr: true }, '(body)'],
      ['POST', '/admin/discovery', { issuer: 'https://kentel.okta.com', isuer: 'x' }, '(body)'],
      ['POST', '/admin/clients', { clientId: 'typo-app', name: 'Typo', type: 'public', redirectUris: ['https://typo.example.com/cb'], grantType: ['password'] }, '(body)'],
      ['GET', '/admin/tenants/kentel/versions/1?againts=1', undefined, '(query)'],
      ['GET', '/admin/actions?limt=1', undefined, '(query)'],
      ['GET', '/admin/tenants/kentel/reconciliation/unseen?limt=1', undefined, '(query)'],
    ];
    for (const [method, path, body, field] of cases) {
      const res = await send(method, path, body === undefined ? undefined : JSON.stringify(body));
      expect([path, res.status, res.body.errors?.[0]?.field, res.body.errors?.[0]?.reason]).toEqual([path, 422, field, expect.stringMatching(/^Unrecognized key: "/)]);
    }
    expect((await send('GET', '/admin/tenants/kentel/secrets')).body).toHaveLength(1);
    expect((await send('GET', '/admin/clients')).body.map((c: { clientId: string }) => c.clientId)).not.toContain('typo-app');
  });

  it('answers a JSON body in another charset than UTF-8 with 415 (RFC 8259 §8.1), never 403, and takes utf8 as utf-8', async () => {
    const body = JSON.stringify({ name: 'Charset Check', email: 'charset@iqmetrix.com', role: 'manager' });
    for (const charset of ['utf-16', 'UTF-16LE', 'latin1', '"utf-32"']) {
      const res = await send('POST', '/admin/principals', body, { 'content-type': `application/json; charset=${charset}` });
      expect([charset, res.status, res.body.title, res.body.detail]).toEqual([charset, 415, 'Unsupported Media Type', expect.stringMatching(/^JSON is UTF-8 \(RFC 8259 section 8\.1\)/)]);
    }
    // In each surface's own form: an OAuth error at the token endpoints, a page at authorize and sign-out.
    const utf16 = { 'content-type': 'application/json; charset=utf-16' };
    for (const path of ['/oauth2/token', '/oauth2/revoke', '/oauth2/introspect']) {
      const res = await fetch(`${w.service.url}${path}`, { method: 'POST', headers: utf16, body: '{}' });
      expect([path, res.status, await res.json()]).toEqual([path, 415, { error: 'invalid_request', error_description: 'JSON is UTF-8 (RFC 8259 section 8.1): send the body in UTF-8, with charset=utf-8 or no charset, not utf-16.' }]);
    }
    for (const path of ['/oauth2/authorize', '/oauth2/logout']) {
      const res = await fetch(`${w.service.url}${path}`, { method: 'POST', headers: utf16, body: '{}', redirect: 'manual' });
      expect([path, res.status, res.headers.get('content-type')]).toEqual([path, 415, 'text/html; charset=utf-8']);
    }
    const scimToken = (await send('POST', '/admin/tenants/kentel/scim-tokens', JSON.stringify({ label: 'charset' }))).body.token as string;
    const scim = await fetch(`${w.service.url}/scim/v2/kentel/Users`, { method: 'POST', headers: { authorization: `Bearer ${scimToken}`, 'content-type': 'application/scim+json; charset=utf-16' }, body: '{}' });
    expect([scim.status, await scim.json()]).toEqual([415, expect.objectContaining({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '415' })]);
    expect(await w.db.query(`SELECT 1 FROM admin_principals WHERE email = 'charset@iqmetrix.com'`)).toEqual([]);
    const alias = await send('POST', '/admin/principals', body, { 'content-type': 'application/json; Charset="UTF8"' });
    expect([alias.status, alias.body.name]).toEqual([201, 'Charset Check']);
    const plain = await send('POST', '/admin/principals', JSON.stringify({ name: 'Charset Two', email: 'charset2@iqmetrix.com', role: 'manager' }), { 'content-type': 'application/json; charset=UTF-8' });
    expect(plain.status).toBe(201);
  });

  it('says a troubleshooting clientSecretId that does not exist is unknown, not retired', async () => {
    const res = await send('POST', '/admin/tenants/kentel/troubleshoot', JSON.stringify({ clientSecretId: '00000000-0000-0000-0000-000000000000' }));
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({ title: 'Validation failed', errors: [{ field: 'clientSecretId', reason: 'there is no client secret with this id for this tenant' }] });
  });

  it('answers /oauth2/revoke with an empty 200 and no text/html content type', async () => {
    const res = await fetch(`${w.service.url}/oauth2/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`rq-pos:${encodeURIComponent(rqSecret)}`).toString('base64')}` },
      body: 'token=not-a-token',
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBeNull();
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.text()).toBe('');
  });

  it('challenges a /v1/me request without credentials with no error code (RFC 6750 §3.1), and a bad token with invalid_token', async () => {
    const none = await fetch(`${w.service.url}/v1/me`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="api"');
    const basic = await fetch(`${w.service.url}/v1/me`, { headers: { authorization: 'Basic dXNlcjpwYXNz' } });
    expect(basic.headers.get('www-authenticate')).toBe('Bearer realm="api"');
    const junk = await fetch(`${w.service.url}/v1/me`, { headers: { authorization: 'Bearer junk.junk.junk' } });
    expect(junk.status).toBe(401);
    expect(junk.headers.get('www-authenticate')).toBe('Bearer realm="api", error="invalid_token", error_description="The access token is invalid."');
  });

  /** An access token for pat from a real sign-in through the hub app. */
  async function accessToken(): Promise<string> {
    const r = await w.signIn(await w.app('hub'), pat);
    if (!('tokens' in r) || !r.tokens) throw new Error(`sign-in failed: ${JSON.stringify(r)}`);
    return r.tokens.access_token;
  }
  const read = async (res: Response) => ({ status: res.status, type: res.headers.get('content-type'), challenge: res.headers.get('www-authenticate'), body: JSON.parse(await res.text()) });

  it('accepts the Bearer scheme in any case (RFC 9110 §11.1) on /v1/me, a repeat too (its cache), /metrics, the admin API and SCIM', async () => {
    const token = await accessToken();
    const expected = await read(await fetch(`${w.service.url}/v1/me`, { headers: { authorization: `Bearer ${token}` } }));
    expect(expected).toMatchObject({ status: 200, body: { username: pat.login } });
    for (const scheme of ['bearer', 'BEARER', 'bEaReR']) {
      for (const attempt of [1, 2]) {
        const res = await read(await fetch(`${w.service.url}/v1/me`, { headers: { authorization: `${scheme} ${token}` } }));
        expect({ scheme, attempt, ...res }).toEqual({ scheme, attempt, ...expected });
      }
    }
    // A bad token in lower case is judged as a token (not as malformed), and a repeat is judged again.
    for (const attempt of [1, 2]) {
      const junk = await read(await fetch(`${w.service.url}/v1/me`, { headers: { authorization: 'bearer junk.junk.junk' } }));
      expect({ attempt, status: junk.status, detail: junk.body.detail }).toEqual({ attempt, status: 401, detail: 'The access token is invalid.' });
    }
    expect((await fetch(`${w.service.url}/metrics`, { headers: { authorization: `bearer ${TEST_ADMIN_KEY}` } })).status).toBe(200);

    const principal = await w.service.admin('POST', '/admin/principals', { name: 'Mia Manager', role: 'manager', tenants: ['kentel'] });
    const credential = await w.service.admin('POST', `/admin/principals/${principal.body.id}/credentials`, { label: 'laptop', expiresInDays: 1 });
    const admin = await fetch(`${w.service.url}/admin/me`, { headers: { authorization: `BEARER ${credential.body.token}` } });
    expect([admin.status, ((await admin.json()) as { name: string }).name]).toEqual([200, 'Mia Manager']);
    const scimToken = (await w.service.admin('POST', '/admin/tenants/kentel/scim-tokens', { label: 'okta' })).body.token;
    expect((await fetch(`${w.service.url}/scim/v2/kentel/Users`, { headers: { authorization: `bearer ${scimToken}` } })).status).toBe(200);
  });

  it('challenges every 401 of the admin API and the operators\' endpoints (RFC 9110 §15.5.2), and only 401s', async () => {
    const admin = 'Bearer realm="iqsso-admin"';
    const ops = 'Bearer realm="iqsso-ops"';
    const cases: Array<[string, Record<string, string>, string, string]> = [
      ['/admin/me', {}, admin, 'An admin credential is required (X-Admin-Key header or Authorization: Bearer).'],
      ['/admin/tenants', { 'x-admin-key': 'not-the-key' }, admin, 'The admin credential is not valid.'],
      ['/admin/tenants', { authorization: 'Bearer iqsso_am_' + 'x'.repeat(43) }, admin, 'The admin credential is not valid.'],
      ['/metrics', {}, ops, 'An operator token is required (Authorization: Bearer <OPS_TOKEN>).'],
      ['/metrics', { authorization: 'Bearer not-the-ops-token' }, ops, 'An operator token is required (Authorization: Bearer <OPS_TOKEN>).'],
      ['/health/idp', {}, ops, 'An operator token is required (Authorization: Bearer <OPS_TOKEN>).'],
    ];
    for (const [path, headers, challenge, detail] of cases) {
      const res = await read(await fetch(`${w.service.url}${path}`, { headers }));
      expect({ path, headers, status: res.status, challenge: res.challenge, type: res.type, detail: res.body.detail }).toEqual({ path, headers, status: 401, challenge, type: 'application/problem+json; charset=utf-8', detail });
    }
    const principal = await w.service.admin('POST', '/admin/principals', { name: 'Ned Manager', role: 'manager', tenants: [] });
    const credential = await w.service.admin('POST', `/admin/principals/${principal.body.id}/credentials`, { label: 'laptop', expiresInDays: 1 });
    const forbidden = await send('GET', '/admin/principals', undefined, { 'x-admin-key': credential.body.token });
    expect([forbidden.status, forbidden.headers.get('www-authenticate')]).toEqual([403, null]);
  });

  it('answers POST /v1/me (as OIDC Core §5.3.1 has UserInfo do) exactly as GET, the token in the header or a form body', async () => {
    const token = await accessToken();
    const bearer = { authorization: `Bearer ${token}` };
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const expected = await read(await fetch(`${w.service.url}/v1/me`, { headers: bearer }));
    expect(expected).toMatchObject({ status: 200, body: { username: pat.login } });
    for (const init of [
      { headers: bearer },
      { headers: bearer },
      { headers: { authorization: `bearer ${token}` } },
      { headers: { ...bearer, ...form }, body: 'unrelated=1' },
      { headers: form, body: new URLSearchParams({ access_token: token }).toString() },
    ]) {
      const res = await read(await fetch(`${w.service.url}/v1/me`, { method: 'POST', ...init }));
      expect({ init, ...res }).toEqual({ init, ...expected });
    }
    const none = await read(await fetch(`${w.service.url}/v1/me`, { method: 'POST' }));
    expect([none.status, none.challenge]).toEqual([401, 'Bearer realm="api"']);
    // The form is the only body the token may come in (RFC 6750 §2.2), once, and never with the header too (§2).
    const json = await read(await fetch(`${w.service.url}/v1/me`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ access_token: token }) }));
    expect([json.status, json.challenge]).toEqual([401, 'Bearer realm="api"']);
    const both = await read(await fetch(`${w.service.url}/v1/me`, { method: 'POST', headers: { ...bearer, ...form }, body: new URLSearchParams({ access_token: token }).toString() }));
    expect([both.status, both.body.title, both.body.error, both.body.detail]).toEqual([400, 'Bad Request', 'invalid_request', 'Send the access token in the Authorization header or in the form body, not both.']);
    // RFC 6750 §3: the error code in the challenge too.
    expect(both.challenge).toBe('Bearer realm="api", error="invalid_request", error_description="Send the access token in the Authorization header or in the form body, not both."');
    const twice = await read(await fetch(`${w.service.url}/v1/me`, { method: 'POST', headers: form, body: `access_token=${token}&access_token=${token}` }));
    expect([twice.status, twice.body.title, twice.body.error, twice.body.detail]).toEqual([400, 'Bad Request', 'invalid_request', 'access_token must be given once.']);

    const doc = (await (await fetch(`${w.service.url}/docs/openapi.json`)).json()) as { paths: Record<string, Record<string, { summary?: string; security?: unknown[] }>> };
    for (const path of ['/v1/me', '/v1/training/me']) {
      const { get, post } = doc.paths[path] ?? {};
      expect({ path, summary: typeof post?.summary, security: post?.security }).toEqual({ path, summary: 'string', security: get?.security });
    }
  });

  it('answers a method a path has no route for with 405 and Allow in the path\'s own error form, OPTIONS with 204 and Allow (RFC 9110 §15.5.6, §9.3.7)', async () => {
    const cases: Array<[string, string, string, string]> = [
      ['GET', '/oauth2/token', 'OPTIONS, POST', 'application/json; charset=utf-8'],
      ['DELETE', '/v1/me', 'GET, HEAD, OPTIONS, POST', 'application/problem+json; charset=utf-8'],
      ['PATCH', '/admin/tenants', 'GET, HEAD, OPTIONS, POST', 'application/problem+json; charset=utf-8'],
      ['PUT', '/scim/v2/kentel/Users', 'GET, HEAD, OPTIONS, POST', 'application/scim+json; charset=utf-8'],
      ['PATCH', '/oauth2/authorize', 'GET, HEAD, OPTIONS, POST', 'text/html; charset=utf-8'],
    ];
    for (const [method, path, allow, type] of cases) {
      const res = await send(method, path);
      const detail = res.body.error_description ?? res.body.detail ?? /<p>([^<]*)<\/p>/.exec(res.text)?.[1];
      expect({ method, path, status: res.status, allow: res.headers.get('allow'), type: res.headers.get('content-type'), detail }).toEqual({ method, path, status: 405, allow, type, detail: `This resource answers ${allow} only.` });
    }
    expect((await send('GET', '/oauth2/token')).body.error).toBe('invalid_request');
    // TRACE too (fetch refuses to send it).
    const trace = await new Promise<{ status?: number; allow?: string }>((resolve, reject) =>
      request(`${w.service.url}/v1/me`, { method: 'TRACE' }, (res) => resolve({ status: res.statusCode, allow: res.headers.allow })).on('error', reject).end());
    expect(trace).toEqual({ status: 405, allow: 'GET, HEAD, OPTIONS, POST' });
    const options = await send('OPTIONS', '/admin/tenants/kentel/config');
    expect([options.status, options.headers.get('allow'), options.text]).toEqual([204, 'OPTIONS, PUT', '']);
    // A path no route has stays a 404, for every method.
    for (const method of ['GET', 'OPTIONS', 'POST']) expect([method, (await send(method, '/oauth2/nothing-here')).status]).toEqual([method, 404]);
  });

  it('refuses an admin change conditioned on an entity tag (If-Match) with 412: the API gives none, baseVersion is its condition', async () => {
    const config = await w.configOf('kentel');
    const before = (await send('GET', '/admin/tenants/kentel')).body.activeVersion;
    for (const tag of ['"1"', 'W/"1"', `"${before}"`]) {
      const res = await send('PUT', '/admin/tenants/kentel/config', JSON.stringify({ config }), { 'if-match': tag });
      expect([tag, res.status, res.body.title, res.body.errors]).toEqual([tag, 412, 'Precondition Failed', [{ field: 'If-Match', reason: 'no entity tag of this API can match it' }]]);
    }
    expect((await send('GET', '/admin/tenants/kentel')).body.activeVersion).toBe(before);
    const any = await send('PUT', '/admin/tenants/kentel/config', JSON.stringify({ config, baseVersion: before }), { 'if-match': '*' });
    expect(any.status).toBe(200);
    // If-None-Match: * is "only if nothing is there": never for a change of what exists (RFC 9110 §13.1.2); tags hold.
    const now = (await send('GET', '/admin/tenants/kentel')).body.activeVersion;
    const createOnly = await send('PUT', '/admin/tenants/kentel/config', JSON.stringify({ config }), { 'if-none-match': '*' });
    expect([createOnly.status, createOnly.body.errors]).toEqual([412, [{ field: 'If-None-Match', reason: 'the resource exists, so "*" does not hold' }]]);
    expect((await send('GET', '/admin/tenants/kentel')).body.activeVersion).toBe(now);
    expect((await send('PUT', '/admin/tenants/kentel/config', JSON.stringify({ config, baseVersion: now }), { 'if-none-match': '"x"' })).status).toBe(200);
    expect((await send('GET', '/admin/tenants/kentel', undefined, { 'if-none-match': '*' })).status).toBe(200);
  });

  it('evaluates If-Match only once the caller is authenticated and the tenant in scope (RFC 9110 §13.2.1): 401 and 404 first', async () => {
    const config = await w.configOf('kentel');
    const anonymous = await fetch(`${w.service.url}/admin/tenants/nope/config`, { method: 'PUT', headers: { 'content-type': 'application/json', 'if-match': '"x"' }, body: JSON.stringify({ config }) });
    expect([anonymous.status, anonymous.headers.get('www-authenticate')]).toEqual([401, 'Bearer realm="iqsso-admin"']);
    const unknown = await send('PUT', '/admin/tenants/nope/config', JSON.stringify({ config }), { 'if-match': '"x"' });
    expect(unknown.status).toBe(404);
    const refused = await send('PUT', '/admin/tenants/kentel/config', JSON.stringify({ config }), { 'if-match': '"x"' });
    expect(refused.status).toBe(412);
    const [logged] = await w.db.query(`SELECT status, outcome FROM admin_actions WHERE route = '/admin/tenants/:slug/config' ORDER BY at DESC LIMIT 1`);
    expect(logged).toEqual({ status: 412, outcome: 'refused' });
  });

  it('titles every about:blank problem with its status phrase (RFC 9457 §4.2.1, RFC 9110 §15), and a specific type with its own', async () => {
    const inForce = (await send('GET', '/admin/tenants/kentel')).body.activeVersion as number;
    const cases: Array<[string, string, string | undefined, Record<string, string>, number, string, string]> = [
      ['GET', '/admin/tenants/no-such-tenant', undefined, {}, 404, 'about:blank', 'Not Found'],
      ['GET', '/admin/tenants/kentel/versions/99', undefined, {}, 404, 'about:blank', 'Not Found'],
      ['GET', '/admin/no-such-route', undefined, {}, 404, 'about:blank', 'Not Found'],
      ['PATCH', '/admin/tenants', undefined, {}, 405, 'about:blank', 'Method Not Allowed'],
      ['GET', '/admin/me', undefined, { 'x-admin-key': 'wrong' }, 401, 'about:blank', 'Unauthorized'],
      ['POST', '/admin/tenants', '{"slug": ', {}, 400, 'about:blank', 'Bad Request'],
      ['POST', '/admin/tenants', JSON.stringify({ slug: 'x', name: 'y'.repeat(3 * 1024 * 1024) }), {}, 413, 'about:blank', 'Content Too Large'],
      ['POST', '/admin/tenants/kentel/rollback', JSON.stringify({ toVersion: inForce }), {}, 409, '/problems/conflict', 'Conflict'],
      ['POST', '/admin/principals', JSON.stringify({ name: '' }), {}, 422, '/problems/validation', 'Validation failed'],
    ];
    for (const [method, path, body, headers, status, type, title] of cases) {
      const res = await send(method, path, body, headers);
      expect({ method, path, status: res.status, type: res.body.type, title: res.body.title }).toEqual({ method, path, status, type, title });
    }
    // The apps' API: the status phrase as title, the OAuth error code as its own member (and in the challenge).
    const junk = await read(await fetch(`${w.service.url}/v1/me`, { headers: { authorization: 'Bearer junk.junk.junk' } }));
    expect(junk.body).toMatchObject({ type: 'about:blank', title: 'Unauthorized', error: 'invalid_token', status: 401 });
  });

  const registerClient = (uris: { redirectUris?: string[]; postLogoutRedirectUris?: string[] }, clientId = 'bad-app') =>
    send('POST', '/admin/clients', JSON.stringify({ clientId, name: 'Bad', type: 'public', redirectUris: [APP_REDIRECT], ...uris }));
  /** Each URI refused with its reason, as a redirect URI and as a post-logout redirect URI. */
  async function expectRefusedInBoth(cases: Array<[string, string]>): Promise<void> {
    for (const [uri, reason] of cases) {
      const r = await registerClient({ redirectUris: [uri] });
      expect([uri, r.status, r.body.errors]).toEqual([uri, 422, [{ field: 'redirectUris[0]', reason }]]);
      const p = await registerClient({ postLogoutRedirectUris: [uri] });
      expect([uri, p.status, p.body.errors]).toEqual([uri, 422, [{ field: 'postLogoutRedirectUris[0]', reason }]]);
    }
  }

  it('refuses redirect URIs (and post-logout ones) with a wildcard or empty host, userinfo, or a fragment', async () => {
    const register = registerClient;
    const cases: Array<[string, string]> = [
      ['https://*.example.com/cb', 'must not have a wildcard (*) in its host; every redirect URI is matched exactly'],
      ['https://%2A.example.com/cb', 'must not have a wildcard (*) in its host; every redirect URI is matched exactly'],
      ['https://user@app.example.com/cb', 'must not contain a user name or password'],
      ['https://user:pw@app.example.com/cb', 'must not contain a user name or password'],
      ['https://@app.example.com/cb', 'must not contain a user name or password'],
      ['https://app.example.com/cb#x', 'must not have a fragment (#)'],
      ['https://app.example.com/cb#', 'must not have a fragment (#)'],
      ['https:///cb', 'must have a host'],
      ['com.iqmetrix.rq:///cb', 'must have a host'],
      // Characters the URL parser keeps in a host, which would change the meaning of the pages' CSP (form-action).
      ...['https://a;sandbox,b.example/cb', "https://a'b.example/cb", 'https://x_y.example/cb', 'https://a(b).example/cb', 'https://-a.example/cb'].map((u): [string, string] =>
        [u, 'must have a plain host name: letters, digits, hyphens and dots (international names in punycode), or an IP address']),
    ];
    await expectRefusedInBoth(cases);
    // What apps really register still is.
    const ok = await register({ redirectUris: ['https://app.example.com/cb?x=1', 'http://127.0.0.1:8080/cb', 'com.iqmetrix.rq:/callback'], postLogoutRedirectUris: ['https://app.example.com/bye'] }, 'good-app');
    expect(ok.status).toBe(201);
  });

  it('registers a redirect URI only as it is used: no control characters or whitespace, written as the URL parser writes it', async () => {
    const register = (uris: { redirectUris?: string[]; postLogoutRedirectUris?: string[] }) => registerClient(uris, 'crlf-app');
    const controls = 'must not contain control characters or whitespace';
    const cases: Array<[string, string]> = [
      ['https://a.com/cb\r\nSet-Cookie: x=1', controls],
      ['https://app.example.com/cb\n', controls],
      ['https://app.example.com/c\tb', controls],
      ['https://app.example.com/c b', controls],
      [' https://app.example.com/cb', controls],
      ['https://app.example.com/cb\u00a0', controls],
      ['https://App.Example.com/cb', 'must be written exactly as redirects use it: https://app.example.com/cb'],
      ['HTTPS://app.example.com/cb', 'must be written exactly as redirects use it: https://app.example.com/cb'],
      ['https://app.example.com', 'must be written exactly as redirects use it: https://app.example.com/'],
      ['https://app.example.com:443/cb', 'must be written exactly as redirects use it: https://app.example.com/cb'],
      ['https://app.example.com/a/../cb', 'must be written exactly as redirects use it: https://app.example.com/cb'],
      ['https://app.example.com/caf\u00e9', 'must be written exactly as redirects use it: https://app.example.com/caf%C3%A9'],
      ['http://127.1:8080/cb', 'must be written exactly as redirects use it: http://127.0.0.1:8080/cb'],
    ];
    await expectRefusedInBoth(cases);
    // Other controls never reach the rule: the admin API's input guard refuses them first.
    const del = await register({ redirectUris: ['https://app.example.com/cb\u007f'] });
    expect([del.status, del.body.errors]).toEqual([400, [{ field: 'redirectUris[0]', reason: 'must not contain control characters (U+007F at position 26)' }]]);
    expect(await w.db.query(`SELECT 1 FROM oauth_clients WHERE client_id = 'crlf-app'`)).toHaveLength(0);
  });

  it('never redirects to a redirect URI with control characters, even one stored before registration refused them', async () => {
    const crlf = 'https://a.com/cb\r\nSet-Cookie: x=1';
    await w.db.query(
      `INSERT INTO oauth_clients (client_id, name, client_type, redirect_uris, post_logout_redirect_uris, grant_types) VALUES ('legacy-app', 'Legacy', 'public', $1, $1, '{authorization_code}')`,
      [[crlf, 'https://a.com/cb\t']],
    );
    const authorize = (redirectUri: string, extra: Record<string, string> = {}) => fetch(`${w.service.url}/oauth2/authorize?${new URLSearchParams({
      client_id: 'legacy-app', redirect_uri: redirectUri, response_type: 'code', scope: 'openid', code_challenge: 'x'.repeat(43), code_challenge_method: 'S256', state: 's', ...extra,
    })}`, { redirect: 'manual' });
    for (const [uri, extra] of [[crlf, { response_type: 'token' }], [crlf, {}], ['https://a.com/cb\t', { response_type: 'token' }]] as const) {
      const res = await authorize(uri, extra);
      expect([uri, res.status, res.headers.get('location')]).toEqual([uri, 400, null]);
      expect(await res.text()).toContain('The application asked to return to an address that is not registered for it (redirect_uri).');
    }
    const logout = await fetch(`${w.service.url}/oauth2/logout?${new URLSearchParams({ client_id: 'legacy-app', post_logout_redirect_uri: crlf })}`, { redirect: 'manual' });
    expect([logout.status, logout.headers.get('location')]).toEqual([400, null]);
    expect(await logout.text()).toContain('The application asked to return to an address that is not registered for it (post_logout_redirect_uri).');
  });
});

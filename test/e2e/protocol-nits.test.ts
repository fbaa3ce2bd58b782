import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { TEST_ADMIN_KEY } from '../support/service.js';
import { APP_REDIRECT, World } from '../support/world.js';

/** Small protocol and wording fixes from the attack trial (findings F9, F10). */
describe('protocol details', () => {
  let w: World;
  let rqSecret: string;

  const send = async (method: string, path: string, body?: string, headers: Record<string, string> = {}) => {
    const res = await fetch(`${w.service.url}${path}`, { method, headers: { 'x-admin-key': TEST_ADMIN_KEY, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers }, body });
    const text = await res.text();
    let parsed: any = text;
    try { parsed = JSON.parse(text); } catch { /* not JSON */ }
    return { status: res.status, body: parsed, headers: res.headers, text };
  };

  beforeAll(async () => {
    w = await World.start();
    await w.addTenant('kentel', ['kentel.com']);
    await w.addApp('hub');
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

  it('says a JSON body that is not an object must be one (and keeps "not valid JSON" for what is not JSON)', async () => {
    for (const body of ['null', '"x"', '42', 'true', '[]', '[{"slug":"x"}]']) {
      const res = await send('POST', '/admin/tenants', body);
      expect([body, res.status, res.body.title, res.body.detail]).toEqual([body, 400, 'Bad Request', 'The request body must be a JSON object.']);
    }
    const broken = await send('POST', '/admin/tenants', '{"slug": ');
    expect([broken.status, broken.body.detail]).toEqual([400, 'The request body is not valid JSON.']);
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
    expect(junk.headers.get('www-authenticate')).toBe('Bearer error="invalid_token", error_description="The access token is invalid."');
  });

  it('refuses redirect URIs (and post-logout ones) with a wildcard or empty host, userinfo, or a fragment', async () => {
    const register = (uris: { redirectUris?: string[]; postLogoutRedirectUris?: string[] }, clientId = 'bad-app') =>
      send('POST', '/admin/clients', JSON.stringify({ clientId, name: 'Bad', type: 'public', redirectUris: [APP_REDIRECT], ...uris }));
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
    ];
    for (const [uri, reason] of cases) {
      const r = await register({ redirectUris: [uri] });
      expect([uri, r.status, r.body.errors]).toEqual([uri, 422, [{ field: 'redirectUris.0', reason }]]);
      const p = await register({ postLogoutRedirectUris: [uri] });
      expect([uri, p.status, p.body.errors]).toEqual([uri, 422, [{ field: 'postLogoutRedirectUris.0', reason }]]);
    }
    // What apps really register still is.
    const ok = await register({ redirectUris: ['https://app.example.com/cb?x=1', 'http://127.0.0.1:8080/cb', 'com.iqmetrix.rq:/callback'], postLogoutRedirectUris: ['https://app.example.com/bye'] }, 'good-app');
    expect(ok.status).toBe(201);
  });
});

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type TenantSetup, World } from '../support/world.js';

/** Details of the OAuth endpoints and the apps' API a tester found (client authentication, challenges, caching, scope, loopback redirects). */
describe('OAuth endpoint details', () => {
  let w: World;
  let kentel: TenantSetup;
  let rqSecret: string;
  const pat = { login: 'pat@kentel.com', password: 'Pat-pass1' };

  beforeAll(async () => {
    w = await World.start();
    kentel = await w.addTenant('kentel', ['kentel.com']);
    await w.addApp('hub');
    kentel.authServer.setUser(pat.login, { password: pat.password, sub: '00uNITS02', claims: { userName: pat.login, name: 'Pat', email: pat.login, security_group_name: 'Associate' } });
    rqSecret = (await w.addApp('rq-pos', { type: 'confidential' })).clientSecret!;
  });
  afterAll(() => w?.close());

  const token = async (authorization: string, form: Record<string, string> = { grant_type: 'refresh_token', refresh_token: 'x' }) => {
    const res = await fetch(`${w.service.url}/oauth2/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization }, body: new URLSearchParams(form) });
    return { status: res.status, body: (await res.json()) as Record<string, string>, challenge: res.headers.get('www-authenticate') };
  };

  it('says Basic credentials that are not the Base64 of id:secret are malformed, not that another scheme was used', async () => {
    const malformed = 'The Basic credentials are malformed: they must be the Base64 of client_id:client_secret (RFC 6749 §2.3.1).';
    for (const authorization of ['Basic %%%', 'Basic', 'basic ', 'Basic a=b', 'Basic ====', `Basic ${Buffer.from('no-colon').toString('base64')}`, 'BASIC %%%']) {
      const res = await token(authorization);
      expect({ authorization, ...res }).toEqual({ authorization, status: 401, challenge: 'Basic realm="oauth2"', body: { error: 'invalid_client', error_description: malformed } });
    }
    for (const authorization of ['Bearer abc', 'Basicx YWJjOmRlZg==', 'Digest username="rq-pos"']) {
      const res = await token(authorization);
      expect({ authorization, ...res.body }).toEqual({ authorization, error: 'invalid_client', error_description: 'The Authorization header must use the Basic scheme.' });
    }
    // Well-formed Basic credentials still authenticate (the scheme's name in any case).
    for (const scheme of ['Basic', 'basic']) {
      const res = await token(`${scheme} ${Buffer.from(`rq-pos:${encodeURIComponent(rqSecret)}`).toString('base64')}`);
      expect([scheme, res.status, res.body.error, res.body.error_description]).toEqual([scheme, 400, 'invalid_grant', 'The refresh token is invalid.']);
    }
  });
});

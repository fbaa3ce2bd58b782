import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { freePort, startService, type TestService } from '../support/service.js';
import { World } from '../support/world.js';

/** This service's metadata documents and JWKS, and which endpoints browser apps may call from another origin. */
describe('metadata and cross-origin calls', () => {
  let w: World;

  beforeAll(async () => {
    w = await World.start();
  });
  afterAll(() => w?.close());

  const get = async (url: string, headers: Record<string, string> = {}) => {
    const res = await fetch(url, { headers });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
  };

  describe('RFC 8414 authorization server metadata', () => {
    it('is served at /.well-known/oauth-authorization-server: the discovery document, cached alike', async () => {
      const oidc = await get(`${w.service.url}/.well-known/openid-configuration`);
      const rfc8414 = await get(`${w.service.url}/.well-known/oauth-authorization-server`);
      expect(oidc.status).toBe(200);
      expect({ status: rfc8414.status, type: rfc8414.headers.get('content-type'), cache: rfc8414.headers.get('cache-control'), body: rfc8414.body })
        .toEqual({ status: 200, type: oidc.headers.get('content-type'), cache: 'public, max-age=300', body: oidc.body });
      expect(rfc8414.body).toMatchObject({ issuer: w.service.url, token_endpoint: `${w.service.url}/oauth2/token`, jwks_uri: `${w.service.url}/oauth2/jwks`, code_challenge_methods_supported: ['S256'] });
      // A path below it is nobody's metadata when the issuer has no path.
      expect((await get(`${w.service.url}/.well-known/oauth-authorization-server/sso`)).status).toBe(404);
    });

    it('for an issuer with a path, also after the host with the path appended (RFC 8414 §3)', async () => {
      const port = await freePort();
      let other: TestService | undefined;
      try {
        other = await startService(w.db.url, { PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}/sso/broker` });
        const root = `http://127.0.0.1:${port}`;
        const doc = await get(`${root}/.well-known/oauth-authorization-server/sso/broker`);
        expect([doc.status, doc.headers.get('cache-control'), doc.body.issuer, doc.body.token_endpoint])
          .toEqual([200, 'public, max-age=300', `${root}/sso/broker`, `${root}/sso/broker/oauth2/token`]);
        expect(doc.body).toEqual((await get(`${root}/.well-known/openid-configuration`)).body);
        for (const path of ['/sso', '/sso/broker/x', '/other/broker']) expect([path, (await get(`${root}/.well-known/oauth-authorization-server${path}`)).status]).toEqual([path, 404]);
      } finally {
        await other?.close();
      }
    });
  });
});

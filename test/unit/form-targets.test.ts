import { describe, expect, it } from '@jest/globals';
import { formTargetSource, pageCsp } from '../../src/common/web/security-headers.js';

/** Where a page's form may lead through redirects, as CSP sources (pageCsp's form-action): never text that changes the policy. */
describe('formTargetSource', () => {
  it.each([
    ['https://hub.example.com/cb?x=1', 'https://hub.example.com'],
    ['https://hub.example.com:8443/cb', 'https://hub.example.com:8443'],
    ['http://127.0.0.1:9/cb', 'http://127.0.0.1:*'],
    ['http://localhost:3000/cb', 'http://localhost:3000'],
    ['http://[::1]:9/cb', 'http:'],
    ['com.iqmetrix.rq:/callback', 'com.iqmetrix.rq:'],
    // Stored before registration refused such hosts: only the scheme, never the host's text.
    ['https://a;sandbox,b.example/cb', 'https:'],
    ["https://a'b.example/cb", 'https:'],
    ['not a url', undefined],
  ])('%s → %s', (uri, source) => {
    expect(formTargetSource(uri)).toBe(source);
  });

  it('widens only form-action, once per source', () => {
    expect(pageCsp(['https:', 'https:', 'http://127.0.0.1:*'])).toBe("default-src 'none';style-src 'unsafe-inline';img-src 'self';form-action 'self' https: http://127.0.0.1:*;frame-ancestors 'none';base-uri 'none'");
  });
});

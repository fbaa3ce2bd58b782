import { describe, expect, it } from '@jest/globals';
import { callbackIssuerProblem } from '../../src/auth/upstream-errors.js';

/** RFC 9207 §2.4 on Okta's callback, as a rule: which iss values end the sign-in before the code is exchanged. */
describe("Okta callback's iss", () => {
  const issuer = 'https://acme.okta.example/oauth2/aus1';
  const promising = { issuer, endpoints: { issParameter: true } };
  const silent = { issuer, endpoints: {} };

  it('takes the exact issuer, with or without the promise', () => {
    expect(callbackIssuerProblem(issuer, promising)).toBeUndefined();
    expect(callbackIssuerProblem(issuer, silent)).toBeUndefined();
  });

  it('refuses another issuer, a near one, or a repeated parameter', () => {
    for (const iss of ['https://evil.example', `${issuer}/`, [issuer, issuer], '']) {
      expect([iss, callbackIssuerProblem(iss, silent)?.kind]).toEqual([iss, 'issuer-mismatch']);
    }
  });

  it('refuses a missing iss only where the discovery document promised one', () => {
    expect(callbackIssuerProblem(undefined, promising)?.message).toBe("The sign-in answer did not say which Okta it came from (iss), though your company's Okta always does.");
    expect(callbackIssuerProblem(undefined, silent)).toBeUndefined();
  });
});

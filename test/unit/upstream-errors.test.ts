import { describe, expect, it } from '@jest/globals';
import { rateLimitedMessage, UpstreamError, type UpstreamFailure, type UpstreamVerdict, upstreamVerdict } from '../../src/auth/upstream-errors.js';

describe('what a user is told while their Okta rate-limits us', () => {
  it('reads as English for every wait, including one second (a reset already past is clamped to it)', () => {
    expect([1, 2, 45, 89, 90, 600, undefined, 0].map(rateLimitedMessage)).toEqual([
      "Your company's Okta is limiting sign-in requests right now. Please wait a second and try again.",
      "Your company's Okta is limiting sign-in requests right now. Please wait about 2 seconds and try again.",
      "Your company's Okta is limiting sign-in requests right now. Please wait about 45 seconds and try again.",
      "Your company's Okta is limiting sign-in requests right now. Please wait about 89 seconds and try again.",
      "Your company's Okta is limiting sign-in requests right now. Please wait about 2 minutes and try again.",
      "Your company's Okta is limiting sign-in requests right now. Please wait about 10 minutes and try again.",
      "Your company's Okta is limiting sign-in requests right now. Please wait a minute and try again.",
      "Your company's Okta is limiting sign-in requests right now. Please wait a minute and try again.",
    ]);
  });
});

describe('how each upstream failure reaches the app (upstreamVerdict)', () => {
  it('sorts every kind: an answer that cannot be used is failed (server_error), only failed security checks are untrusted', () => {
    // Keyed by every kind: a new UpstreamFailure does not compile here until its verdict is decided.
    const verdicts: Record<Exclude<UpstreamFailure, 'okta-error'>, UpstreamVerdict> = {
      'okta-unreachable': 'unavailable',
      'okta-rate-limited': 'unavailable',
      'okta-server-error': 'unavailable',
      'okta-unexpected': 'failed',
      'okta-bad-response': 'failed',
      'id-token-invalid': 'untrusted',
      'issuer-mismatch': 'untrusted',
      'callback-tampered': 'untrusted',
    };
    const kinds = Object.keys(verdicts) as Array<keyof typeof verdicts>;
    expect(Object.fromEntries(kinds.map((k) => [k, upstreamVerdict(new UpstreamError(k, 'x'))]))).toEqual(verdicts);
  });

  it("sorts okta-error by Okta's code and the refusal read from it", () => {
    const cases: Array<[string | undefined, ConstructorParameters<typeof UpstreamError>[4], UpstreamVerdict]> = [
      ['temporarily_unavailable', undefined, 'unavailable'],
      ['server_error', undefined, 'failed'],
      ['invalid_client', 'client-auth', 'failed'],
      ['invalid_scope', 'scope', 'failed'],
      ['unauthorized_client', 'grant-not-allowed', 'failed'],
      ['invalid_grant', 'invalid-credentials', 'refused'],
      ['invalid_grant', 'locked', 'refused'],
      ['invalid_grant', 'mfa-required', 'refused'],
      ['access_denied', 'policy-denied', 'refused'],
      ['login_required', undefined, 'refused'],
      [undefined, undefined, 'refused'],
    ];
    expect(cases.map(([code, refusal]) => upstreamVerdict(new UpstreamError('okta-error', 'x', code, undefined, refusal))))
      .toEqual(cases.map(([, , verdict]) => verdict));
  });
});

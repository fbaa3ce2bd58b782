import { describe, expect, it } from '@jest/globals';
import { rateLimitedMessage } from '../../src/auth/upstream-errors.js';

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

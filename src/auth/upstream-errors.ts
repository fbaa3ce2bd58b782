/**
 * Why an upstream (Okta) sign-in failed. `message` is safe to show the user and to audit: it never contains
 * a token, a secret or text Okta sent back.
 */
export type UpstreamFailure =
  | 'okta-unreachable'   // network, TLS, timeout
  | 'okta-error'         // Okta refused (token endpoint 4xx, an error redirect)
  | 'okta-server-error'  // Okta answered 5xx: try again later
  | 'okta-bad-response'  // not the JSON we expect
  | 'okta-rate-limited'
  | 'id-token-invalid'   // signature, issuer, audience, expiry, nonce
  | 'userinfo-mismatch';

export class UpstreamError extends Error {
  constructor(
    readonly kind: UpstreamFailure,
    message: string,
    readonly oktaError?: string,
    /** For okta-rate-limited: seconds until the tenant's Okta may be asked again. */
    readonly retryAfterS?: number,
  ) {
    super(message);
  }
}

/** What a user is told while their company's Okta is rate-limiting us (HTTP 429). */
export function rateLimitedMessage(retryAfterS: number | undefined): string {
  const wait = retryAfterS && retryAfterS > 0 ? (retryAfterS < 90 ? `about ${retryAfterS} seconds` : `about ${Math.ceil(retryAfterS / 60)} minutes`) : 'a minute';
  return `Your company's Okta is limiting sign-in requests right now. Please wait ${wait} and try again.`;
}

/**
 * Why an upstream (Okta) sign-in failed. `message` is safe to show the user and to audit: it never contains
 * a token, a secret or text Okta sent back.
 */
export type UpstreamFailure =
  | 'okta-unreachable'   // network, TLS, timeout
  | 'okta-error'         // Okta answered an error (token endpoint refusal, 5xx)
  | 'okta-bad-response'  // not the JSON we expect
  | 'okta-rate-limited'
  | 'id-token-invalid'   // signature, issuer, audience, expiry, nonce
  | 'userinfo-mismatch';

export class UpstreamError extends Error {
  constructor(
    readonly kind: UpstreamFailure,
    message: string,
    readonly oktaError?: string,
  ) {
    super(message);
  }
}

import type { OutboundError } from '../common/http/outbound-http.js';

/**
 * Why an upstream (Okta) sign-in failed. `message` is safe to show the user and to audit: it never contains
 * a token, a secret or text Okta sent back.
 */
export type UpstreamFailure =
  | 'okta-unreachable'   // network, TLS, timeout
  | 'okta-error'         // Okta refused (token endpoint 4xx with a refusal code, an error redirect)
  | 'okta-server-error'  // Okta answered 5xx, or its own server_error / temporarily_unavailable: try again later
  | 'okta-unexpected'    // neither tokens, a refusal nor an outage (a 404 page, a 302, an unexpected code; UserInfo refused)
  | 'okta-bad-response'  // an answer this service cannot use: not JSON, too large, tokens or a key set malformed
  | 'okta-rate-limited'
  | 'id-token-invalid'   // signature, issuer, audience, expiry, nonce
  | 'issuer-mismatch'    // the callback's iss (RFC 9207) is not the tenant's Okta issuer, or is missing where Okta promises it
  | 'callback-tampered'; // the callback repeats code, error or iss (RFC 6749 §3.1): tampered on its way through the browser
// (UserInfo about another subject than the ID token is refused by provisioning, as access_denied, not here.)

/**
 * What Okta's token endpoint refused, read from its error code and description (which are never passed on):
 * the password grant answers the app differently for each.
 */
export type OktaRefusal =
  | 'invalid-credentials' // invalid_grant: wrong username or password
  | 'locked'              // invalid_grant: the Okta user is locked out
  | 'mfa-required'        // the sign-on policy needs a second factor, which a password grant cannot give
  | 'policy-denied'       // access_denied: the sign-on policy refused
  | 'grant-not-allowed'   // unauthorized_client / unsupported_grant_type: the tenant's Okta app does not allow it
  | 'client-auth'         // invalid_client: our credentials at the tenant's Okta are wrong
  | 'scope';              // invalid_scope: the authorization server lacks a scope we ask for

export function classifyRefusal(code: string | undefined, description: unknown): OktaRefusal | undefined {
  const d = typeof description === 'string' ? description.slice(0, 500) : '';
  switch (code) {
    case 'invalid_grant':
      if (/lock/i.test(d)) return 'locked';
      if (/multi-?factor|\bmfa\b|second factor|factor enrollment/i.test(d)) return 'mfa-required';
      return 'invalid-credentials';
    case 'access_denied':
      return /multi-?factor|\bmfa\b/i.test(d) ? 'mfa-required' : 'policy-denied';
    case 'unauthorized_client':
    case 'unsupported_grant_type':
      return 'grant-not-allowed';
    case 'invalid_client':
      return 'client-auth';
    case 'invalid_scope':
      return 'scope';
    default:
      return undefined;
  }
}

/**
 * An error code Okta sent, fit to be named in a message and passed on: only the characters registered OAuth error
 * codes are made of (letters, digits, `_`, `-`, `.`; RFC 6749 §11.4), at most 64. RFC 6749's ABNF allows more
 * (spaces, `<`, `"`...), which this service never shows; such a code is not named at all rather than mangled.
 */
export function oktaErrorCode(value: unknown): string | undefined {
  return typeof value === 'string' && /^[A-Za-z0-9_.-]{1,64}$/.test(value) ? value : undefined;
}

/**
 * How a failed sign-in at the tenant's Okta reaches the app, one rule for the browser flow and the password grant;
 * every UpstreamFailure kind is sorted here explicitly (a new kind does not compile until it is):
 * - refused: Okta refused the user (or ended the sign-in with a refusal); only this is access_denied (invalid_grant);
 * - unavailable: an outage (unreachable, rate limiting, 5xx, Okta's own temporarily_unavailable or, at the token
 *   endpoint, server_error): temporarily_unavailable;
 * - failed: an unexpected condition at Okta (RFC 6749 §4.1.2.1's server_error): Okta refusing this service's own
 *   configuration, answering neither tokens, a refusal nor an outage (a 404 or 403 page, a redirect, an error without
 *   an OAuth code, UserInfo refused after Okta issued the token), or answering what this service cannot use
 *   (okta-bad-response: not JSON, too large, tokens missing or malformed, a key set or document that cannot be used):
 *   server_error;
 * - untrusted: an answer that failed this service's security checks, which may be an attack or a misconfiguration of
 *   trust (an ID token's signature, iss, aud, exp or nonce; the callback's iss, RFC 9207; a callback with a parameter
 *   repeated): the browser flow says access_denied (this service denies it), the
 *   password grant server_error (README, Faults).
 */
export type UpstreamVerdict = 'refused' | 'unavailable' | 'failed' | 'untrusted';

export function upstreamVerdict(e: UpstreamError): UpstreamVerdict {
  switch (e.kind) {
    case 'okta-unreachable':
    case 'okta-rate-limited':
    case 'okta-server-error':
      return 'unavailable';
    case 'okta-unexpected':
    case 'okta-bad-response':
      return 'failed';
    case 'id-token-invalid':
    case 'issuer-mismatch':
    case 'callback-tampered':
      return 'untrusted';
    case 'okta-error':
      // Okta's outage codes on its error redirect reach the app as themselves (RFC 6749 §4.1.2.1).
      if (e.oktaError === 'temporarily_unavailable') return 'unavailable';
      if (e.oktaError === 'server_error') return 'failed';
      if (e.refusal === 'client-auth' || e.refusal === 'scope' || e.refusal === 'grant-not-allowed') return 'failed';
      return 'refused';
    default:
      return unsorted(e.kind);
  }
}

function unsorted(kind: never): never {
  throw new Error(`Upstream failure kind not sorted: ${String(kind)}`);
}

export class UpstreamError extends Error {
  constructor(
    readonly kind: UpstreamFailure,
    message: string,
    readonly oktaError?: string,
    /** For okta-rate-limited: seconds until the tenant's Okta may be asked again. */
    readonly retryAfterS?: number,
    /** For a refused token request: what kind of refusal (the password grant answers each differently). */
    readonly refusal?: OktaRefusal,
  ) {
    super(message);
  }
}

/**
 * What the user and the app are told when the tenant's Okta refuses this service's own client credentials
 * (invalid_client): the tenant's configuration here is wrong, which no retry and no other password fixes.
 */
export const CLIENT_CREDENTIALS_REFUSED = "Your company's Okta refused this service's client credentials: your company's sign-in configuration is wrong. Contact your administrator.";

/** What a user is told while their company's Okta is rate-limiting us (HTTP 429). */
export function rateLimitedMessage(retryAfterS: number | undefined): string {
  const wait = retryAfterS && retryAfterS > 0 ? (retryAfterS < 2 ? 'a second' : retryAfterS < 90 ? `about ${retryAfterS} seconds` : `about ${Math.ceil(retryAfterS / 60)} minutes`) : 'a minute';
  return `Your company's Okta is limiting sign-in requests right now. Please wait ${wait} and try again.`;
}

/**
 * RFC 9207 §2.4 on Okta's callback: an `iss` naming another issuer is not this tenant's Okta (a mix-up); none at
 * all is refused too where the tenant's discovery document promises one (authorization_response_iss_parameter_supported).
 * Checked before the code is exchanged.
 */
export function callbackIssuerProblem(iss: unknown, okta: { issuer: string; endpoints: { issParameter?: boolean } }): UpstreamError | undefined {
  if (iss === undefined) {
    return okta.endpoints.issParameter ? new UpstreamError('issuer-mismatch', "The sign-in answer did not say which Okta it came from (iss), though your company's Okta always does.") : undefined;
  }
  if (iss !== okta.issuer) return new UpstreamError('issuer-mismatch', "The sign-in answer did not come from your company's Okta: it names another issuer (iss).");
  return undefined;
}

/**
 * A call to the tenant's Okta that produced no usable HTTP answer (OutboundError), as the user is told it:
 * `what` completes "for ..." ("the UserInfo request", "its signing keys"). An answer over OUTBOUND_MAX_BYTES
 * did reach us: Okta answered with something it should not have sent, not an outage.
 */
export function fromOutbound(e: OutboundError, what: string): UpstreamError {
  if (e.kind === 'rate-limited') return new UpstreamError('okta-rate-limited', rateLimitedMessage(e.retryAfterS), undefined, e.retryAfterS);
  if (e.kind === 'too-large') return new UpstreamError('okta-bad-response', `Your company's Okta sent an answer larger than ${e.limitBytes} bytes for ${what}.`);
  return new UpstreamError('okta-unreachable', `Your company's Okta could not be reached for ${what}: ${e.message}`);
}

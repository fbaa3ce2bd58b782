/** The characters an error_description may hold (RFC 6749 §4.1.2.1 and §5.2, RFC 6750 §3): %x20-21 / %x23-5B / %x5D-7E. */
const OUTSIDE_DESCRIPTION = /[^\x20\x21\x23-\x5B\x5D-\x7E]/gu;
/** Ours are a sentence or two; a description echoing the request is cut here, whatever its call site bounded. */
export const MAX_DESCRIPTION = 400;

/**
 * A description as an OAuth error may carry it: every other character (a quote, a backslash, a TAB, any non-ASCII
 * one, each code point once) replaced by '?', and at most MAX_DESCRIPTION characters, the cut marked with '...'.
 */
export function oauthDescription(text: string): string {
  const safe = text.replace(OUTSIDE_DESCRIPTION, '?');
  return safe.length <= MAX_DESCRIPTION ? safe : `${safe.slice(0, MAX_DESCRIPTION - 3)}...`;
}

/**
 * One class per OAuth 2.0 / OIDC error code (RFC 6749 §4.1.2.1 and §5.2, RFC 6750 §3.1, OIDC Core §3.1.2.6).
 * `description` is always safe to show: it never carries a secret, a token or upstream text, and it is made safe
 * here for error_description (oauthDescription), so no call site that echoes a parameter can send what the RFCs forbid.
 */
export abstract class OAuthError extends Error {
  abstract readonly error: string;
  readonly status: number = 400;
  readonly description: string;
  constructor(description: string) {
    const safe = oauthDescription(description);
    super(safe);
    this.description = safe;
  }
}

export class InvalidRequest extends OAuthError { readonly error = 'invalid_request'; }
export class InvalidClient extends OAuthError { readonly error = 'invalid_client'; override readonly status = 401; }
export class InvalidGrant extends OAuthError { readonly error = 'invalid_grant'; }
export class UnauthorizedClient extends OAuthError { readonly error = 'unauthorized_client'; }
export class UnsupportedGrantType extends OAuthError { readonly error = 'unsupported_grant_type'; }
export class UnsupportedResponseType extends OAuthError { readonly error = 'unsupported_response_type'; }
export class InvalidScope extends OAuthError { readonly error = 'invalid_scope'; }
export class AccessDenied extends OAuthError { readonly error = 'access_denied'; override readonly status = 403; }
export class LoginRequired extends OAuthError { readonly error = 'login_required'; }
export class ServerError extends OAuthError { readonly error = 'server_error'; override readonly status = 500; }
export class TemporarilyUnavailable extends OAuthError { readonly error = 'temporarily_unavailable'; override readonly status = 503; }
export class SlowDown extends OAuthError { readonly error = 'slow_down'; override readonly status = 429; }
/** RFC 6750: a bearer token that is missing, expired, revoked or for another audience. */
export class InvalidToken extends OAuthError { readonly error = 'invalid_token'; override readonly status = 401; }
/**
 * RFC 6750 §3.1: a request with no authentication at all (no Authorization header, or another scheme) gets a
 * challenge without an error code; `invalid_token` is for a token that was sent and is bad.
 */
export class MissingToken extends InvalidToken {}
export class InsufficientScope extends OAuthError { readonly error = 'insufficient_scope'; override readonly status = 403; }

/**
 * The authorization response as the redirect back to the app's redirect_uri (RFC 6749 §4.1.2 and §4.1.2.1):
 * `code` or `error`/`error_description`, the app's `state`, and always `iss`, this service's issuer (RFC 9207 §2:
 * in error responses too). Every redirect to a client's redirect_uri is built here.
 */
export function authorizationResponse(redirectUri: string, issuer: string, params: Record<string, string | undefined>): string {
  return withParams(redirectUri, { ...params, iss: issuer });
}

/**
 * A registered redirect URI with parameters added (authorization responses, the return after sign-out): appended
 * to its query as it was written (RFC 6749 §3.1.2: retained), not re-encoded through URLSearchParams, which would
 * turn a registered `?flag&x=~` into `?flag=&x=%7E`. Undefined values are left out.
 */
export function withParams(uri: string, params: Record<string, string | undefined>): string {
  const url = new URL(uri);
  const added = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value !== undefined) added.set(name, value);
  if (added.size === 0) return url.toString();
  url.search = url.search ? `${url.search.slice(1)}&${added}` : added.toString();
  return url.toString();
}

/**
 * An authorization-endpoint error once the client and its redirect_uri are known to be genuine:
 * the user agent is sent back to the app with the error (RFC 6749 §4.1.2.1).
 */
export class AuthorizationRedirectError extends Error {
  constructor(
    override readonly cause: OAuthError,
    readonly redirectUri: string,
    readonly state: string | undefined,
    /** This service's issuer, for `iss` (RFC 9207). */
    readonly issuer: string,
  ) {
    super(cause.description);
  }

  location(): string {
    return authorizationResponse(this.redirectUri, this.issuer, { error: this.cause.error, error_description: this.cause.description, state: this.state });
  }
}

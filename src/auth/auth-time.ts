import type { PendingAuthorization } from '../oauth/authorization-request.js';

/**
 * auth_time between the tenant's Okta and the app (OIDC Core §2 and §3.1.2.1). Pure rules; the callback applies them.
 *
 * - What this service passes on is only what Okta vouched for. When Okta sends no auth_time and nothing required
 *   one, the authentication time is unknown: our tokens carry no auth_time (it is OPTIONAL unless max_age or an
 *   essential auth_time claim was requested, and we support neither without going to Okta), and the SSO session
 *   records it as unknown, so a later request with max_age goes back to Okta instead of being answered from it.
 *   (Okta's own `iat` is not used instead: it says when the token was issued, which may be long after the user
 *   last entered a password, and it would make an old Okta session look fresh.)
 * - After prompt=login or max_age was sent to Okta, Okta's auth_time is required and must be recent enough; also
 *   after a fresh sign-in this service asked for itself (`reauthenticate`: a hint named another user), or Okta may
 *   have answered with the previous user's session.
 */

/** Okta's auth_time, if it is a time we can pass on: whole seconds since the epoch, not in the future beyond the skew. */
export function oktaAuthTime(claim: unknown, now: number, skewS: number): number | undefined {
  return typeof claim === 'number' && Number.isSafeInteger(claim) && claim > 0 && claim <= now + skewS ? claim : undefined;
}

/**
 * Whether Okta's authentication answers what was sent to it: after prompt=login (and max_age=0, read the same way
 * at /oauth2/authorize) it must not be older than the moment the user was sent to Okta; after max_age=N, at most N
 * seconds older than that moment (the age the app asked about, at the time it asked); both with the ID token clock
 * skew, since auth_time is Okta's clock and the moment ours. Undefined when it does, or nothing was asked.
 */
export function authTimeProblem(request: Pick<PendingAuthorization, 'prompt' | 'maxAge' | 'reauthenticate'>, sentAt: number, authTime: number | undefined, skewS: number): 'unknown' | 'too-old' | undefined {
  const fresh = request.prompt === 'login' || request.maxAge === 0 || request.reauthenticate !== undefined;
  if (!fresh && request.maxAge === undefined) return undefined;
  if (authTime === undefined) return 'unknown';
  const notBefore = sentAt - (fresh ? 0 : request.maxAge!) - skewS;
  return authTime < notBefore ? 'too-old' : undefined;
}

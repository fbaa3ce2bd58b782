import { createHmac } from 'node:crypto';
import type { Request } from 'express';
import { readCookie, cookieName } from '../auth/cookies.js';
import { safeEqual } from '../common/crypto/tokens.js';
import { ProblemError } from '../common/errors/problem.js';
import type { AppConfig } from '../config/app-config.js';

/**
 * The console's browser session, as the admin API sees it. A session is an admin credential of kind
 * `session` (admin_credentials, parent = the API token it was opened with: revoking the token ends it),
 * carried in an HttpOnly, SameSite=Lax cookie (Secure and `__Host-` under https). Because a cookie is sent
 * by the browser on its own, every state-changing request made with it must also prove it comes from the
 * console itself:
 * - `X-CSRF-Token`: a synchronizer token derived from the session token (HMAC), so any instance can check
 *   it without storing it; the console reads it from GET /console/api/session (same-origin JSON only);
 * - `Origin` (sent by browsers on every POST/PUT/PATCH/DELETE) must be this service's PUBLIC_URL origin,
 *   and `Sec-Fetch-Site`, when the browser sends it, must be `same-origin`.
 */
export const CONSOLE_COOKIE = 'iqsso_console';
export const SESSION_TOKEN_PREFIX = 'iqsso_cs_';
export const CSRF_HEADER = 'x-csrf-token';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function consoleCookieName(config: AppConfig): string {
  return cookieName(config, CONSOLE_COOKIE);
}

/** The session token the browser sent, if any (the cookie's value; never from a header). */
export function consoleSessionToken(req: Request, config: AppConfig): string | undefined {
  const value = readCookie(req, consoleCookieName(config));
  return value && value.startsWith(SESSION_TOKEN_PREFIX) ? value : undefined;
}

/** The synchronizer token of a session: bound to it, unguessable without it, and not a way back to it. */
export function csrfTokenFor(sessionToken: string): string {
  return createHmac('sha256', sessionToken).update('iqsso console csrf v1').digest('base64url');
}

/** Origin and fetch-metadata checks for a state-changing browser request (also used by the sign-in itself). */
export function assertSameOrigin(req: Request, config: AppConfig): void {
  const origin = req.headers.origin;
  const expected = new URL(config.publicUrl).origin;
  if (origin !== expected) {
    throw new ProblemError(403, 'Forbidden', 'This request did not come from the console (its Origin is missing or is another site).', undefined, '/problems/csrf');
  }
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin') {
    throw new ProblemError(403, 'Forbidden', 'This request did not come from the console (cross-site request).', undefined, '/problems/csrf');
  }
}

/** Refuses a cookie-authenticated state-changing request that lacks the console's proof of origin. */
export function assertConsoleRequest(req: Request, config: AppConfig, sessionToken: string): void {
  if (SAFE_METHODS.has(req.method)) return;
  assertSameOrigin(req, config);
  const sent = req.headers[CSRF_HEADER];
  if (typeof sent !== 'string' || !safeEqual(sent, csrfTokenFor(sessionToken))) {
    throw new ProblemError(403, 'Forbidden', 'The console request is missing its anti-forgery token; reload the console and try again.', undefined, '/problems/csrf');
  }
}

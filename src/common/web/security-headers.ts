import type { RequestHandler } from 'express';
import helmet from 'helmet';
import type { AppConfig } from '../../config/app-config.js';
import { isLoopbackIpRedirect, isPlainHost } from '../http/host-name.js';

/** The policy of every page this service renders: no scripts, no framing, no base, forms to itself (widened per page by pageCsp). */
const PAGE_DIRECTIVES: Record<string, string[]> = {
  'default-src': ["'none'"], 'style-src': ["'unsafe-inline'"], 'img-src': ["'self'"], 'form-action': ["'self'"], 'frame-ancestors': ["'none'"], 'base-uri': ["'none'"],
};
/**
 * The console (/console, src/console): its own script and style files only — no inline script or style, no
 * eval, no other origin; it talks to this service alone (connect-src 'self').
 */
export const CONSOLE_DIRECTIVES: Record<string, string[]> = {
  'default-src': ["'none'"], 'script-src': ["'self'"], 'style-src': ["'self'"], 'img-src': ["'self'"], 'connect-src': ["'self'"],
  'form-action': ["'self'"], 'frame-ancestors': ["'none'"], 'base-uri': ["'none'"],
};
/** As helmet writes it (directives joined by ";"), so a page and any other answer carry the same header. */
export const PAGE_CSP = pageCsp();

/**
 * The pages' policy, `form-action` widened by `formTargets` (CSP source expressions). Browsers check form-action
 * against every redirect that follows a form's submission (CSP3 §6.4.1; Chromium blocks the navigation), so a
 * page whose form leads on through redirects (to the tenant's Okta, back to the app) must name where they go.
 */
export function pageCsp(formTargets: readonly string[] = []): string {
  const directives = { ...PAGE_DIRECTIVES, 'form-action': [...new Set([...PAGE_DIRECTIVES['form-action']!, ...formTargets])] };
  return Object.entries(directives).map(([k, v]) => `${k} ${v.join(' ')}`).join(';');
}

/**
 * The CSP source expression (CSP3 §2.3.1) that lets a form's redirect chain reach a URI: its origin; for a loopback
 * IP redirect URI, which matches with any port (RFC 8252 §7.3), any port; for a host CSP cannot write (an IPv6
 * literal) or that is not a plain host name (isPlainHost: a stored value is never written into the header as is),
 * its scheme; for a private-use scheme (com.iqmetrix.rq:/cb), the scheme.
 */
export function formTargetSource(uri: string): string | undefined {
  let u: URL;
  try {
    u = new URL(uri);
  } catch {
    return undefined;
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return /^[a-z][a-z0-9+.-]*:$/i.test(u.protocol) ? u.protocol : undefined;
  if (u.hostname.startsWith('[') || !isPlainHost(u.hostname)) return u.protocol;
  if (isLoopbackIpRedirect(u)) return `http://${u.hostname}:*`;
  return u.origin;
}

/**
 * Strict security headers (helmet) on every response: the pages' CSP, no framing, nosniff, no referrer,
 * same-origin opener/resource policies, HSTS when the public URL is HTTPS. The console gets CONSOLE_DIRECTIVES. The API documentation at /docs
 * (Swagger UI: its own scripts and styles) gets a CSP that allows exactly that, and nothing else.
 */
export function securityHeaders(config: AppConfig): RequestHandler {
  const common = {
    crossOriginEmbedderPolicy: false,
    crossOriginOpenerPolicy: { policy: 'same-origin' as const },
    crossOriginResourcePolicy: { policy: 'same-origin' as const },
    referrerPolicy: { policy: 'no-referrer' as const },
    frameguard: { action: 'deny' as const },
    strictTransportSecurity: config.secureCookies ? { maxAge: 31536000, includeSubDomains: true } : false,
  };
  const pages = helmet({ ...common, contentSecurityPolicy: { useDefaults: false, directives: PAGE_DIRECTIVES } });
  const docs = helmet({
    ...common,
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { 'default-src': ["'self'"], 'script-src': ["'self'"], 'style-src': ["'self'", "'unsafe-inline'"], 'img-src': ["'self'", 'data:'], 'frame-ancestors': ["'none'"], 'base-uri': ["'none'"], 'form-action': ["'self'"] },
    },
  });
  const consolePages = helmet({ ...common, contentSecurityPolicy: { useDefaults: false, directives: CONSOLE_DIRECTIVES } });
  const [forPages, forDocs, forConsole] = [pages, docs, consolePages].map(precomputed);
  return (req, res, next) =>
    (req.path === '/docs' || req.path.startsWith('/docs/') ? forDocs : req.path === '/console' || req.path.startsWith('/console/') ? forConsole : forPages)(req, res, next);
}

/**
 * What a helmet middleware does is the same for every request (no directive here depends on the request), so it
 * is run once against a recording response and replayed: the same headers, without a chain of a dozen
 * middlewares on every request (it showed in the /v1/me profile).
 */
function precomputed(middleware: RequestHandler): RequestHandler {
  const set: Array<[string, string]> = [];
  const removed: string[] = [];
  const recorder = { setHeader: (name: string, value: unknown) => set.push([name, String(value)]), removeHeader: (name: string) => removed.push(name), locals: {} };
  let called = false;
  middleware({ method: 'GET', headers: {}, url: '/' } as never, recorder as never, ((err?: unknown) => {
    if (err) throw err;
    called = true;
  }) as never);
  if (!called || !set.length) throw new Error('helmet did not set its headers synchronously');
  return (_req, res, next) => {
    for (const [name, value] of set) res.setHeader(name, value);
    for (const name of removed) res.removeHeader(name);
    next();
  };
}

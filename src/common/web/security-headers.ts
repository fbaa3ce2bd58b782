import type { RequestHandler } from 'express';
import helmet from 'helmet';
import type { AppConfig } from '../../config/app-config.js';

/** The policy of every page this service renders: no scripts, no framing, no base, forms only to itself. */
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
export const PAGE_CSP = Object.entries(PAGE_DIRECTIVES).map(([k, v]) => `${k} ${v.join(' ')}`).join(';');

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
  return (req, res, next) =>
    (req.path === '/docs' || req.path.startsWith('/docs/') ? docs : req.path === '/console' || req.path.startsWith('/console/') ? consolePages : pages)(req, res, next);
}

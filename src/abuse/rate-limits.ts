import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import { TooManyRequests } from '../common/errors/exception.filter.js';
import { isAdminPath } from '../common/web/paths.js';
import type { AppConfig } from '../config/app-config.js';

export type LimitedSurface = 'signin' | 'token' | 'admin' | 'scim';

/** Which rate limit a path counts against (none for the rest: discovery, JWKS, the apps' API, health). */
export function limitedSurface(path: string): LimitedSurface | undefined {
  if (/^\/oauth2\/(authorize|callback)\b/.test(path) || path.startsWith('/signin')) return 'signin';
  if (/^\/oauth2\/(token|revoke|introspect)\b/.test(path)) return 'token';
  if (isAdminPath(path) || path.startsWith('/console/api/')) return 'admin';
  if (path.startsWith('/scim/')) return 'scim';
  return undefined;
}

const MESSAGES: Record<LimitedSurface, string> = {
  signin: 'Too many sign-in requests from your network. Please wait a moment and try again.',
  token: 'Too many token requests from this client address; slow down.',
  admin: 'Too many admin API requests from this address; slow down.',
  scim: 'Too many SCIM requests for this tenant from this address; retry after the time in Retry-After.',
};

/** SCIM counts per tenant too: all customers' Okta orgs push from a few shared Okta addresses. */
const SCIM_TENANT = /^\/scim\/v2\/([^/]{1,100})/;
function keyOf(surface: LimitedSurface, req: Request): string {
  const ip = ipKeyGenerator(req.ip ?? req.socket.remoteAddress ?? 'unknown'); // an IPv6 client counts by its /56
  return surface !== 'scim' ? ip : `${SCIM_TENANT.exec(req.path)?.[1]?.toLowerCase() ?? ''}|${ip}`;
}

/**
 * Rate limits per client address (express-rate-limit, one-minute windows) on the sign-in, token, admin and
 * SCIM endpoints (SCIM per tenant and address), applied before the body is parsed. The counters are per instance, in memory, on purpose:
 * - they guard each instance's own capacity against a flood from one address;
 * - every secret they protect (client secrets, admin keys, codes, state) is high-entropy, so N instances
 *   allowing N times the attempts changes nothing an attacker can guess (passwords are Okta's to limit);
 * - a shared Postgres counter would add a write to every sign-in and token request: a third database
 *   round trip on the callback's hot path. A limit across instances belongs in the load balancer.
 * The client address is req.ip: the socket's, or from X-Forwarded-For only as far as TRUST_PROXY says.
 * (@nestjs/throttler was the first choice; its latest release is CommonJS requiring the ESM-only
 * @nestjs/common 12, which Jest's ESM mode cannot load.)
 */
export function rateLimits(config: AppConfig): RequestHandler {
  const limiters = Object.fromEntries(
    (Object.keys(MESSAGES) as LimitedSurface[]).map((surface) => {
      const limit = {
        signin: config.env.RATE_LIMIT_SIGNIN_PER_MIN,
        token: config.env.RATE_LIMIT_TOKEN_PER_MIN,
        admin: config.env.RATE_LIMIT_ADMIN_PER_MIN,
        scim: config.env.RATE_LIMIT_SCIM_PER_MIN,
      }[surface];
      return [surface, rateLimit({
        windowMs: 60_000,
        limit,
        standardHeaders: false,
        legacyHeaders: false,
        keyGenerator: (req: Request) => keyOf(surface, req),
        // TRUST_PROXY is the operator's statement about their proxies; nothing to second-guess here.
        validate: { trustProxy: false, xForwardedForHeader: false },
        handler: (req: Request, _res: Response, next: NextFunction) => {
          const resetTime = (req as Request & { rateLimit?: { resetTime?: Date } }).rateLimit?.resetTime;
          const retryAfterS = resetTime ? Math.max(1, Math.ceil((resetTime.getTime() - Date.now()) / 1000)) : 60;
          next(new TooManyRequests(MESSAGES[surface], retryAfterS));
        },
      })];
    }),
  ) as unknown as Record<LimitedSurface, RequestHandler>;
  return (req, res, next) => {
    const surface = limitedSurface(req.path);
    if (!surface) return next();
    limiters[surface](req, res, next);
  };
}

import type { NextFunction, Request, Response } from 'express';
import { isAppApiPath } from './paths.js';

/**
 * The apps' API answers with a person's data (200) or about the credential sent (401, 403...): no cache may keep
 * either (RFC 9111 §5.2.2.5), UserInfo's claims (OIDC Core §5.3.2) as /v1/me's user. Set before anything can
 * answer, so a refusal by the guard, the rate limits or the body parsers carries it as a 200 does.
 */
export function apiNoStore(req: Request, res: Response, next: NextFunction): void {
  if (isAppApiPath(req.path)) res.setHeader('Cache-Control', 'no-store');
  next();
}

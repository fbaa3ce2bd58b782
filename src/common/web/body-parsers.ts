import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { CSV_LIMIT_BYTES } from '../../tenants/bulk/bulk-body.js';

/** Request size bounds: JSON (admin API, bulk loads), forms (OAuth endpoints), headers (Node's default). */
export const BODY_LIMITS = { json: '2mb', urlencoded: '64kb', parameterLimit: 100 } as const;

/**
 * The body parsers, as one middleware that steps aside at once for a request without a body (a GET: most of
 * the apps' API), instead of three that each look at it. A request has a body when it says so (body-parser's
 * own rule, type-is' hasBody): Transfer-Encoding, or a Content-Length.
 */
export function bodyParsers(): RequestHandler {
  const parsers: RequestHandler[] = [
    // SCIM clients (a customer's Okta) send application/scim+json (RFC 7644 §3.1).
    express.json({ limit: BODY_LIMITS.json, type: ['application/json', 'application/scim+json'] }),
    // extended: false keeps repeated parameters as arrays, so they can be refused (RFC 6749 §3.1, §3.2).
    express.urlencoded({ extended: false, limit: BODY_LIMITS.urlencoded, parameterLimit: BODY_LIMITS.parameterLimit }),
    // CSV bulk loads (tenants/bulk): read here, so that the input guard sees them like every other body.
    express.text({ limit: CSV_LIMIT_BYTES, type: ['text/csv', 'application/csv'] }),
  ];
  return (req: Request, res: Response, next: NextFunction) => {
    if (req.headers['transfer-encoding'] === undefined && Number.isNaN(Number(req.headers['content-length']))) return next();
    let i = 0;
    const step = (err?: unknown) => (err !== undefined && err !== null ? next(err) : i < parsers.length ? parsers[i++]!(req, res, step) : next());
    step();
  };
}

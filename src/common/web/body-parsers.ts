import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { CSV_LIMIT_BYTES } from '../../tenants/bulk/bulk-body.js';
import { ProblemError } from '../errors/problem.js';
import { firstDuplicateKey } from './duplicate-keys.js';
import { isAdminPath } from './paths.js';

/** Where people write JSON by hand, and a member given twice would be read one way by them and another by us. */
const NO_DUPLICATE_MEMBERS = /^\/(admin|console\/api)(\/|$)/;
const DUPLICATE = Symbol('duplicate JSON member');

/** Whether a request carries a body (a length other than 0, or chunked), whatever its type. */
export function hasBody(req: Request): boolean {
  return req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0');
}

/** Whether a content type is a form (application/x-www-form-urlencoded, any parameters): the OAuth endpoints' bodies. */
export function isFormType(contentType: string | undefined): boolean {
  return /^application\/x-www-form-urlencoded\s*(;|$)/i.test(contentType ?? '');
}

/** Whether a request's body is a form (isFormType). */
export function isForm(req: Request): boolean {
  return isFormType(req.headers['content-type']);
}

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
    express.json({
      limit: BODY_LIMITS.json,
      type: ['application/json', 'application/scim+json'],
      verify: (req, _res, buf, encoding) => {
        if (NO_DUPLICATE_MEMBERS.test((req as Request).path)) (req as Request & { [DUPLICATE]?: string })[DUPLICATE] = firstDuplicateKey(buf.toString((encoding as BufferEncoding) || 'utf8'));
      },
    }),
    // extended: false keeps repeated parameters as arrays, so they can be refused (RFC 6749 §3.1, §3.2).
    express.urlencoded({ extended: false, limit: BODY_LIMITS.urlencoded, parameterLimit: BODY_LIMITS.parameterLimit }),
    // CSV bulk loads (tenants/bulk): read here, so that the input guard sees them like every other body.
    express.text({ limit: CSV_LIMIT_BYTES, type: ['text/csv', 'application/csv'] }),
  ];
  return (req: Request, res: Response, next: NextFunction) => {
    if (req.headers['transfer-encoding'] === undefined && Number.isNaN(Number(req.headers['content-length']))) return next();
    let i = 0;
    const done = () => next(unsupportedBody(req) ?? duplicateMember(req));
    const step = (err?: unknown) => (err !== undefined && err !== null ? next(err) : i < parsers.length ? parsers[i++]!(req, res, step) : done());
    step();
  };
}

/**
 * The admin API reads JSON, and CSV for bulk loads; SCIM reads SCIM JSON (RFC 7644 §3.1) or JSON. A body of any
 * other type (text/plain, a form, none named) would otherwise reach the handler as no body at all ("name:
 * received undefined"): 415, in the surface's form (the exception filter). A form is refused on the admin API
 * too: no admin route takes one, and a cross-site HTML form can send nothing else.
 */
const BODY_TYPES: Array<{ applies: (path: string) => boolean; type: RegExp; message: string }> = [
  { applies: isAdminPath, type: /^(application\/(json|csv)|text\/csv)\s*(;|$)/i, message: 'The admin API takes application/json bodies (and text/csv for bulk loads).' },
  { applies: (path) => path.startsWith('/scim/'), type: /^application\/(scim\+)?json\s*(;|$)/i, message: 'SCIM takes application/scim+json (or application/json) bodies.' },
];

function duplicateMember(req: Request): ProblemError | undefined {
  const field = (req as Request & { [DUPLICATE]?: string })[DUPLICATE];
  if (field === undefined) return undefined;
  return new ProblemError(400, 'Bad Request', 'The request body gives a member twice in one JSON object; give each once.', [{ field, reason: 'is given more than once in its object' }]);
}

function unsupportedBody(req: Request): ProblemError | undefined {
  if (req.headers['content-length'] === '0') return undefined;
  const rule = BODY_TYPES.find((r) => r.applies(req.path));
  if (!rule || rule.type.test(req.headers['content-type'] ?? '')) return undefined;
  return new ProblemError(415, 'Unsupported Media Type', rule.message);
}

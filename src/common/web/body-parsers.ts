import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { CSV_LIMIT_BYTES } from '../../tenants/bulk/bulk-body.js';
import { ProblemError } from '../errors/problem.js';
import { ScimError } from '../errors/scim-error.js';
import { firstDuplicateKey } from './duplicate-keys.js';
import { isAdminPath } from './paths.js';
import { recordFormEncoding } from './percent-encoding.js';
import { clipName } from '../validation/field-path.js';

/**
 * Where a member given twice would be read one way by a person or another program (a reviewer, a log, the customer's
 * Okta) and another by us: the admin API and the console, where people write JSON by hand, and SCIM, where a
 * customer's Okta writes users (RFC 7644 §3.12: invalidSyntax).
 */
const NO_DUPLICATE_MEMBERS = /^\/(admin|console\/api|scim)(\/|$)/;
const DUPLICATE = Symbol('duplicate JSON member');
const UNREADABLE = Symbol('body the duplicate check could not read');
type CheckedRequest = Request & { [DUPLICATE]?: string; [UNREADABLE]?: true };

/** The JSON types the parser reads (SCIM clients, a customer's Okta, send application/scim+json: RFC 7644 §3.1). */
const JSON_TYPES = ['application/json', 'application/scim+json'];
const JSON_TYPE = /^application\/(scim\+)?json\s*(;|$)/i;
const CHARSET = /;\s*charset\s*=\s*("?)([^";\s]*)\1/i;

/**
 * Whether a request carries a body (a length other than 0, or chunked), whatever its type: what a browser endpoint
 * that takes only forms asks. (The parsers below step aside only for a request that names no length at all; one
 * with `Content-Length: 0` still passes them, and the body-type rule takes it as empty. http-server.ts watches any
 * request that names a length.)
 */
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
    // The charset was checked first (jsonCharset): the body is UTF-8. The check never throws: body-parser would
    // answer a verify that throws with 403, which says nothing true about the request.
    express.json({
      limit: BODY_LIMITS.json,
      type: JSON_TYPES,
      verify: (req, _res, buf) => {
        if (!NO_DUPLICATE_MEMBERS.test((req as Request).path)) return;
        try {
          (req as CheckedRequest)[DUPLICATE] = firstDuplicateKey(buf.toString('utf8'));
        } catch {
          (req as CheckedRequest)[UNREADABLE] = true;
        }
      },
    }),
    // extended: false keeps repeated parameters as arrays, so they can be refused (RFC 6749 §3.1, §3.2). The raw
    // body is looked at for a parameter that is not valid percent-encoded UTF-8, which the parser keeps as sent.
    express.urlencoded({ extended: false, limit: BODY_LIMITS.urlencoded, parameterLimit: BODY_LIMITS.parameterLimit, verify: (req, _res, buf) => recordFormEncoding(req as Request, buf) }),
    // CSV bulk loads (tenants/bulk): read here, so that the input guard sees them like every other body.
    express.text({ limit: CSV_LIMIT_BYTES, type: ['text/csv', 'application/csv'] }),
  ];
  return (req: Request, res: Response, next: NextFunction) => {
    if (req.headers['transfer-encoding'] === undefined && Number.isNaN(Number(req.headers['content-length']))) return next();
    const charset = jsonCharset(req);
    if (charset) return next(charset);
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
  { applies: (path) => path.startsWith('/scim/'), type: JSON_TYPE, message: 'SCIM takes application/scim+json (or application/json) bodies.' },
];

/**
 * JSON is UTF-8 (RFC 8259 §8.1): a JSON body that says it is in another charset (utf-16, latin1) is a 415
 * (RFC 9110 §15.5.16), on every path, before anything reads it. `utf-8` in any case is taken, and `utf8` as its
 * alias (rewritten to `utf-8` for the parser, which knows only the first).
 */
function jsonCharset(req: Request): UnsupportedCharset | undefined {
  const type = req.headers['content-type'] ?? '';
  const declared = JSON_TYPE.test(type) ? CHARSET.exec(type) : null;
  if (!declared) return undefined;
  const charset = declared[2]!.toLowerCase();
  if (charset === 'utf-8') return undefined;
  if (charset === 'utf8') {
    req.headers['content-type'] = type.replace(declared[0], '; charset=utf-8');
    return undefined;
  }
  return new UnsupportedCharset(`JSON is UTF-8 (RFC 8259 section 8.1): send the body in UTF-8, with charset=utf-8 or no charset, not ${clipName(charset)}.`);
}

/**
 * A body in a charset this service does not read, shaped as body-parser's own errors (status, type, expose), so
 * AllExceptionsFilter answers it in each surface's form as it does theirs (an OAuth error at the token endpoint, a
 * page at authorize and sign-out, problem details on the API), with `detail` as the message.
 */
export class UnsupportedCharset extends Error {
  readonly status = 415;
  readonly expose = true;
  readonly type = 'charset.unsupported';
  constructor(readonly detail: string) {
    super(detail);
  }
}

function duplicateMember(req: Request): ProblemError | ScimError | undefined {
  const scim = req.path.startsWith('/scim/');
  if ((req as CheckedRequest)[UNREADABLE]) return scim ? ScimError.invalidSyntax('The request body could not be read.') : new ProblemError(400, 'Bad Request', 'The request body could not be read.');
  const field = (req as CheckedRequest)[DUPLICATE];
  if (field === undefined) return undefined;
  const detail = 'The request body gives a member twice in one JSON object; give each once.';
  if (scim) return ScimError.invalidSyntax(`${detail} (${clipName(field, 100)})`);
  return new ProblemError(400, 'Bad Request', detail, [{ field, reason: 'is given more than once in its object' }]);
}

function unsupportedBody(req: Request): ProblemError | undefined {
  if (req.headers['content-length'] === '0') return undefined;
  const rule = BODY_TYPES.find((r) => r.applies(req.path));
  if (!rule || rule.type.test(req.headers['content-type'] ?? '')) return undefined;
  return new ProblemError(415, 'Unsupported Media Type', rule.message);
}

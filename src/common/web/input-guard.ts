import type { NextFunction, Request, Response } from 'express';
import { type InputPart, MALFORMED_ENCODING, UnsafeInput } from '../errors/unsafe-input.js';
import { clipName, fieldPath, under } from '../validation/field-path.js';
import { codePoint, INVISIBLE } from '../validation/invisible.js';
import { malformedIn } from './percent-encoding.js';

/**
 * Everywhere: a NUL (Postgres refuses it in text, 22021, and in jsonb, 22P05; nothing here has a use for it), and
 * an unpaired UTF-16 surrogate (JSON's "\ud800": not Unicode, so it would be stored as U+FFFD, silently changed).
 */
const NUL = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
/** The bidirectional controls: embeddings, overrides, isolates, and the implicit marks (LRM, RLM, ALM). */
const BIDI = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/u;
/**
 * Stricter, for what people type into the admin API and the console: C0 controls other than tab, LF and CR,
 * DEL and the C1 controls; the bidirectional controls (which make a name read differently from what it is, e.g.
 * "Acme\u202Egnp.exe"); and the other invisible characters (common/validation/invisible.ts: Unicode's
 * Default_Ignorable_Code_Point set, such as U+200B, U+2060, U+FEFF, U+180E, U+2061–U+2064, U+206A–U+206F, the
 * Hangul fillers, tag characters: two names that look the same; ZWJ, ZWNJ and variation selectors stay, scripts and
 * emoji need them); with the unpaired surrogates (in a /u expression, a surrogate matches only unpaired) and NUL.
 */
const UNSAFE = new RegExp(`[\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F\\uD800-\\uDFFF]|${BIDI.source}|${INVISIBLE.source}`, 'u');

/** Where the stricter rule applies. */
const STRICT_PATHS = /^\/(admin|console\/api)(\/|$)/;
/**
 * The dry run maps a pasted claim set exactly as a sign-in would, and showing what the mapper says about a
 * control character in a claim is its purpose: only NUL (which no query can carry) is refused in its body.
 */
const CLAIM_BODIES = /^\/admin\/tenants\/[^/]+\/dry-run\/?$/;
/**
 * The authorization endpoint refuses a malformed percent-encoding itself (AuthorizeValidator), in its order: a page
 * until the client's redirect_uri is known, then a redirect back to the app (RFC 6749 §4.1.2.1).
 */
const AUTHORIZE = /^\/oauth2\/authorize\/?$/;
/** Our cookies (see auth/cookies.ts): the only ones read, so the only ones checked. */
const OUR_COOKIE = /^(__Host-)?iqsso_/;

const MAX_FIELD = 200;

/** The reason a value is refused, or undefined. */
export function unsafeCharacter(value: string, strict: boolean): string | undefined {
  const m = (strict ? UNSAFE : NUL).exec(value);
  if (!m) return undefined;
  const code = m[0].codePointAt(0)!;
  const u = codePoint(code);
  if (code === 0) return 'must not contain a NUL character (U+0000)';
  if (code >= 0xd800 && code <= 0xdfff) return `must not contain an unpaired surrogate (${u} at position ${m.index}): it is not Unicode text`;
  if (BIDI.test(m[0])) return `must not contain bidirectional text controls (${u} at position ${m.index})`;
  if (INVISIBLE.test(m[0])) return `must not contain invisible characters (${u} at position ${m.index})`;
  return `must not contain control characters (${u} at position ${m.index})`;
}

/**
 * The first refused string in a parsed body or query (any nested string, and object keys), iteratively so
 * that a deeply nested JSON body cannot exhaust the stack. Returns the field (fieldPath's form) and the reason.
 */
export function findUnsafe(root: unknown, strict: boolean): { path: string; reason: string } | undefined {
  const stack: Array<[unknown, string]> = [[root, '']];
  while (stack.length) {
    const [value, path] = stack.pop()!;
    if (typeof value === 'string') {
      const reason = unsafeCharacter(value, strict);
      if (reason) return { path, reason };
    } else if (value && typeof value === 'object') {
      const entries: Array<readonly [string | number, unknown]> = Array.isArray(value) ? value.map((v, i) => [i, v] as const) : Object.entries(value as Record<string, unknown>);
      for (let i = entries.length - 1; i >= 0; i--) {
        const [key, child] = entries[i]!;
        const reason = typeof key === 'string' ? unsafeCharacter(key, strict) : undefined;
        if (reason) return { path, reason: `has a key that ${reason}` };
        // Named as fieldPath names every field (`redirectUris[0]`).
        const name = fieldPath([key]);
        stack.push([child, path ? under(path, name) : name]);
      }
    }
  }
  return undefined;
}

const fieldName = (path: string, none: string) => clipName(path || none, MAX_FIELD);

function checkParsed(part: InputPart, value: unknown, strict: boolean, none: string): void {
  const found = findUnsafe(value, strict);
  if (found) throw new UnsafeInput(part, fieldName(found.path, none), found.reason);
}

function decodeOr(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw; // not valid percent-encoding: the handlers refuse it on their own
  }
}

/** A path segment decoded as the router decodes a parameter; one that does not decode is refused here, not by Express. */
function decodePathSegment(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new UnsafeInput('path', '(path)', MALFORMED_ENCODING);
  }
}

/** What a client authenticates with in HTTP Basic (RFC 6749 §2.3.1: base64 of form-encoded id and secret). */
function checkBasic(authorization: string | undefined): void {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization ?? '');
  if (!m) return;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const plain = decodeOr(decoded.replace(/\+/g, '%20'));
  if (NUL.test(decoded) || NUL.test(plain)) throw new UnsafeInput('header', 'Authorization', 'must not carry client credentials with a NUL character (U+0000)');
}

function checkCookies(header: string | undefined): void {
  if (!header) return;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i <= 0) continue;
    const name = part.slice(0, i).trim();
    if (OUR_COOKIE.test(name) && NUL.test(decodeOr(part.slice(i + 1).trim()))) throw new UnsafeInput('cookie', clipName(name, 60), 'must not contain a NUL character (U+0000)');
  }
}

/**
 * Refuses, before any handler runs, input that carries a NUL anywhere (path, query, form, JSON and CSV bodies,
 * the Basic credentials and our cookies), and on /admin and /console/api also other control and bidi
 * characters; and a query or form parameter that is not valid percent-encoded UTF-8 (but at /oauth2/authorize).
 * Registered after the body parsers (bootstrap.ts); AllExceptionsFilter renders the UnsafeInput.
 */
export function inputGuard(req: Request, _res: Response, next: NextFunction): void {
  try {
    const strict = STRICT_PATHS.test(req.path);
    // A NUL in a URL can only arrive percent-encoded (Node refuses a raw one in the request line); a segment that
    // does not decode is refused for every route alike. Without a '%', decoding changes nothing: the path is
    // checked as it is (the common case, one test).
    const segments = req.path.includes('%') ? req.path.split('/').map(decodePathSegment) : [req.path];
    for (const s of segments) {
      const reason = unsafeCharacter(s, strict);
      if (reason) throw new UnsafeInput('path', '(path)', reason);
    }
    if (!AUTHORIZE.test(req.path)) {
      for (const part of ['query', 'body'] as const) {
        const [name] = malformedIn(req, part);
        if (name !== undefined) throw new UnsafeInput(part, clipName(name) || `(${part})`, MALFORMED_ENCODING);
      }
    }
    checkParsed('query', req.query, strict, '(query)');
    if (typeof req.body === 'string') {
      // A text body (a CSV bulk load): name the line, as the load's report does. A leading byte order mark is
      // how spreadsheet programs start UTF-8 files, not text (bulk-body.ts drops it).
      const text = req.body.startsWith('\uFEFF') ? req.body.slice(1) : req.body;
      const reason = unsafeCharacter(text, strict);
      if (reason) {
        const at = (strict ? UNSAFE : NUL).exec(text)!.index;
        const line = text.slice(0, at).split('\n').length;
        throw new UnsafeInput('body', `(line ${line})`, reason.replace(/ at position \d+\)$/, ')'));
      }
    } else if (req.body && typeof req.body === 'object') {
      checkParsed('body', req.body, strict && !CLAIM_BODIES.test(req.path), '(body)');
    }
    checkBasic(req.headers.authorization);
    checkCookies(req.headers.cookie);
    next();
  } catch (e) {
    next(e);
  }
}

import type { Request } from 'express';
import { unescape } from 'node:querystring';

const FORM_MALFORMED = Symbol('form parameter that is not valid percent-encoded UTF-8');
type Recorded = Request & { [FORM_MALFORMED]?: string };

function decodes(s: string): boolean {
  try {
    decodeURIComponent(s);
    return true;
  } catch {
    return false;
  }
}

/**
 * The first parameter of a form-encoded text (a query string, a form body) whose name or value does not decode
 * (RFC 3986 §2.1, RFC 3629): a `%` without two hex digits, or bytes that are not UTF-8 (`%ED%A0%80`, an encoded
 * surrogate; `%C3` alone). Express' query parser reads such a value with U+FFFD in place of the bytes, the form
 * parser leaves it as sent: either way the value read is not the one meant, and a state echoed back would differ
 * from the app's. Named as far as the name can be read (at most 40 characters).
 */
export function malformedParameter(raw: string): string | undefined {
  if (!raw.includes('%')) return undefined;
  for (const pair of raw.split('&')) {
    if (!pair.includes('%')) continue;
    const eq = pair.indexOf('=');
    const key = eq < 0 ? pair : pair.slice(0, eq);
    if (!decodes(key) || (eq >= 0 && !decodes(pair.slice(eq + 1)))) return unescape(key.replace(/\+/g, ' ')).slice(0, 40);
  }
  return undefined;
}

/** For the form parser's `verify`: the raw body, before it is decoded. */
export function recordFormEncoding(req: Request, body: Buffer): void {
  (req as Recorded)[FORM_MALFORMED] = malformedParameter(body.toString('utf8'));
}

/** The first malformed parameter of the request's query string, or of its form body (as recorded by the parser). */
export function malformedIn(req: Request, part: 'query' | 'body'): string | undefined {
  if (part === 'body') return (req as Recorded)[FORM_MALFORMED];
  const url = req.originalUrl ?? req.url;
  const q = url.indexOf('?');
  return q < 0 ? undefined : malformedParameter(url.slice(q + 1));
}

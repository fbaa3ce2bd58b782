import type { Request } from 'express';
import { isUtf8 } from 'node:buffer';
import { unescape } from 'node:querystring';

const FORM_MALFORMED = Symbol('form parameters that are not valid percent-encoded UTF-8');
type Recorded = Request & { [FORM_MALFORMED]?: string[] };

/** Whether one name or value, as sent (its bytes, latin1 string), is UTF-8 and its percent-encoding decodes to UTF-8. */
function readable(sent: string): boolean {
  const bytes = Buffer.from(sent, 'latin1');
  if (!isUtf8(bytes)) return false;
  try {
    decodeURIComponent(bytes.toString('utf8'));
    return true;
  } catch {
    return false;
  }
}

/**
 * Every parameter of a form-encoded text (a query string, a form body) whose name or value does not read as UTF-8
 * text (RFC 3986 §2.1, RFC 3629): a `%` without two hex digits, percent-encoded bytes that are not UTF-8
 * (`%ED%A0%80`, an encoded surrogate; `%C3` alone), or raw bytes that are not (a form body in Latin-1). Express'
 * query parser reads such a value with U+FFFD in place of the bytes, the form parser leaves a bad `%` as sent: either
 * way the value read is not the one meant, and a state echoed back would differ from the app's. Every one, not only
 * the first: what is left is read as if fine. Named as the parsers name them (U+FFFD for what does not decode), in
 * the order sent. (Node refuses raw bytes above 0x7F in the request line, so only a body can carry them.)
 */
export function malformedParameters(raw: Buffer | string): string[] {
  const bytes = typeof raw === 'string' ? Buffer.from(raw) : raw;
  // The common case, one pass: UTF-8 text whose percent-encoding decodes as a whole decodes pair by pair too (a
  // '&' between two escapes ends a run, so a run that decodes lies within one name or value).
  if (!bytes.includes(0x25) ? isUtf8(bytes) : readable(bytes.toString('latin1'))) return [];
  const names: string[] = [];
  for (const pair of bytes.toString('latin1').split('&')) {
    const eq = pair.indexOf('=');
    const key = eq < 0 ? pair : pair.slice(0, eq);
    if (!readable(key) || (eq >= 0 && !readable(pair.slice(eq + 1)))) names.push(unescape(Buffer.from(key, 'latin1').toString('utf8').replace(/\+/g, ' ')));
  }
  return names;
}

/** For the form parser's `verify`: the raw body, before it is decoded. */
export function recordFormEncoding(req: Request, body: Buffer): void {
  (req as Recorded)[FORM_MALFORMED] = malformedParameters(body);
}

/** The malformed parameters of the request's query string, or of its form body (as recorded by the parser). */
export function malformedIn(req: Request, part: 'query' | 'body'): string[] {
  if (part === 'body') return (req as Recorded)[FORM_MALFORMED] ?? [];
  const url = req.originalUrl ?? req.url;
  const q = url.indexOf('?');
  return q < 0 ? [] : malformedParameters(url.slice(q + 1));
}

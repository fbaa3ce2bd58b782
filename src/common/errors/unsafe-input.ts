/** Where in a request a refused character was found. */
export type InputPart = 'path' | 'query' | 'body' | 'header' | 'cookie';

/** Why a parameter whose percent-encoding does not decode to UTF-8 text is refused (common/web/percent-encoding.ts). */
export const MALFORMED_ENCODING = 'is not valid percent-encoded UTF-8';

/**
 * A request whose input carries a character this service refuses to handle: a NUL (U+0000, which Postgres
 * cannot store) anywhere, or — on the admin API and the console — other control characters and bidirectional
 * text controls; or a path segment or parameter whose percent-encoding is not UTF-8 (MALFORMED_ENCODING: a '%'
 * without two hex digits, or bytes that are not UTF-8). Raised by the input guard (common/web/input-guard.ts)
 * before any handler or route runs; rendered by AllExceptionsFilter as a 400 in each surface's own form. `field`
 * names where (never the value).
 */
export class UnsafeInput extends Error {
  constructor(
    readonly part: InputPart,
    /** The parameter name or dotted body path (`locations.1.name`); `(path)`, `(body)` when there is none. */
    readonly field: string,
    /** e.g. "must not contain a NUL character (U+0000)". */
    readonly reason: string,
  ) {
    super(`${field}: ${reason}`);
  }

  /** One sentence for OAuth error descriptions, pages and SCIM details. */
  sentence(): string {
    const label =
      this.part === 'path' ? 'The request path'
      : this.part === 'header' ? `The ${this.field} header`
      : this.part === 'cookie' ? `Cookie ${this.field}`
      : this.field === '(body)' ? 'The request body'
      : this.field === '(query)' ? 'The query string'
      : this.field.startsWith('(line ') ? `Line ${this.field.slice(6, -1)} of the request body`
      : this.field;
    return `${label} ${this.reason}.`;
  }

  /** The problem-details `detail` for the REST API. */
  detail(): string {
    const where = this.part === 'header' ? `${this.field} header` : this.part === 'cookie' ? 'cookies' : this.part;
    return this.reason === MALFORMED_ENCODING ? `The request ${where} ${MALFORMED_ENCODING}.` : `The request ${where} contains a character that is not allowed.`;
  }
}

/** What a refused database write says when the backstop (invalid text reached Postgres) is what caught it. */
export const UNSTORABLE_TEXT = 'The request contains characters that cannot be stored (such as a NUL character).';


import { STATUS_CODES } from 'node:http';

/** RFC 9110 §15's names where Node's table still has the older ones (RFC 7231's "Payload Too Large"...). */
const RFC9110_PHRASES: Readonly<Record<number, string>> = { 413: 'Content Too Large', 422: 'Unprocessable Content' };

/** The recommended phrase of an HTTP status code (RFC 9110 §15): what an about:blank problem's title is. */
export function statusPhrase(status: number): string {
  return RFC9110_PHRASES[status] ?? STATUS_CODES[status] ?? (status >= 500 ? 'Internal Server Error' : 'Bad Request');
}

/** A REST API error, rendered as RFC 9457 problem details (application/problem+json). */
export interface FieldProblem {
  field: string;
  reason: string;
}

export class ProblemError extends Error {
  /**
   * With `type` about:blank, the status code's phrase whatever `title` says (RFC 9457 §4.2.1: "Not Found" for
   * every 404, so a client can rely on it); a specific `type` (/problems/validation...) keeps its own title.
   */
  readonly title: string;

  constructor(
    readonly status: number,
    title: string,
    readonly detail?: string,
    readonly errors?: FieldProblem[],
    readonly type = 'about:blank',
    /** A 401's WWW-Authenticate challenge (RFC 9110 §11.6.1): what the refused route accepts, nothing about the request. */
    readonly challenge?: string,
  ) {
    super(detail ?? title);
    this.title = type === 'about:blank' ? statusPhrase(status) : title;
  }

  static validation(errors: FieldProblem[], detail = 'The request has invalid fields.'): ProblemError {
    return new ProblemError(422, 'Validation failed', detail, errors, '/problems/validation');
  }
  static notFound(what: string): ProblemError {
    return new ProblemError(404, 'Not Found', `${what} does not exist.`);
  }
  static conflict(detail: string, errors?: FieldProblem[]): ProblemError {
    return new ProblemError(409, 'Conflict', detail, errors, '/problems/conflict');
  }
  static unauthorized(detail = 'A valid credential is required.', challenge?: string): ProblemError {
    return new ProblemError(401, 'Unauthorized', detail, undefined, undefined, challenge);
  }
}

/** A failure on a page the user's browser shows (sign-in pages): rendered as a plain, safe HTML page. */
export class BrowserError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
  ) {
    super(detail);
  }
}

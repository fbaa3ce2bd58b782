/** A REST API error, rendered as RFC 9457 problem details (application/problem+json). */
export interface FieldProblem {
  field: string;
  reason: string;
}

export class ProblemError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail?: string,
    readonly errors?: FieldProblem[],
    readonly type = 'about:blank',
    /** A 401's WWW-Authenticate challenge (RFC 9110 §11.6.1): what the refused route accepts, nothing about the request. */
    readonly challenge?: string,
  ) {
    super(detail ?? title);
  }

  static validation(errors: FieldProblem[], detail = 'The request has invalid fields.'): ProblemError {
    return new ProblemError(422, 'Validation failed', detail, errors, '/problems/validation');
  }
  static notFound(what: string): ProblemError {
    return new ProblemError(404, 'Not found', `${what} does not exist.`);
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

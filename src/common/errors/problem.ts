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
  static unauthorized(detail = 'A valid credential is required.'): ProblemError {
    return new ProblemError(401, 'Unauthorized', detail);
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

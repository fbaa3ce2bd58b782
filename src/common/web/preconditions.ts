import type { NextFunction, Request, Response } from 'express';
import { ProblemError } from '../errors/problem.js';
import { isAdminPath } from './paths.js';

/**
 * RFC 9110 §13.1.1: a server that gets If-Match must evaluate it. The admin API gives no entity tags (its
 * concurrency control is `baseVersion`, README "Admin API"), so no tag can match the current representation: a
 * change conditioned on one is refused with 412, never done as if unconditional. `*` (any current
 * representation) holds for the admin API's resources; a missing one is the route's own 404.
 */
export function preconditions(req: Request, _res: Response, next: NextFunction): void {
  const ifMatch = req.headers['if-match'];
  if (ifMatch === undefined || !isAdminPath(req.path) || ifMatch.trim() === '*') return next();
  next(
    new ProblemError(412, 'Precondition Failed', 'The admin API gives no entity tags, so If-Match cannot match; make a change conditional with "baseVersion" (the version in force it was made from), which answers 409 if another version was put in force since.', [
      { field: 'If-Match', reason: 'no entity tag of this API can match it' },
    ]),
  );
}

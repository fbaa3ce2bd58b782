import type { z } from 'zod';
import { type FieldProblem, ProblemError } from '../errors/problem.js';

export function fieldProblems(error: z.ZodError): FieldProblem[] {
  return error.issues.map((i) => ({ field: i.path.join('.') || '(body)', reason: i.message }));
}

/** Parses a request part against a schema; a failure is a 422 problem with one reason per field. */
export function parseOrProblem<S extends z.ZodType>(schema: S, value: unknown, where = 'body'): z.infer<S> {
  const result = schema.safeParse(value ?? {});
  if (!result.success) throw ProblemError.validation(fieldProblems(result.error), `The request ${where} has invalid fields.`);
  return result.data;
}

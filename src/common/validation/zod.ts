import { z } from 'zod';
import { type FieldProblem, ProblemError } from '../errors/problem.js';
import { fieldPath } from './field-path.js';
import { blankReason } from './invisible.js';

/** One problem per zod issue, each field named by fieldPath (`config.domains[4]`); `(body)` for the body itself. */
export function fieldProblems(error: z.ZodError, whole = '(body)'): FieldProblem[] {
  return error.issues.map((i) => ({ field: fieldPath(i.path) || whole, reason: i.message }));
}

/**
 * A name or label people read in lists and logs (a tenant, a location, an app, a credential): trimmed, not
 * empty, at most `max` characters, and one line; a line break or tab in a name breaks every table it is shown in.
 * Not blank-looking either ("\u2800" reads as no name at all: invisible.ts).
 */
export function oneLine(max = 200) {
  return z.string().trim().min(1, 'must not be empty').max(max, `must be at most ${max} characters`).regex(/^[^\r\n\t]*$/, 'must be one line (no line breaks or tabs)')
    .superRefine((v, ctx) => {
      const blank = blankReason(v);
      if (blank) ctx.addIssue({ code: 'custom', message: blank });
    });
}

/** Parses a request part against a schema; a failure is a 422 problem with one reason per field. */
export function parseOrProblem<S extends z.ZodType>(schema: S, value: unknown, where = 'body'): z.infer<S> {
  if (where === 'body' && value !== undefined && (value === null || typeof value !== 'object' || Array.isArray(value)) && isObjectSchema(schema)) {
    throw new ProblemError(400, 'Bad Request', 'The request body must be a JSON object.');
  }
  const result = schema.safeParse(value ?? {});
  if (!result.success) throw ProblemError.validation(fieldProblems(result.error, `(${where})`), `The request ${where} has invalid fields.`);
  return result.data;
}

/**
 * An integer in a path or query parameter, written in plain decimal: "0x1", "1e0", " 1", "+1", "01" and ""
 * are not 1 (z.coerce.number would read them through Number()).
 */
export function decimalInt(min: number, max: number) {
  return z.string().regex(/^(0|[1-9][0-9]{0,15})$/, 'must be a whole number in decimal digits').transform(Number).pipe(z.number().int().min(min).max(max));
}

const FIRST_INSTANT = Date.parse('0001-01-01T00:00:00Z');
const END_INSTANT = Date.parse('+010000-01-01T00:00:00Z');

/**
 * A point in time in a query parameter or cursor that goes to Postgres as timestamptz: RFC 3339 with Z or an
 * offset, a four-digit year (no "-000001" or "+010000"), and an instant in the years 0001 to 9999 UTC.
 * Postgres refuses year 0000 (there is none) with a 500-worthy error, and nothing here is older or newer.
 */
export function isoInstant(example: string) {
  return z.iso
    .datetime({ offset: true, abort: true, error: `must be an ISO 8601 date-time, e.g. ${example}` })
    .refine((s) => {
      const t = Date.parse(s);
      return t >= FIRST_INSTANT && t < END_INSTANT;
    }, 'must be in the years 0001 to 9999 (UTC)');
}

/** True when `schema` validates an object (so that an array or a scalar for it is not "the body" at all). */
function isObjectSchema(schema: z.ZodType): boolean {
  return (schema as unknown as { _zod?: { def?: { type?: string } } })._zod?.def?.type === 'object';
}

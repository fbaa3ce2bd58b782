import { z } from 'zod';
import { ProblemError } from '../errors/problem.js';
import { isoInstant } from './zod.js';

/**
 * Keyset paging, newest first, for lists ordered by (a timestamptz, a uuid) descending: the provisioning audits and
 * the admin action log. A cursor is opaque to clients: base64url of the last row's (time to the microsecond, id).
 * The next page is the rows before it in that order, so rows recorded while someone pages land before the first
 * page and never shift or repeat the pages that follow, and rows sharing an instant are never skipped (paging by
 * time alone skipped them, and by a millisecond time skipped the rest of that millisecond).
 */
export function encodeCursor(at: string, id: string): string {
  return Buffer.from(JSON.stringify([at, id])).toString('base64url');
}

/** The time in a cursor is what encodeCursor wrote: UTC to the microsecond, and an instant Postgres takes. */
const cursorTime = isoInstant('2026-11-01T00:00:00.000000Z').regex(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);

/** A cursor's (time, id), or a 422 on `cursor` for anything encodeCursor did not write. */
export function decodeCursor(cursor: string): [string, string] {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(v) && v.length === 2 && cursorTime.safeParse(v[0]).success && z.uuid().safeParse(v[1]).success) return v as [string, string];
  } catch {
    /* fall through */
  }
  throw ProblemError.validation([{ field: 'cursor', reason: 'is not a cursor from this API (pass nextCursor from the previous page)' }], 'The request query has invalid fields.');
}

/** The query parameter: nextCursor of the previous page. */
export const cursorParam = z.string().max(300).describe('nextCursor of the previous page.');

/**
 * SQL for a timestamptz column as UTC to the microsecond, as cursors keep it (a JavaScript Date stops at the
 * millisecond, so a time read through one cannot page: the rest of its millisecond would be lost).
 */
export const microsecondsUtc = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

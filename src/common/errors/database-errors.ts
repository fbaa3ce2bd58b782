/** SQLSTATE classes and driver errors meaning "Postgres is not there right now" (restart, failover, network). */
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '08000', '08001', '08003', '08004', '08006', '53300']);
const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN']);
const UNAVAILABLE_MESSAGES = /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|the database system is (starting up|shutting down)|terminating connection due to administrator command/i;

/** True when `e` (a pg or TypeORM error) says the database is unavailable rather than that the query was wrong. */
export function isDatabaseUnavailable(e: unknown): boolean {
  for (let cur = e as { code?: unknown; message?: unknown; driverError?: unknown; cause?: unknown } | undefined, depth = 0; cur && depth < 4; depth++) {
    if (typeof cur.code === 'string' && (UNAVAILABLE_SQLSTATES.has(cur.code) || UNAVAILABLE_CODES.has(cur.code))) return true;
    // An error that already says so (a tenant's training database that is down: see DirectoryDatabases).
    if ((cur as { databaseUnavailable?: unknown }).databaseUnavailable === true) return true;
    if (typeof cur.message === 'string' && UNAVAILABLE_MESSAGES.test(cur.message)) return true;
    cur = (cur.driverError ?? cur.cause) as typeof cur;
  }
  return false;
}

/**
 * SQLSTATEs meaning the input held text Postgres cannot store: 22021 (invalid byte sequence, e.g. a NUL in a
 * text value) and 22P05 (unsupported Unicode escape, e.g. \u0000 in jsonb). The input guard refuses these
 * before any handler runs; this is the backstop, so that one it missed is still the client's 400, never a 500.
 */
const INVALID_TEXT_SQLSTATES = new Set(['22021', '22P05']);

export function isInvalidTextInput(e: unknown): boolean {
  for (let cur = e as { code?: unknown; driverError?: unknown; cause?: unknown } | undefined, depth = 0; cur && depth < 4; depth++) {
    if (typeof cur.code === 'string' && INVALID_TEXT_SQLSTATES.has(cur.code)) return true;
    cur = (cur.driverError ?? cur.cause) as typeof cur;
  }
  return false;
}

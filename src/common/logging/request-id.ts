import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

const WELL_FORMED = /^[A-Za-z0-9._-]{8,100}$/;

/**
 * The correlation id of a request: a well-formed X-Request-Id from the caller (a proxy's), else a new UUID.
 * Registered as the very first middleware — before the body parsers — so that even a request refused for
 * bad JSON or size has an id in its response, its log line and its error body. requestLog logs it.
 */
export function requestId(req: IncomingMessage & { id?: string }, res: ServerResponse, next: () => void): void {
  const given = req.headers['x-request-id'];
  req.id = typeof given === 'string' && WELL_FORMED.test(given) ? given : randomUUID();
  res.setHeader('X-Request-Id', req.id);
  next();
}

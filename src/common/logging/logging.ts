import type { IncomingMessage } from 'node:http';
import type { Params } from 'nestjs-pino';
import pino from 'pino';
import { existingRequestId } from './request-id.js';

/** Query parameters whose values never reach a log line. */
const secretParams = /^(code|state|nonce|code_verifier|code_challenge|password|client_secret|refresh_token|access_token|id_token|id_token_hint|token|assertion|login_hint)$/i;

export function redactUrl(url: string | undefined): string | undefined {
  if (!url) return url;
  const q = url.indexOf('?');
  if (q < 0) return url;
  const params = new URLSearchParams(url.slice(q + 1));
  for (const key of [...params.keys()]) if (secretParams.test(key)) params.set(key, '[redacted]');
  return `${url.slice(0, q)}?${params.toString()}`;
}

/** Paths of structured log records that are redacted wherever they appear. */
export const redactPaths = [
  'req.headers.authorization', 'req.headers.cookie', 'req.headers["x-admin-key"]', 'res.headers["set-cookie"]', 'res.headers.location',
  '*.password', '*.client_secret', '*.clientSecret', '*.access_token', '*.refresh_token', '*.id_token', '*.code_verifier', '*.secret',
  '*.accessToken', '*.refreshToken', '*.idToken', '*.code', '*.assertion', '*.authorization', '*.token',
];

/**
 * Keys of a database error that carry the statement's input: TypeORM's QueryFailedError keeps `parameters`
 * (nonces, PKCE verifiers, sealed secrets, token hashes…), and Postgres' `detail` ("Key (x)=(…) already exists"),
 * `where` ("unnamed portal parameter $1 = '…'") and `internalQuery` can quote values. None of them is logged;
 * the SQLSTATE, the message and the statement text (placeholders, not values) are.
 */
const SQL_VALUE_KEYS = new Set(['parameters']);
const PG_CONTEXT_KEYS = new Set(['detail', 'where', 'internalQuery']);
const isPgError = (o: Record<string, unknown>) => typeof o.code === 'string' && /^[0-9A-Z]{5}$/.test(o.code) && ('severity' in o || 'driverError' in o || 'query' in o);

/** A serialized error (and what it wraps: driverError, cause, nested errors) without any SQL parameter. */
export function scrubError(value: unknown, depth = 0): unknown {
  if (!value || typeof value !== 'object' || depth > 8) return value;
  if (Array.isArray(value)) return value.map((v) => scrubError(v, depth + 1));
  const o = value as Record<string, unknown>;
  const pg = isPgError(o);
  // `code` is redacted wherever it appears (an OAuth code, see redactPaths); a SQLSTATE is not a secret.
  const out: Record<string, unknown> = pg ? { sqlState: o.code } : {};
  for (const [k, v] of Object.entries(o)) {
    if (SQL_VALUE_KEYS.has(k) || (pg && PG_CONTEXT_KEYS.has(k))) {
      out[k] = '[redacted]';
      continue;
    }
    out[k] = v instanceof Error ? scrubError(pino.stdSerializers.err(v), depth + 1) : scrubError(v, depth + 1);
  }
  return out;
}

/** Structured JSON logs with a correlation id per request (taken from X-Request-Id when it is well-formed). */
export function loggingParams(level: string, file?: string): Params {
  return {
    pinoHttp: {
      level,
      ...(file ? { stream: pino.destination({ dest: file, append: true, mkdir: true, sync: false }) } : {}),
      // Assigned before the body parsers by requestId (bootstrap.ts); reused here.
      genReqId: existingRequestId,
      redact: { paths: redactPaths, censor: '[redacted]' },
      // Errors logged under another key than `err` are serialized (and scrubbed) the same way.
      formatters: {
        log: (obj: Record<string, unknown>) => {
          for (const [k, v] of Object.entries(obj)) if (k !== 'err' && v instanceof Error) obj[k] = scrubError(pino.stdSerializers.err(v));
          return obj;
        },
      },
      serializers: {
        // pino-http hands this the standard serialization of the error (type, message, stack, own fields).
        err: (err: unknown) => scrubError(err),
        req: (req: { id: string; method: string; url: string }) => ({ id: req.id, method: req.method, url: redactUrl(req.url) }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
      customProps: (req: IncomingMessage & { id?: unknown }) => ({ correlationId: req.id }),
      autoLogging: { ignore: (req: IncomingMessage) => req.url === '/health/live' || req.url === '/health/ready' || req.url === '/metrics' },
    },
  };
}

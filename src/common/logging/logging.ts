import type { Params } from 'nestjs-pino';
import pino from 'pino';
import { requestContext } from './request-context.js';

/** Query parameters whose values never reach a log line. */
// request / request_uri (RFC 9101) may carry a signed request with personal data or act as a handle to one; the
// others are credentials of grants and profiles this service refuses, but a client may still send them.
const secretParams = /^(code|state|nonce|code_verifier|code_challenge|password|client_secret|refresh_token|access_token|id_token|id_token_hint|token|assertion|login_hint|request|request_uri|client_assertion|logout_token|subject_token|actor_token|device_code|user_code)$/i;

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

/**
 * The one pino logger of an app: JSON lines, secrets redacted wherever they appear, errors scrubbed, and the
 * correlation id of the request being handled (requestContext) on every line written while handling it.
 */
export function createRootLogger(level: string, file?: string): pino.Logger {
  const options: pino.LoggerOptions = {
    level,
    redact: { paths: redactPaths, censor: '[redacted]' },
    mixin: () => {
      const request = requestContext.getStore();
      return request ? { correlationId: request.id } : {};
    },
    // Errors logged under another key than `err` are serialized (and scrubbed) the same way.
    formatters: {
      log: (obj: Record<string, unknown>) => {
        for (const [k, v] of Object.entries(obj)) if (k !== 'err' && v instanceof Error) obj[k] = scrubError(pino.stdSerializers.err(v));
        return obj;
      },
    },
    serializers: { err: (err: unknown) => scrubError(err instanceof Error ? pino.stdSerializers.err(err) : err) },
  };
  return file ? pino(options, pino.destination({ dest: file, append: true, mkdir: true, sync: false })) : pino(options);
}

/** The app's logger, for requestLog (bootstrap.ts) and fixedFieldsLogger. */
export const ROOT_LOGGER = Symbol('ROOT_LOGGER');

/**
 * A child of the root logger without path redaction, for a busy line whose fields are fixed and can never hold a
 * secret (ids, enums, counts, a URL through redactUrl). pino's path redaction re-parses every path on every line:
 * with redactPaths' wildcards a six-field line cost ~23 µs and ~44 KB of allocation, against ~4.5 µs without.
 * Everything else, and any line with a field that could carry a value from outside, goes through the root
 * logger. The log scan of every test run (test/run-tests.mjs) would catch a secret on such a line.
 */
export function fixedFieldsLogger(root: pino.Logger, bindings: pino.Bindings = {}): pino.Logger {
  return root.child(bindings, { redact: { paths: [] } });
}

/**
 * nestjs-pino gives Nest (and every `new Logger(...)`) our logger. Its own per-request pino-http middleware is
 * not installed (`useExisting`, no routes): it built two child loggers per request, serializing and redacting
 * their bindings, about a quarter of a /v1/me request's CPU. The request line is requestLog's, and the
 * correlation id of in-request lines comes from requestContext through the logger's mixin.
 */
export function loggingParams(logger: pino.Logger): Params {
  // pino-http (which nestjs-pino builds its root logger with) wraps the logger in a child with its own `err`
  // serializer; ours is handed pino-http's standard serialization and scrubs it.
  return { pinoHttp: { logger, serializers: { err: (err: unknown) => scrubError(err) } }, useExisting: true, forRoutes: [] };
}

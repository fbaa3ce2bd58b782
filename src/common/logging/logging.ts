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

/** Structured JSON logs with a correlation id per request (taken from X-Request-Id when it is well-formed). */
export function loggingParams(level: string, file?: string): Params {
  return {
    pinoHttp: {
      level,
      ...(file ? { stream: pino.destination({ dest: file, append: true, mkdir: true, sync: false }) } : {}),
      // Assigned before the body parsers by requestId (bootstrap.ts); reused here.
      genReqId: existingRequestId,
      redact: { paths: redactPaths, censor: '[redacted]' },
      serializers: {
        req: (req: { id: string; method: string; url: string }) => ({ id: req.id, method: req.method, url: redactUrl(req.url) }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
      customProps: (req: IncomingMessage & { id?: unknown }) => ({ correlationId: req.id }),
      autoLogging: { ignore: (req: IncomingMessage) => req.url === '/health/live' || req.url === '/health/ready' || req.url === '/metrics' },
    },
  };
}

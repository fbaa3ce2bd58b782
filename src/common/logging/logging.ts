import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Params } from 'nestjs-pino';
import pino from 'pino';

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
];

/** Structured JSON logs with a correlation id per request (taken from X-Request-Id when it is well-formed). */
export function loggingParams(level: string, file?: string): Params {
  return {
    pinoHttp: {
      level,
      ...(file ? { stream: pino.destination({ dest: file, append: true, mkdir: true, sync: false }) } : {}),
      genReqId: (req: IncomingMessage, res: ServerResponse) => {
        const given = req.headers['x-request-id'];
        const id = typeof given === 'string' && /^[A-Za-z0-9._-]{8,100}$/.test(given) ? given : randomUUID();
        res.setHeader('X-Request-Id', id);
        return id;
      },
      redact: { paths: redactPaths, censor: '[redacted]' },
      serializers: {
        req: (req: { id: string; method: string; url: string }) => ({ id: req.id, method: req.method, url: redactUrl(req.url) }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
      customProps: (req: IncomingMessage & { id?: unknown }) => ({ correlationId: req.id }),
      autoLogging: { ignore: (req: IncomingMessage) => req.url === '/health/live' },
    },
  };
}

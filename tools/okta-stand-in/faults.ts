import type { IncomingHttpHeaders } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { KoaContextWithOIDC, Middleware, OIDCContext } from 'oidc-provider';

export type Endpoint =
  | 'discovery' | 'authorize' | 'token' | 'userinfo' | 'keys' | 'logout' | 'revoke' | 'introspect'
  | 'login' | 'other';

/** Which endpoint a path (relative to the issuer) is. */
export function endpointOf(path: string): Endpoint {
  if (path.startsWith('/.well-known/')) return 'discovery';
  if (path.startsWith('/login/')) return 'login';
  const m = /^\/v1\/(authorize|token|userinfo|keys|logout|revoke|introspect)(\/|$)/.exec(path);
  return (m?.[1] as Endpoint | undefined) ?? 'other';
}

/**
 * What to do instead of (or on top of) the real response. With `body`, the provider is not
 * called at all (nothing is consumed); without it, the real response is produced first and then
 * `transform`, `status`, `contentType` and `headers` are applied to it.
 */
export interface Fault {
  status?: number;
  headers?: Record<string, string>;
  /** Content-Type; default text/html for a string `body`, application/json for an object. */
  contentType?: string;
  body?: string | object;
  /** Rewrite the real JSON body (receives a copy); return (or resolve to) an object (JSON) or a string. */
  transform?: (body: any) => unknown;
  /** Wait this long first (a "hang" past the client's timeout; cut short by close()). */
  delayMs?: number;
}

export class Faults {
  private readonly queued = new Map<Endpoint, Fault[]>();
  private readonly standing = new Map<Endpoint, Fault>();

  /** Apply `fault` to the next `times` requests to `endpoint`. */
  next(endpoint: Endpoint, fault: Fault, times = 1): this {
    const queue = this.queued.get(endpoint) ?? [];
    this.queued.set(endpoint, [...queue, ...Array<Fault>(times).fill(fault)]);
    return this;
  }

  /** Apply `fault` to every request to `endpoint` until cleared. */
  every(endpoint: Endpoint, fault: Fault): this {
    this.standing.set(endpoint, fault);
    return this;
  }

  clear(endpoint?: Endpoint): void {
    if (endpoint) {
      this.queued.delete(endpoint);
      this.standing.delete(endpoint);
    } else {
      this.queued.clear();
      this.standing.clear();
    }
  }

  take(endpoint: Endpoint): Fault | undefined {
    return this.queued.get(endpoint)?.shift() ?? this.standing.get(endpoint);
  }
}

export interface RequestRecord {
  at: Date;
  endpoint: Endpoint;
  method: string;
  /** Full path, e.g. /oauth2/ausTEST1/v1/token. */
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  /** Parsed application/x-www-form-urlencoded body, when there was one. */
  form?: Record<string, string | string[]>;
  /** HTTP Basic credentials, form-decoded per RFC 6749 §2.3.1. */
  basicAuth?: { clientId: string; clientSecret: string };
  /** Status of the response sent. */
  status?: number;
}

const formDecode = (s: string) => decodeURIComponent(s.replace(/\+/g, '%20'));

function parseBasic(authorization: string | undefined): RequestRecord['basicAuth'] {
  const m = /^basic\s+(\S+)$/i.exec(authorization ?? '');
  if (!m) return undefined;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  try {
    return i < 0 ? undefined : { clientId: formDecode(decoded.slice(0, i)), clientSecret: formDecode(decoded.slice(i + 1)) };
  } catch {
    return undefined;
  }
}

/** Read a urlencoded POST body ourselves (for routes oidc-provider does not parse). */
export async function readForm(ctx: KoaContextWithOIDC): Promise<Record<string, string> | undefined> {
  if (ctx.method !== 'POST' || !/application\/x-www-form-urlencoded/i.test(ctx.get('content-type'))) return undefined;
  const chunks: Buffer[] = [];
  for await (const chunk of ctx.req) chunks.push(chunk as Buffer);
  return Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
}

async function applyFault(ctx: KoaContextWithOIDC, fault: Fault): Promise<void> {
  if (fault.transform) ctx.body = await fault.transform(structuredClone(ctx.body));
  if (fault.body !== undefined) ctx.body = typeof fault.body === 'string' ? fault.body : JSON.stringify(fault.body);
  if (fault.status) ctx.status = fault.status;
  const defaultType = typeof fault.body === 'string' ? 'text/html; charset=utf-8' : 'application/json';
  if (fault.contentType || fault.body !== undefined) ctx.type = fault.contentType ?? defaultType;
  for (const [name, value] of Object.entries(fault.headers ?? {})) ctx.set(name, value);
}

/** The log keeps the latest this-many requests (long benchmarks must not grow it forever). */
export const REQUEST_LOG_LIMIT = 10_000;

/**
 * First middleware of every provider: records the request in `log`, then applies the
 * endpoint's fault, if any. The body is not read here (oidc-provider reads the stream itself);
 * it is recorded afterwards from what the provider (or the login page) parsed.
 */
export function logAndFaults(log: RequestRecord[], faults: Faults, signal: AbortSignal): Middleware {
  return async (ctx, next) => {
    const url = new URL(ctx.req.originalUrl ?? ctx.req.url ?? '/', 'https://stand-in.invalid');
    const record: RequestRecord = {
      at: new Date(),
      endpoint: endpointOf(ctx.path),
      method: ctx.method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: { ...ctx.headers },
      basicAuth: parseBasic(ctx.headers.authorization),
    };
    log.push(record);
    if (log.length > REQUEST_LOG_LIMIT + 1000) log.splice(0, log.length - REQUEST_LOG_LIMIT);
    const fault = faults.take(record.endpoint);
    try {
      if (fault?.delayMs) await sleep(fault.delayMs, undefined, { signal });
      if (fault?.body !== undefined) ctx.state.form = await readForm(ctx);
      else await next();
      if (fault) await applyFault(ctx, fault);
    } catch (err) {
      if (!signal.aborted) throw err;
      ctx.respond = false; // stand-in closing during a delay: just drop the request
      ctx.res.destroy();
    } finally {
      const oidc = (ctx as { oidc?: OIDCContext }).oidc;
      record.form = (ctx.state.form as RequestRecord['form']) ?? oidc?.body;
      record.status = ctx.status;
    }
  };
}

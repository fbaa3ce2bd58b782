import type { LookupAddress } from 'node:dns';
import type { IncomingMessage } from 'node:http';
import { Agent, request } from 'node:https';
import { isIP } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '../../config/app-config.js';
import { Metrics, type OktaEndpoint, type TenantLabel } from '../../observability/metrics.js';
import { isPrivateAddress } from './address-policy.js';
import { HostResolver } from './host-resolver.js';
import { OktaBackoff } from './okta-backoff.js';

export type OutboundFailure = 'blocked-address' | 'not-https' | 'timeout' | 'unreachable' | 'tls' | 'too-large' | 'network' | 'rate-limited';

/**
 * A call to a tenant's Okta that did not produce a usable HTTP response: none at all, or a 429 (Okta is limiting
 * us, whatever the endpoint). The message is safe to show an account manager.
 */
export class OutboundError extends Error {
  override readonly name = 'OutboundError';
  /** For 'rate-limited': seconds until the tenant's Okta may be called again. */
  readonly retryAfterS?: number;
  /** For 'rate-limited': when (epoch ms) the tenant's Okta may be called again. */
  readonly retryAt?: number;
  /** For 'rate-limited': 429 when Okta answered so; none when the call was refused during the back-off. */
  readonly status?: number;
  /** For 'too-large': the limit the answer went over (OUTBOUND_MAX_BYTES). */
  readonly limitBytes?: number;

  constructor(
    readonly kind: OutboundFailure,
    message: string,
    extra: { retryAfterS?: number; retryAt?: number; status?: number; limitBytes?: number } = {},
  ) {
    super(message);
    Object.assign(this, extra);
  }
}

const LIMITED_FOR: Record<OktaEndpoint, string> = { discovery: 'its discovery document', jwks: 'its key set', token: 'its token endpoint', userinfo: 'its UserInfo endpoint' };

export interface OutboundRequest {
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  /** Time limit for the whole call, retries included. */
  timeoutMs?: number;
  maxBytes?: number;
  /** Whose Okta this is: enables the tenant's 429 back-off and per-tenant metrics. */
  tenant?: TenantLabel;
  endpoint?: OktaEndpoint;
  /**
   * The request is safe to repeat (an idempotent GET): after a connection failure or HTTP 502/503/504 it is
   * tried again, up to OUTBOUND_RETRIES times, within the same time limit. Never set for the code exchange or
   * the password grant: a code is single-use and a password attempt counts against the user's lockout.
   */
  retry?: boolean;
}

const RETRY_STATUSES = new Set([502, 503, 504]);
const RETRY_FAILURES = new Set<OutboundFailure>(['unreachable', 'network']);

export interface OutboundResponse {
  url: string;
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/**
 * All HTTP to tenants' Okta goes through here: HTTPS only, TLS always verified (extra CAs only through
 * NODE_EXTRA_CA_CERTS), bounded in time and size, and never to loopback, link-local or private addresses
 * unless the operator allows it. Responses are returned whole; callers decide what a status means, except a 429.
 */
@Injectable()
export class OutboundHttp implements OnApplicationShutdown {
  private readonly agent: Agent;
  private readonly allowPrivate: boolean;
  private readonly timeoutMs: number;
  private readonly maxBytes: number;
  private readonly retries: number;

  constructor(
    config: AppConfig,
    private readonly backoff: OktaBackoff,
    private readonly metrics: Metrics,
    private readonly resolver: HostResolver,
  ) {
    this.retries = config.env.OUTBOUND_RETRIES;
    this.allowPrivate = config.env.OUTBOUND_ALLOW_PRIVATE_NETWORKS;
    this.timeoutMs = config.env.OUTBOUND_TIMEOUT_MS;
    this.maxBytes = config.env.OUTBOUND_MAX_BYTES;
    // Node's own HTTPS client (undici, used before, cost ~4 MiB of heap and its HTTP parser's WebAssembly for
    // a handful of calls per sign-in). Kept-alive sockets idle longer than 30 s are closed (the agent's timeout
    // applies to sockets in its free list); a call in progress is bounded by its own deadline instead.
    this.agent = new Agent({
      keepAlive: true,
      timeout: 30_000,
      maxSockets: 64,
      maxFreeSockets: 64,
      scheduling: 'lifo',
      rejectUnauthorized: true,
      lookup: ((hostname: string, options: { all?: boolean }, callback: (err: Error | null, address: string | LookupAddress[], family?: number) => void) => {
        this.resolve(hostname).then(
          (list) => (options.all ? callback(null, list) : callback(null, list[0]!.address, list[0]!.family)),
          (err: Error) => callback(err, []),
        );
      }) as never,
    });
  }

  /**
   * The addresses a tenant's host resolves to, once the address policy allows every one of them (a name with
   * one private address among public ones is refused: the connection could land on any of them).
   */
  async resolve(hostname: string): Promise<LookupAddress[]> {
    const host = hostname.replace(/^\[|\]$/g, '');
    let list: LookupAddress[];
    if (isIP(host)) list = [{ address: host, family: isIP(host) }];
    else {
      try {
        list = await this.resolver.lookup(host);
      } catch (e) {
        const code = String((e as NodeJS.ErrnoException).code ?? 'ENOTFOUND');
        throw new OutboundError('unreachable', `${host} could not be resolved (${code}).`);
      }
    }
    return checkResolved(host, list, this.allowPrivate);
  }

  /** Checks a URL against the policy without calling it (used when a configuration is saved). */
  assertAllowedUrl(raw: string): URL {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new OutboundError('network', `"${raw}" is not a valid URL.`);
    }
    if (url.protocol !== 'https:') throw new OutboundError('not-https', `${url.origin} is not HTTPS; tenant Okta endpoints must use HTTPS.`);
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (isIP(host) && isPrivateAddress(host) && !this.allowPrivate) {
      throw new OutboundError('blocked-address', `${host} is a private or loopback address, which is not allowed.`);
    }
    return url;
  }

  /**
   * One logical call: refused at once while the tenant is backing off after a 429; retried only when the
   * caller says it is safe; timed and counted per tenant. A 429 answer starts the tenant's back-off and is
   * thrown as 'rate-limited', as a call refused during the back-off is: every caller handles Okta's limit once.
   */
  async fetch(rawUrl: string, req: OutboundRequest = {}): Promise<OutboundResponse> {
    const url = this.assertAllowedUrl(rawUrl);
    const endpoint = req.endpoint ?? 'discovery';
    if (req.tenant) {
      const until = this.backoff.untilMs(req.tenant.id);
      if (until !== undefined) {
        this.metrics.okta(req.tenant, endpoint, 0, 'backing_off');
        const wait = secondsUntil(until);
        throw new OutboundError('rate-limited', `${url.host} is limiting requests; not calling it for another ${wait} s.`, { retryAfterS: wait, retryAt: until });
      }
    }
    const timeoutMs = req.timeoutMs ?? this.timeoutMs;
    const deadline = AbortSignal.timeout(timeoutMs);
    const started = performance.now();
    const attempts = req.retry ? 1 + this.retries : 1;
    let errorKind: string | undefined;
    try {
      for (let attempt = 1; ; attempt++) {
        let res: OutboundResponse;
        try {
          res = await this.once(url, req, deadline, timeoutMs);
        } catch (e) {
          if (attempt < attempts && e instanceof OutboundError && RETRY_FAILURES.has(e.kind) && (await this.pause(attempt, deadline))) continue;
          errorKind = e instanceof OutboundError ? e.kind : 'network';
          throw e;
        }
        if (attempt < attempts && RETRY_STATUSES.has(res.status) && (await this.pause(attempt, deadline))) continue;
        if (res.status === 429) {
          errorKind = 'http_429';
          const until = this.backoff.untilFromHeaders(res.headers);
          const wait = secondsUntil(until);
          const what = req.endpoint ? ` for ${LIMITED_FOR[req.endpoint]}` : '';
          // Without a tenant (an issuer previewed before it is saved) there is no back-off to start.
          if (!req.tenant) throw new OutboundError('rate-limited', `${url.host} is limiting requests (HTTP 429)${what}; try again in ${wait} s.`, { retryAfterS: wait, retryAt: until, status: 429 });
          this.metrics.oktaBackoffs.inc({ tenant: this.metrics.tenant(req.tenant) });
          await this.backoff.record(req.tenant.id, until);
          throw new OutboundError('rate-limited', `${url.host} is limiting requests (HTTP 429)${what}; not calling it for another ${wait} s.`, { retryAfterS: wait, retryAt: until, status: 429 });
        }
        if (res.status >= 500) errorKind = 'http_5xx';
        return res;
      }
    } finally {
      if (req.tenant) this.metrics.okta(req.tenant, endpoint, (performance.now() - started) / 1000, errorKind);
    }
  }

  /** Waits before a retry (100 ms, 200 ms, ... with jitter); false when the time limit would be passed. */
  private async pause(attempt: number, deadline: AbortSignal): Promise<boolean> {
    try {
      await sleep(100 * 2 ** (attempt - 1) * (0.5 + Math.random()), undefined, { signal: deadline });
      return true;
    } catch {
      return false;
    }
  }

  private async once(url: URL, req: OutboundRequest, signal: AbortSignal, timeoutMs: number): Promise<OutboundResponse> {
    const maxBytes = req.maxBytes ?? this.maxBytes;
    const headers: Record<string, string> = { 'user-agent': 'iqmetrix-sso-broker', ...req.headers };
    if (req.body !== undefined) headers['content-length'] = String(Buffer.byteLength(req.body));
    try {
      const res = await new Promise<IncomingMessage>((resolve, reject) => {
        const r = request(url, { agent: this.agent, method: req.method ?? 'GET', headers, signal }, resolve);
        r.on('error', reject);
        r.end(req.body);
      });
      try {
        const declared = Number(res.headers['content-length'] ?? 0);
        if (declared > maxBytes) throw new OutboundError('too-large', `${url.origin} sent a response larger than ${maxBytes} bytes.`, { limitBytes: maxBytes });
        const chunks: Buffer[] = [];
        let size = 0;
        for await (const chunk of res) {
          size += (chunk as Buffer).length;
          if (size > maxBytes) throw new OutboundError('too-large', `${url.origin} sent a response larger than ${maxBytes} bytes.`, { limitBytes: maxBytes });
          chunks.push(chunk as Buffer);
        }
        const out: Record<string, string> = {};
        for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : String(v);
        return { url: url.toString(), status: res.statusCode ?? 0, headers: out, body: Buffer.concat(chunks) };
      } finally {
        // A response not read to its end (too large, or cut off by the deadline) must not go back to the pool.
        if (!res.complete) res.destroy();
      }
    } catch (e) {
      // Past the deadline the socket is torn down, and a body being read fails with ECONNRESET: still a timeout.
      throw toOutboundError(signal.aborted && !(e instanceof OutboundError) ? signal.reason : e, url, timeoutMs);
    }
  }

  /** After the HTTP server has drained (in-flight sign-ins still need Okta until then). */
  onApplicationShutdown(): void {
    this.agent.destroy();
  }
}

/** Whole seconds until `until` (epoch ms), at least 1. */
function secondsUntil(until: number): number {
  return Math.max(1, Math.ceil((until - Date.now()) / 1000));
}

function toOutboundError(e: unknown, url: URL, timeoutMs: number): OutboundError {
  if (e instanceof OutboundError) return e;
  const err = e as NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException };
  const cause = err.cause ?? err;
  if (cause instanceof OutboundError) return cause;
  if (err.name === 'TimeoutError' || err.name === 'AbortError') {
    return new OutboundError('timeout', `${url.origin} did not answer within ${timeoutMs} ms.`);
  }
  const code = String(cause.code ?? '');
  if (/CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/.test(code)) {
    return new OutboundError('tls', `The TLS certificate of ${url.host} could not be verified (${code}).`);
  }
  if (['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH'].includes(code)) {
    return new OutboundError('unreachable', `${url.host} could not be reached (${code}).`);
  }
  return new OutboundError('network', `The connection to ${url.host} failed (${code || err.name}).`);
}

/**
 * The address policy on what a host resolved to: every address must be public unless the operator allows
 * private networks (a name with one private address among public ones is refused: a connection could land on it).
 */
export function checkResolved(host: string, list: LookupAddress[], allowPrivate: boolean): LookupAddress[] {
  if (list.length === 0) throw new OutboundError('unreachable', `${host} could not be resolved (no address).`);
  const bad = list.find((a) => isPrivateAddress(a.address));
  if (bad && !allowPrivate) {
    throw new OutboundError('blocked-address', `${host} resolves to a private, loopback or link-local address (${bad.address}), which is not allowed.`);
  }
  return list;
}

import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import { Injectable } from '@nestjs/common';
import { Agent, errors as undiciErrors, request } from 'undici';
import { AppConfig } from '../../config/app-config.js';
import { isPrivateAddress } from './address-policy.js';

export type OutboundFailure = 'blocked-address' | 'not-https' | 'timeout' | 'unreachable' | 'tls' | 'too-large' | 'network';

/** A call to a tenant's Okta that did not produce an HTTP response. The message is safe to show an account manager. */
export class OutboundError extends Error {
  constructor(
    readonly kind: OutboundFailure,
    message: string,
  ) {
    super(message);
  }
}

export interface OutboundRequest {
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  timeoutMs?: number;
  maxBytes?: number;
}

export interface OutboundResponse {
  url: string;
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/**
 * All HTTP to tenants' Okta goes through here: HTTPS only, TLS always verified (extra CAs only through
 * NODE_EXTRA_CA_CERTS), bounded in time and size, and never to loopback, link-local or private addresses
 * unless the operator allows it. Responses are returned whole; callers decide what a status means.
 */
@Injectable()
export class OutboundHttp {
  private readonly agent: Agent;
  private readonly allowPrivate: boolean;
  private readonly timeoutMs: number;
  private readonly maxBytes: number;

  constructor(config: AppConfig) {
    this.allowPrivate = config.env.OUTBOUND_ALLOW_PRIVATE_NETWORKS;
    this.timeoutMs = config.env.OUTBOUND_TIMEOUT_MS;
    this.maxBytes = config.env.OUTBOUND_MAX_BYTES;
    const allowPrivate = this.allowPrivate;
    this.agent = new Agent({
      keepAliveTimeout: 30_000,
      connections: 64,
      connect: {
        rejectUnauthorized: true,
        lookup(hostname: string, options: object, callback: (err: Error | null, address: string | LookupAddress[], family?: number) => void) {
          dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
            if (err) return callback(err, []);
            const list = addresses as LookupAddress[];
            const bad = list.find((a) => isPrivateAddress(a.address));
            if (bad && !allowPrivate) {
              return callback(new OutboundError('blocked-address', `${hostname} resolves to a private or loopback address (${bad.address}), which is not allowed.`), []);
            }
            const wantsAll = (options as { all?: boolean }).all;
            if (wantsAll) return callback(null, list);
            return callback(null, list[0]!.address, list[0]!.family);
          });
        },
      },
    });
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

  async fetch(rawUrl: string, req: OutboundRequest = {}): Promise<OutboundResponse> {
    const url = this.assertAllowedUrl(rawUrl);
    const timeoutMs = req.timeoutMs ?? this.timeoutMs;
    const maxBytes = req.maxBytes ?? this.maxBytes;
    const signal = AbortSignal.timeout(timeoutMs);
    try {
      const res = await request(url, {
        dispatcher: this.agent,
        method: req.method ?? 'GET',
        headers: { 'user-agent': 'iqmetrix-sso-broker', ...req.headers },
        body: req.body,
        signal,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      const declared = Number(res.headers['content-length'] ?? 0);
      if (declared > maxBytes) {
        res.body.destroy();
        throw new OutboundError('too-large', `${url.origin} sent a response larger than ${maxBytes} bytes.`);
      }
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of res.body) {
        size += (chunk as Buffer).length;
        if (size > maxBytes) {
          res.body.destroy();
          throw new OutboundError('too-large', `${url.origin} sent a response larger than ${maxBytes} bytes.`);
        }
        chunks.push(chunk as Buffer);
      }
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : String(v);
      return { url: url.toString(), status: res.statusCode, headers, body: Buffer.concat(chunks) };
    } catch (e) {
      throw toOutboundError(e, url, timeoutMs);
    }
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}

function toOutboundError(e: unknown, url: URL, timeoutMs: number): OutboundError {
  if (e instanceof OutboundError) return e;
  const err = e as NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException };
  const cause = err.cause ?? err;
  if (cause instanceof OutboundError) return cause;
  if (err.name === 'TimeoutError' || err.name === 'AbortError' || e instanceof undiciErrors.HeadersTimeoutError || e instanceof undiciErrors.BodyTimeoutError) {
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

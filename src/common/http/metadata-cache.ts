import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '../../config/app-config.js';
import type { OktaEndpoint, TenantLabel } from '../../observability/metrics.js';
import { OutboundHttp } from './outbound-http.js';

/** A JSON document of a tenant's Okta (JWKS, discovery) as cached. */
export interface CachedDocument {
  doc: Record<string, unknown>;
  fetchedAt: number;
  freshUntil: number;
}

interface Entry extends CachedDocument {
  /** Early refetches left (token bucket: burst of BURST, one more per METADATA_REFETCH_INTERVAL_S). */
  tokens: number;
  tokensAt: number;
}

export interface MetadataRequest {
  tenant?: TenantLabel;
  endpoint: Extract<OktaEndpoint, 'jwks' | 'discovery'>;
  /** Check what the document must look like before it is cached (throw an OutboundError-free Error to refuse it). */
  validate?: (doc: Record<string, unknown>) => void;
  /** Treat a cached copy older than this as stale (e.g. a reachability probe). */
  maxAgeMs?: number;
}

const BURST = 2;
const MIN_AGE_MS = 60_000;
const DEFAULT_AGE_MS = 600_000;
/** A stale copy still serves when a refetch fails (Okta briefly down), for at most this long past its freshness. */
const STALE_IF_ERROR_MS = 24 * 3600_000;

/** A document that is not what its endpoint must serve: not cached, reported like an Okta error. */
export class MetadataInvalid extends Error {
  override readonly name = 'MetadataInvalid';
}

/**
 * Okta answered HTTP 5xx for the document (after OutboundHttp's retry of a GET): an outage, which the user is
 * told to wait out like a 5xx at the token endpoint, not a document that is wrong. Not cached.
 */
export class MetadataServerError extends Error {
  override readonly name = 'MetadataServerError';
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/** Freshness lifetime from Cache-Control (max-age / s-maxage / no-store) or Expires, bounded to [60 s, max]. */
export function freshnessMs(headers: Record<string, string>, maxMs: number, now = Date.now()): number {
  const cc = (headers['cache-control'] ?? '').toLowerCase();
  let ms: number | undefined;
  if (/\b(no-store|no-cache)\b/.test(cc)) ms = 0;
  const m = /\b(?:s-maxage|max-age)\s*=\s*"?(\d+)/.exec(cc);
  if (ms === undefined && m) ms = Number(m[1]) * 1000 - Number(headers.age ?? 0) * 1000;
  if (ms === undefined && headers.expires) {
    const at = Date.parse(headers.expires);
    if (Number.isFinite(at)) ms = at - (Date.parse(headers.date ?? '') || now);
  }
  return Math.min(Math.max(ms ?? DEFAULT_AGE_MS, MIN_AGE_MS), maxMs);
}

/**
 * Per-tenant cache of Okta's JWKS and discovery documents, honouring Cache-Control (bounded between 60 s and
 * METADATA_MAX_AGE_S, so a `no-store` cannot turn every sign-in into a fetch). Concurrent misses share one
 * fetch. A refetch outside the freshness lifetime (`refresh`, e.g. for a kid not in the cached JWKS after a
 * mid-day key rotation) is rate-limited per document: a burst of 2, then one per METADATA_REFETCH_INTERVAL_S.
 * When a refetch fails, a stale copy keeps serving (for at most a day) so a brief Okta outage does not stop
 * sign-ins that need only keys already known. Bounded in size (least recently used out).
 */
@Injectable()
export class MetadataCache {
  private readonly log = new Logger(MetadataCache.name);
  private readonly entries = new Map<string, Entry>();
  private readonly inflight = new Map<string, Promise<Entry>>();
  private readonly maxAgeMs: number;
  private readonly refillMs: number;
  /** Two documents per tenant: discovery and JWKS. */
  private readonly maxEntries: number;

  constructor(
    private readonly http: OutboundHttp,
    config: AppConfig,
  ) {
    this.maxAgeMs = config.env.METADATA_MAX_AGE_S * 1000;
    this.refillMs = config.env.METADATA_REFETCH_INTERVAL_S * 1000;
    this.maxEntries = 2 * config.env.TENANT_CACHE_MAX;
  }

  /** The cached document while fresh, else a fetched one (or the stale one if fetching fails). */
  async get(url: string, req: MetadataRequest): Promise<CachedDocument> {
    const now = Date.now();
    const hit = this.entries.get(url);
    if (hit && now < hit.freshUntil && (req.maxAgeMs === undefined || now - hit.fetchedAt < req.maxAgeMs)) {
      this.touch(url, hit);
      return hit;
    }
    return this.load(url, req, hit);
  }

  /**
   * Refetch before the cached copy expires (the caller knows it is missing something). Undefined when the
   * document's refetch budget is spent; the cached copy then stays in force.
   */
  async refresh(url: string, req: MetadataRequest): Promise<CachedDocument | undefined> {
    const hit = this.entries.get(url);
    const pending = this.inflight.get(url);
    if (pending) return pending;
    if (hit) {
      const now = Date.now();
      hit.tokens = Math.min(BURST, hit.tokens + (now - hit.tokensAt) / this.refillMs);
      hit.tokensAt = now;
      if (hit.tokens < 1) return undefined;
      hit.tokens -= 1;
    }
    return this.load(url, req, hit, true);
  }

  private load(url: string, req: MetadataRequest, stale: Entry | undefined, forced = false): Promise<Entry> {
    let p = this.inflight.get(url);
    if (p) return p;
    p = this.fetch(url, req, stale)
      .catch((e: unknown) => {
        // Keep serving what we had, unless asked for a fresher copy than the stale one can give.
        if (!forced && stale && Date.now() < stale.freshUntil + STALE_IF_ERROR_MS && req.maxAgeMs === undefined) {
          this.log.warn({ url, err: e instanceof Error ? e.message : String(e) }, 'Serving a stale Okta document: the refetch failed');
          return stale;
        }
        throw e;
      })
      .finally(() => this.inflight.delete(url));
    this.inflight.set(url, p);
    return p;
  }

  private async fetch(url: string, req: MetadataRequest, previous: Entry | undefined): Promise<Entry> {
    const res = await this.http.fetch(url, { headers: { accept: 'application/json' }, tenant: req.tenant, endpoint: req.endpoint, retry: true });
    const what = req.endpoint === 'jwks' ? 'its key set' : 'its discovery document';
    // 5xx says Okta is down, not that the document is wrong: callers tell users to wait (a 429 never gets here:
    // OutboundHttp throws it as rate-limited).
    if (res.status >= 500) throw new MetadataServerError(`${new URL(url).host} answered HTTP ${res.status} for ${what}`, res.status);
    if (res.status !== 200) throw new MetadataInvalid(`${new URL(url).host} answered HTTP ${res.status} for ${what}`);
    if (!/^application\/(.+\+)?json\b/i.test(res.headers['content-type'] ?? '')) {
      throw new MetadataInvalid(`${new URL(url).host} answered with ${res.headers['content-type'] ?? 'no content type'} instead of JSON for ${what}`);
    }
    let doc: unknown;
    try {
      doc = JSON.parse(res.body.toString('utf8'));
    } catch {
      throw new MetadataInvalid(`${new URL(url).host} sent malformed JSON for ${what}`);
    }
    if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new MetadataInvalid(`${new URL(url).host} sent a document that is not a JSON object`);
    req.validate?.(doc as Record<string, unknown>);
    const now = Date.now();
    const entry: Entry = {
      doc: doc as Record<string, unknown>,
      fetchedAt: now,
      freshUntil: now + freshnessMs(res.headers, this.maxAgeMs, now),
      tokens: previous?.tokens ?? BURST,
      tokensAt: previous?.tokensAt ?? now,
    };
    this.touch(url, entry);
    return entry;
  }

  private touch(url: string, entry: Entry): void {
    this.entries.delete(url);
    this.entries.set(url, entry);
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
  }
}

import { Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AppConfig } from '../../config/app-config.js';

const MAX_LOCAL = 10_000;

/**
 * Per-tenant back-off after a tenant's Okta answered HTTP 429. Okta's rate limits are per Okta org, shared by
 * every instance of this service, so the back-off lives in Postgres (table okta_backoff): an instance that
 * learns of a limit records it, and every instance starting a sign-in for that tenant sees it — folded into
 * the login-state insert, so it costs no extra round trip. This instance also keeps what it learned in memory
 * to fail fast without asking anyone. Other tenants are never affected.
 */
@Injectable()
export class OktaBackoff {
  private readonly log = new Logger(OktaBackoff.name);
  private readonly local = new Map<string, number>();

  constructor(
    private readonly db: DataSource,
    private readonly config: AppConfig,
  ) {}

  /**
   * When the tenant may be called again, from Okta's headers: X-Rate-Limit-Reset (epoch seconds), else
   * Retry-After (seconds), else a minute; never more than OKTA_BACKOFF_MAX_S from now.
   */
  untilFromHeaders(headers: Record<string, string>, now = Date.now()): number {
    const max = now + this.config.env.OKTA_BACKOFF_MAX_S * 1000;
    const reset = Number(headers['x-rate-limit-reset']);
    const retryAfter = Number(headers['retry-after']);
    let until = now + 60_000;
    if (Number.isFinite(reset) && reset > 0) until = reset * 1000;
    else if (Number.isFinite(retryAfter) && retryAfter >= 0) until = now + retryAfter * 1000;
    return Math.min(Math.max(until, now + 1000), max);
  }

  /** Seconds until this instance may call the tenant's Okta again (0: now). */
  remainingS(tenantId: string, now = Date.now()): number {
    const until = this.local.get(tenantId);
    if (until === undefined) return 0;
    if (until <= now) {
      this.local.delete(tenantId);
      return 0;
    }
    return Math.ceil((until - now) / 1000);
  }

  /** When this instance may call the tenant's Okta again (epoch ms), or undefined: now. */
  untilMs(tenantId: string, now = Date.now()): number | undefined {
    return this.remainingS(tenantId, now) > 0 ? this.local.get(tenantId) : undefined;
  }

  async record(tenantId: string, until: number): Promise<void> {
    this.remember(tenantId, until);
    try {
      await this.db.query(
        `INSERT INTO okta_backoff (tenant_id, until) VALUES ($1, to_timestamp($2::double precision / 1000))
         ON CONFLICT (tenant_id) DO UPDATE SET until = GREATEST(okta_backoff.until, EXCLUDED.until), updated_at = now()`,
        [tenantId, until],
      );
    } catch (e) {
      // The local back-off still holds; other instances learn from their own 429.
      this.log.warn({ err: e }, 'Could not record an Okta back-off');
    }
  }

  /** What another instance recorded (read with the login-state insert). */
  remember(tenantId: string, until: number): void {
    if (this.local.size >= MAX_LOCAL) {
      const now = Date.now();
      for (const [k, v] of this.local) if (v <= now) this.local.delete(k);
      if (this.local.size >= MAX_LOCAL) this.local.delete(this.local.keys().next().value!);
    }
    this.local.set(tenantId, Math.max(until, this.local.get(tenantId) ?? 0));
  }
}

import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config.js';

export interface ReconciliationRun {
  tenantId: string;
  /** false: another instance holds this tenant's reconciliation right now, or the tenant has not chosen a period. */
  ran: boolean;
  flagged: number;
  cleared: number;
}

/**
 * For tenants without SCIM, just-in-time provisioning never hears that someone left. Periodically (every
 * RECONCILE_INTERVAL_S, on every instance) users with no sign-in for the tenant's chosen period
 * (lifecycle.flagUnseenAfterDays) are flagged — never disabled or deleted — for the account manager, and the
 * flag is cleared once they sign in again. Safe with several instances: one transaction per tenant under
 * pg_try_advisory_xact_lock (an instance that finds it taken skips the tenant), rows taken FOR UPDATE SKIP
 * LOCKED, and at most RECONCILE_BATCH users flagged and cleared per tenant and run. Production directory only.
 */
@Injectable()
export class Reconciliation implements OnModuleInit, OnModuleDestroy {
  private readonly log = new Logger(Reconciliation.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;

  constructor(
    private readonly db: DataSource,
    private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    const every = this.config.env.RECONCILE_INTERVAL_S;
    if (every > 0) {
      this.timer = setInterval(() => {
        this.running ??= this.runAll().catch((e) => this.log.error({ err: e }, 'Reconciliation run failed')).finally(() => { this.running = undefined; });
      }, every * 1000);
      this.timer.unref();
    }
  }

  async onModuleDestroy(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  /** Tenants that chose a period and have no live SCIM token. */
  async runAll(): Promise<ReconciliationRun[]> {
    const tenants: Array<{ id: string; days: number }> = await this.db.query(
      `SELECT t.id, (v.config->'lifecycle'->>'flagUnseenAfterDays')::int AS days
         FROM tenants t JOIN tenant_config_versions v ON v.tenant_id = t.id AND v.version = t.active_version
        WHERE t.status = 'active' AND v.config->'lifecycle'->>'flagUnseenAfterDays' IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM scim_tokens s WHERE s.tenant_id = t.id AND s.revoked_at IS NULL AND (s.expires_at IS NULL OR s.expires_at > now()))`,
    );
    const runs: ReconciliationRun[] = [];
    for (const t of tenants) runs.push(await this.runTenant(t.id, t.days));
    const flagged = runs.reduce((n, r) => n + r.flagged, 0);
    if (flagged) this.log.log({ tenants: runs.length, flagged }, 'Reconciliation flagged users not seen for their tenant\'s period');
    return runs;
  }

  async runTenant(tenantId: string, days: number): Promise<ReconciliationRun> {
    return this.db.transaction(async (m) => {
      const [{ locked }] = await m.query(`SELECT pg_try_advisory_xact_lock(hashtext('iqsso:reconcile:' || $1::text)) AS locked`, [tenantId]);
      if (!locked) return { tenantId, ran: false, flagged: 0, cleared: 0 };
      const [r] = await m.query(
        `WITH stale AS (
           SELECT id FROM users
            WHERE tenant_id = $1 AND status = 'active' AND unseen_flagged_at IS NULL AND scim_deleted_at IS NULL
              AND COALESCE(last_login_at, created_at) < now() - make_interval(days => $2)
            ORDER BY COALESCE(last_login_at, created_at), id LIMIT $3 FOR UPDATE SKIP LOCKED),
         flagged AS (UPDATE users u SET unseen_flagged_at = now() FROM stale WHERE u.id = stale.id RETURNING u.id),
         seen AS (
           SELECT id FROM users
            WHERE tenant_id = $1 AND unseen_flagged_at IS NOT NULL
              AND (COALESCE(last_login_at, created_at) >= now() - make_interval(days => $2) OR status <> 'active' OR scim_deleted_at IS NOT NULL)
            LIMIT $3 FOR UPDATE SKIP LOCKED),
         cleared AS (UPDATE users u SET unseen_flagged_at = NULL FROM seen WHERE u.id = seen.id RETURNING u.id)
         SELECT (SELECT count(*) FROM flagged)::int AS flagged, (SELECT count(*) FROM cleared)::int AS cleared`,
        [tenantId, days, this.config.env.RECONCILE_BATCH],
      );
      return { tenantId, ran: true, flagged: r.flagged, cleared: r.cleared };
    });
  }

  /** The flagged users, still unseen (a sign-in since the flag hides them even before the next run clears it). */
  async unseen(tenantId: string, limit: number) {
    const rows = await this.db.query(
      `SELECT id, username, first_name, last_name, security_role, last_login_at, created_at, unseen_flagged_at
         FROM users WHERE tenant_id = $1 AND unseen_flagged_at IS NOT NULL AND status = 'active'
          AND COALESCE(last_login_at, created_at) <= unseen_flagged_at
        ORDER BY COALESCE(last_login_at, created_at), id LIMIT $2`,
      [tenantId, limit],
    );
    return rows.map((u: Record<string, any>) => ({
      id: u.id, username: u.username, firstName: u.first_name, lastName: u.last_name, securityRole: u.security_role,
      lastSignInAt: u.last_login_at ? new Date(u.last_login_at).toISOString() : null, createdAt: new Date(u.created_at).toISOString(),
      flaggedAt: new Date(u.unseen_flagged_at).toISOString(),
    }));
  }
}

import { Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { PeriodicJob } from '../common/periodic.js';
import { AppConfig } from '../config/app-config.js';
import { whileBatchesFill } from '../database/batched.js';

/** Statements per purge (claims removal and deletion together), each at most AUDIT_PURGE_BATCH rows. */
const MAX_STATEMENTS = 20;

/**
 * Audit retention: every AUDIT_PURGE_INTERVAL_S each instance removes the claims of audit rows older than
 * AUDIT_CLAIMS_RETENTION_DAYS, then deletes rows older than AUDIT_RETENTION_DAYS, in batches. Batches lock
 * with SKIP LOCKED, so several instances purging at once share the work instead of waiting on each other.
 */
@Injectable()
export class AuditRetention implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log = new Logger(AuditRetention.name);
  private readonly job = new PeriodicJob('Audit retention purge', this.log, () => this.purge());

  constructor(
    private readonly db: DataSource,
    private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.job.start(this.config.env.AUDIT_PURGE_INTERVAL_S * 1000);
  }

  onModuleDestroy(): Promise<void> {
    return this.job.stop();
  }

  /** One bounded purge. Returns how many rows lost their claims and how many were deleted. */
  async purge(): Promise<{ claimsRemoved: number; rowsDeleted: number }> {
    const { AUDIT_RETENTION_DAYS: days, AUDIT_CLAIMS_RETENTION_DAYS: claimDays, AUDIT_PURGE_BATCH: batch } = this.config.env;
    const budget = { statements: MAX_STATEMENTS };
    const claimsRemoved = await whileBatchesFill(batch, budget, async () => {
      const [{ n }] = await this.db.query(
        `WITH old AS (
           SELECT id FROM provisioning_audit WHERE claims IS NOT NULL AND created_at < now() - make_interval(days => $1)
           ORDER BY created_at LIMIT $2 FOR UPDATE SKIP LOCKED
         ), u AS (UPDATE provisioning_audit a SET claims = NULL FROM old WHERE a.id = old.id RETURNING 1)
         SELECT count(*)::int AS n FROM u`,
        [Math.min(claimDays, days), batch],
      );
      return n as number;
    });
    const rowsDeleted = await whileBatchesFill(batch, budget, async () => {
      const [{ n }] = await this.db.query(
        `WITH old AS (
           SELECT id FROM provisioning_audit WHERE created_at < now() - make_interval(days => $1)
           ORDER BY created_at LIMIT $2 FOR UPDATE SKIP LOCKED
         ), d AS (DELETE FROM provisioning_audit a USING old WHERE a.id = old.id RETURNING 1)
         SELECT count(*)::int AS n FROM d`,
        [days, batch],
      );
      return n as number;
    });
    if (claimsRemoved || rowsDeleted) this.log.log({ claimsRemoved, rowsDeleted }, 'Audit retention purge');
    return { claimsRemoved, rowsDeleted };
  }
}

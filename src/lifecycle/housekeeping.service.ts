import { Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { PeriodicJob } from '../common/periodic.js';
import { AppConfig } from '../config/app-config.js';
import { whileBatchesFill } from '../database/batched.js';

/** Statements per table and run, each at most HOUSEKEEPING_BATCH rows: bounded in time and lock footprint. */
const MAX_STATEMENTS = 20;

/**
 * What is dead and only takes space, by table: the row's key, and when it is dead. Kept a while past expiry (an
 * hour for sign-in leftovers, a day for tokens and sessions) so a support question about "just now" still finds it.
 * Nothing here can be needed again: an expired login state, code, refresh token, grant or session is refused by
 * its own expiry whether or not the row exists.
 */
const DEAD: Array<{ table: string; key: string; dead: string }> = [
  // Sign-ins abandoned at Okta (a completed one deletes its own state).
  { table: 'login_states', key: 'id', dead: `expires_at < now() - interval '1 hour'` },
  // Single-use markers of redeemed authorization codes: a code past its expiry is refused by its own exp.
  { table: 'consumed_codes', key: 'jti', dead: `expires_at < now() - interval '1 hour'` },
  { table: 'refresh_tokens', key: 'id', dead: `expires_at < now() - interval '1 day'` },
  // A grant is dead once expired and without refresh tokens (removed above); its access tokens expired before it.
  { table: 'token_grants', key: 'id', dead: `expires_at < now() - interval '1 day' AND NOT EXISTS (SELECT 1 FROM refresh_tokens r WHERE r.family_id = token_grants.id)` },
  { table: 'sso_sessions', key: 'id', dead: `(ended_at < now() - interval '1 day' OR expires_at < now() - interval '1 day')` },
  // Console sessions (a kind of admin credential); API tokens stay, revoked or not, for the action log's sake.
  { table: 'admin_credentials', key: 'id', dead: `kind = 'session' AND expires_at < now() - interval '1 day'` },
];

/**
 * Housekeeping: every HOUSEKEEPING_INTERVAL_S each instance deletes rows that are dead (DEAD above), in
 * batches with SKIP LOCKED, so several instances share the work. Without it these tables only grow.
 */
@Injectable()
export class Housekeeping implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log = new Logger(Housekeeping.name);
  private readonly job = new PeriodicJob('Housekeeping', this.log, () => this.run());

  constructor(
    private readonly db: DataSource,
    private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.job.start(this.config.env.HOUSEKEEPING_INTERVAL_S * 1000);
  }

  onModuleDestroy(): Promise<void> {
    return this.job.stop();
  }

  /** One bounded run. Returns the rows deleted per table. */
  async run(): Promise<Record<string, number>> {
    const batch = this.config.env.HOUSEKEEPING_BATCH;
    const deleted: Record<string, number> = {};
    for (const { table, key, dead } of DEAD) {
      deleted[table] = await whileBatchesFill(batch, { statements: MAX_STATEMENTS }, async () => {
        const [{ n }] = await this.db.query(
          `WITH old AS (SELECT ${key} FROM ${table} WHERE ${dead} LIMIT $1 FOR UPDATE SKIP LOCKED),
                d AS (DELETE FROM ${table} t USING old WHERE t.${key} = old.${key} RETURNING 1)
           SELECT count(*)::int AS n FROM d`,
          [batch],
        );
        return n as number;
      });
    }
    if (Object.values(deleted).some((n) => n > 0)) this.log.log({ deleted }, 'Housekeeping');
    return deleted;
  }
}

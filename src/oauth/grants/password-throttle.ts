import { Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AppConfig } from '../../config/app-config.js';
import { sha256 } from '../../common/crypto/tokens.js';

export interface ThrottleKey {
  key: string;
  kind: 'username' | 'client';
  limit: number;
}

export type Reservation = { ok: true } | { ok: false; kind: ThrottleKey['kind']; retryAfterSeconds: number };

/**
 * Throttles failed password grants per username and per client, across every instance: the counters live in
 * Postgres. Each attempt first reserves a failure on every key in one atomic statement (so a burst of
 * parallel guesses cannot slip past the limit between a check and a write); a key over its limit refuses the
 * attempt before the password is sent to Okta. The reservation then stands if the credentials were wrong,
 * is given back if the attempt failed for another reason, and a success clears the username's count.
 */
@Injectable()
export class PasswordThrottle {
  private readonly log = new Logger(PasswordThrottle.name);
  private lastPurge = 0;

  constructor(
    private readonly db: DataSource,
    private readonly config: AppConfig,
  ) {}

  usernameKey(tenantId: string, username: string): ThrottleKey {
    return { key: `user:${sha256(`${tenantId}\u0000${username.normalize('NFKC').toLowerCase()}`)}`, kind: 'username', limit: this.config.env.PASSWORD_GRANT_MAX_FAILURES_PER_USERNAME };
  }

  clientKey(clientId: string): ThrottleKey {
    return { key: `client:${sha256(clientId)}`, kind: 'client', limit: this.config.env.PASSWORD_GRANT_MAX_FAILURES_PER_CLIENT };
  }

  async reserve(keys: ThrottleKey[]): Promise<Reservation> {
    const window = this.config.env.PASSWORD_GRANT_FAILURE_WINDOW_S;
    const rows: Array<{ key: string; over: boolean; retry_after: number }> = await this.db.query(
      `WITH k(key, lim) AS (SELECT * FROM unnest($1::text[], $2::int[])),
       up AS (
         INSERT INTO password_grant_failures AS f (key, window_started_at, failures)
         SELECT key, now(), 1 FROM k ORDER BY key
         ON CONFLICT (key) DO UPDATE SET
           failures = CASE WHEN f.window_started_at <= now() - make_interval(secs => $3) THEN 1 ELSE f.failures + 1 END,
           window_started_at = CASE WHEN f.window_started_at <= now() - make_interval(secs => $3) THEN now() ELSE f.window_started_at END
         RETURNING f.key, f.failures, f.window_started_at)
       SELECT up.key, up.failures > k.lim AS over,
              GREATEST(1, ceil(extract(epoch FROM up.window_started_at + make_interval(secs => $3) - now())))::int AS retry_after
         FROM up JOIN k USING (key)`,
      [keys.map((k) => k.key), keys.map((k) => k.limit), window],
    );
    void this.purge(window);
    const over = rows.filter((r) => r.over).map((r) => ({ ...r, kind: keys.find((k) => k.key === r.key)!.kind }));
    if (!over.length) return { ok: true };
    const first = over.find((o) => o.kind === 'username') ?? over[0]!;
    return { ok: false, kind: first.kind, retryAfterSeconds: Math.max(...over.map((o) => o.retry_after)) };
  }

  /** The credentials were right: the username starts afresh, the client's reservation is given back. */
  async succeeded(keys: ThrottleKey[]): Promise<void> {
    await this.db.query(`DELETE FROM password_grant_failures WHERE key = ANY($1::text[])`, [keys.filter((k) => k.kind === 'username').map((k) => k.key)]);
    await this.giveBack(keys.filter((k) => k.kind !== 'username'));
  }

  /** The attempt failed for a reason that says nothing about the credentials (Okta down, configuration). */
  async giveBack(keys: ThrottleKey[]): Promise<void> {
    if (!keys.length) return;
    await this.db.query(`UPDATE password_grant_failures SET failures = GREATEST(failures - 1, 0) WHERE key = ANY($1::text[])`, [keys.map((k) => k.key)]);
  }

  private async purge(window: number): Promise<void> {
    const now = Date.now();
    if (now - this.lastPurge < 60_000) return;
    this.lastPurge = now;
    await this.db
      .query(`DELETE FROM password_grant_failures WHERE window_started_at < now() - make_interval(secs => $1)`, [window])
      .catch((e: unknown) => this.log.warn({ err: e }, 'Could not purge old password-grant failure counters'));
  }
}

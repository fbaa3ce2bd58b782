import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config.js';
import { randomToken, sha256 } from '../common/crypto/tokens.js';
import { OktaBackoff } from '../common/http/okta-backoff.js';
import { rateLimitedMessage, UpstreamError } from './upstream-errors.js';
import type { Environment } from '../database/directory-databases.js';
import { preparedQuery } from '../database/prepared.js';
import type { PendingAuthorization } from '../oauth/authorization-request.js';

/** A sign-in between our redirect to Okta and Okta's redirect back. */
export interface LoginState {
  tenantId: string;
  configVersion: number;
  environment: Environment;
  nonce: string;
  codeVerifier: string;
  request: PendingAuthorization;
}

export interface StartedLogin {
  tenantId: string;
  configVersion: number;
  environment: Environment;
  codeVerifier: string;
  request: PendingAuthorization;
  /** Random value also set as a cookie: the state only counts when it comes back in the same browser. */
  browserBinding: string;
}

interface ConsumedRow {
  tenant_id: string;
  config_version: number;
  environment: Environment;
  nonce: string;
  code_verifier: string;
  request: PendingAuthorization;
  browser_binding: string;
  fresh: boolean;
}

export type ConsumeResult = { ok: true; state: LoginState } | { ok: false; reason: 'unknown' | 'expired' | 'other-browser' };

/**
 * Login state in Postgres, never in process memory, so a sign-in started on one instance can finish on
 * another. Only hashes of the state handle and the browser binding are stored; each state is single-use.
 * Implements passport-openidconnect's state-store interface (store / verify).
 */
@Injectable()
export class LoginStateStore {
  constructor(
    private readonly db: DataSource,
    private readonly config: AppConfig,
    private readonly backoff: OktaBackoff,
  ) {}

  /**
   * passport-openidconnect: called when redirecting to Okta. `appState` is what we passed as `state`.
   * The tenant's Okta back-off (after a 429, recorded by any instance) is checked in the same statement:
   * while it lasts no state is written and the user is told plainly to wait.
   */
  store(_req: unknown, ctx: { nonce?: string }, appState: StartedLogin, _meta: unknown, cb: (err: Error | null, handle?: string) => void): void {
    const waitHere = this.backoff.remainingS(appState.tenantId);
    if (waitHere > 0) return cb(new UpstreamError('okta-rate-limited', rateLimitedMessage(waitHere), undefined, waitHere));
    const handle = randomToken(32);
    preparedQuery<{ wait_s: number | null; until_ms: string | null }>(
        this.db,
        'iqsso_login_state_insert',
        `WITH b AS (SELECT ceil(extract(epoch FROM until - now()))::int AS wait_s, floor(extract(epoch FROM until) * 1000)::bigint AS until_ms
                      FROM okta_backoff WHERE tenant_id = $3 AND until > now()),
         ins AS (
           INSERT INTO login_states (id, browser_binding, tenant_id, config_version, environment, nonce, code_verifier, request, expires_at)
           SELECT $1, $2, $3, $4, $5, $6, $7, $8, now() + make_interval(secs => $9) WHERE NOT EXISTS (SELECT 1 FROM b)
           RETURNING 1)
         SELECT (SELECT wait_s FROM b) AS wait_s, (SELECT until_ms FROM b) AS until_ms`,
        [sha256(handle), sha256(appState.browserBinding), appState.tenantId, appState.configVersion, appState.environment, ctx.nonce, appState.codeVerifier, JSON.stringify(appState.request), this.config.env.LOGIN_STATE_TTL_S],
      )
      .then((rows) => {
        const wait = rows[0]?.wait_s;
        if (wait) {
          this.backoff.remember(appState.tenantId, Number(rows[0]!.until_ms));
          return cb(new UpstreamError('okta-rate-limited', rateLimitedMessage(wait), undefined, wait));
        }
        cb(null, handle);
      }, (e) => cb(e as Error));
  }

  /** passport-openidconnect: called on the callback. The controller has already consumed the state (see consume). */
  verify(req: { loginState?: LoginState }, _handle: string, cb: (err: Error | null, ctx: false | { nonce: string }, state?: unknown) => void): void {
    const s = req.loginState;
    if (!s) return cb(null, false, { message: 'Unable to verify authorization request state.' });
    cb(null, { nonce: s.nonce }, s);
  }

  /** Takes a state out of the store (single use), checking it came back to the browser that started it. */
  async consume(handle: string, browserBinding: string | undefined): Promise<ConsumeResult> {
    if (!handle || handle.length > 200) return { ok: false, reason: 'unknown' };
    const rows = await preparedQuery<ConsumedRow>(
      this.db,
      'iqsso_login_state_consume',
      // (Wrapped in a CTE: TypeORM returns [rows, count] for a bare DELETE … RETURNING.)
      `WITH d AS (DELETE FROM login_states WHERE id = $1
         RETURNING tenant_id, config_version, environment, nonce, code_verifier, request, browser_binding, expires_at > now() AS fresh)
       SELECT * FROM d`,
      [sha256(handle)],
    );
    const row = rows[0];
    if (!row) return { ok: false, reason: 'unknown' };
    if (!row.fresh) return { ok: false, reason: 'expired' };
    if (!browserBinding || sha256(browserBinding) !== row.browser_binding) return { ok: false, reason: 'other-browser' };
    return {
      ok: true,
      state: { tenantId: row.tenant_id, configVersion: row.config_version, environment: row.environment, nonce: row.nonce, codeVerifier: row.code_verifier, request: row.request },
    };
  }
}

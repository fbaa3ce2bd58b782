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
  /** When the user was sent to Okta (epoch seconds, the database's clock). */
  sentAt: number;
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
  /** Null unless the state was taken (its handle and this browser's binding both matched). */
  tenant_id: string | null;
  config_version: number;
  environment: Environment;
  nonce: string;
  code_verifier: string;
  request: PendingAuthorization;
  sent_at: string;
  fresh: boolean;
  /** For a state that was not taken: whether it exists for another binding, and is still fresh. */
  elsewhere: boolean | null;
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

  /**
   * Takes a state out of the store (single use), only for the browser that started it: the handle and the
   * browser binding are matched in the DELETE itself, so a callback URL replayed from another browser (which has
   * not the binding cookie) leaves the state for its owner, and of two requests with both only one gets it.
   */
  async consume(handle: string, browserBinding: string | undefined): Promise<ConsumeResult> {
    if (!handle || handle.length > 200) return { ok: false, reason: 'unknown' };
    const binding = browserBinding ? sha256(browserBinding) : null;
    const rows = await preparedQuery<ConsumedRow>(
      this.db,
      'iqsso_login_state_consume_bound',
      // One row always: the state taken (d), or why not (o: it exists for another binding).
      `WITH d AS (DELETE FROM login_states WHERE id = $1 AND browser_binding = $2
         RETURNING tenant_id, config_version, environment, nonce, code_verifier, request, extract(epoch FROM created_at)::bigint AS sent_at,
                   expires_at > now() AS fresh),
       o AS (SELECT expires_at > now() AS fresh FROM login_states WHERE id = $1 AND browser_binding IS DISTINCT FROM $2)
       SELECT d.*, (SELECT fresh FROM o) AS elsewhere
         FROM (VALUES (1)) AS one LEFT JOIN d ON true`,
      [sha256(handle), binding],
    );
    const row = rows[0];
    if (!row || row.tenant_id === null) return { ok: false, reason: row?.elsewhere == null ? 'unknown' : row.elsewhere ? 'other-browser' : 'expired' };
    if (!row.fresh) return { ok: false, reason: 'expired' };
    return {
      ok: true,
      state: {
        tenantId: row.tenant_id, configVersion: row.config_version, environment: row.environment, nonce: row.nonce, codeVerifier: row.code_verifier,
        request: row.request, sentAt: Number(row.sent_at),
      },
    };
  }
}

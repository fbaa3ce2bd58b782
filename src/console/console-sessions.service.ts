import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AdminCredentials } from '../admin-auth/admin-credentials.service.js';
import type { AdminActor } from '../admin-auth/admin-actor.js';
import { randomToken, sha256 } from '../common/crypto/tokens.js';
import { ProblemError } from '../common/errors/problem.js';
import { AppConfig } from '../config/app-config.js';
import { SESSION_TOKEN_PREFIX, csrfTokenFor } from './console-session.js';

export interface OpenedSession {
  token: string;
  csrfToken: string;
  expiresAt: string;
  actor: AdminActor;
}

const refusals = {
  unknown: 'This is not a valid account-manager API token.',
  expired: 'This API token has expired; ask an operator for a new one.',
  revoked: 'This API token has been revoked.',
  disabled: 'The account of this API token is disabled.',
} as const;

/**
 * Console sign-in: an account manager's API token (issue 4's credential) is exchanged for a browser session,
 * stored like every admin credential in Postgres (any instance can answer), as a hash only, expiring no later
 * than the token it was opened with, and ended when that token is revoked.
 */
@Injectable()
export class ConsoleSessions {
  constructor(
    private readonly db: DataSource,
    private readonly credentials: AdminCredentials,
    private readonly config: AppConfig,
  ) {}

  async open(apiToken: string, userAgent: string | undefined): Promise<OpenedSession> {
    const result = await this.credentials.authenticate(apiToken);
    if (!result.ok) throw new ProblemError(401, 'Unauthorized', refusals[result.reason], [{ field: 'token', reason: refusals[result.reason] }]);
    const actor = result.actor;
    const token = `${SESSION_TOKEN_PREFIX}${randomToken(32)}`;
    const label = `console${userAgent ? `: ${userAgent.replace(/[^\x20-\x7E]/g, '').slice(0, 120)}` : ''}`;
    const rows: Array<{ id: string; expires_at: Date }> = await this.db.query(
      `INSERT INTO admin_credentials (principal_id, kind, parent_id, token_hash, hint, label, expires_at, created_by)
       SELECT c.principal_id, 'session', c.id, $2, $3, $4, LEAST(c.expires_at, now() + make_interval(secs => $5)), $6
         FROM admin_credentials c WHERE c.id = $1
       RETURNING id, expires_at`,
      [actor.credentialId, sha256(token), token.slice(0, SESSION_TOKEN_PREFIX.length + 4), label, this.config.env.CONSOLE_SESSION_TTL_S, actor.id],
    );
    const row = rows[0];
    if (!row) throw ProblemError.unauthorized(refusals.unknown);
    return { token, csrfToken: csrfTokenFor(token), expiresAt: new Date(row.expires_at).toISOString(), actor: { ...actor, via: 'session', credentialId: row.id } };
  }

  /** The session behind a cookie, if it is still valid (with its expiry). */
  async current(token: string): Promise<{ actor: AdminActor; expiresAt: string } | undefined> {
    const result = await this.credentials.authenticate(token, 'session');
    if (!result.ok) return undefined;
    const rows: Array<{ expires_at: Date }> = await this.db.query(`SELECT expires_at FROM admin_credentials WHERE id = $1`, [result.actor.credentialId]);
    return { actor: result.actor, expiresAt: new Date(rows[0]!.expires_at).toISOString() };
  }

  /** Sign-out: the session's credential is revoked at once, on every instance. */
  async close(token: string, by: string): Promise<void> {
    await this.db.query(`UPDATE admin_credentials SET revoked_at = now(), revoked_by = $2 WHERE token_hash = $1 AND kind = 'session' AND revoked_at IS NULL`, [sha256(token), by]);
  }
}

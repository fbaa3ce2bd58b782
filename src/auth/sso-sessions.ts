import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { Request, Response } from 'express';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config.js';
import { SecretBox } from '../common/crypto/secret-box.js';
import { randomToken, sha256 } from '../common/crypto/tokens.js';
import type { Environment } from '../database/directory-databases.js';
import { RefreshTokens } from '../oauth/tokens/refresh-tokens.js';
import type { TenantRef } from '../tenants/tenant-runtime.js';
import { cookieName, readCookie, setCookie } from './cookies.js';

export interface SsoSession {
  publicId: string;
  tenantId: string;
  environment: Environment;
  userId: string;
  authTime: number;
}

export interface EndedSession extends SsoSession {
  /** The tenant's Okta ID token, opened, for id_token_hint at Okta's logout (then forgotten). */
  upstreamIdToken?: string;
}

type Sealed = { keyId: string; iv: string; ciphertext: string; tag: string };

/**
 * This service's own sign-in session (SSO across iQmetrix apps), in Postgres like every login state. The
 * browser holds a random handle in an HttpOnly cookie (one per environment); only its hash is stored. A session
 * belongs to one tenant and one environment, lasts SSO_SESSION_IDLE_S without use and SSO_SESSION_MAX_S at most,
 * and keeps the tenant's Okta ID token sealed (AES-256-GCM) for the logout hint. Grants issued in it carry its
 * public id (sid), so ending it revokes them.
 */
@Injectable()
export class SsoSessions {
  constructor(
    private readonly db: DataSource,
    private readonly box: SecretBox,
    private readonly config: AppConfig,
    private readonly refresh: RefreshTokens,
  ) {}

  static cookieBase(environment: Environment): string {
    return environment === 'training' ? 'iqsso_session_training' : 'iqsso_session';
  }

  handle(req: Request, environment: Environment): string | undefined {
    const h = readCookie(req, cookieName(this.config, SsoSessions.cookieBase(environment)));
    return h && h.length <= 100 ? h : undefined;
  }

  /** The live session behind the browser's cookie (and it counts as used now), if any. */
  async current(req: Request, environment: Environment): Promise<(SsoSession & { tenant: TenantRef }) | undefined> {
    const handle = this.handle(req, environment);
    if (!handle) return undefined;
    const rows = await this.db.query(
      `WITH s AS (
         UPDATE sso_sessions x SET last_seen_at = now() FROM tenants t
          WHERE x.id = $1 AND x.environment = $2 AND x.ended_at IS NULL AND x.expires_at > now() AND x.last_seen_at > now() - make_interval(secs => $3)
            AND t.id = x.tenant_id
         RETURNING x.public_id, x.tenant_id, x.environment, x.user_id, extract(epoch FROM x.auth_time)::bigint AS auth_time,
                   t.slug AS tenant_slug, t.status AS tenant_status, t.active_version)
       SELECT * FROM s`,
      [sha256(handle), environment, this.config.env.SSO_SESSION_IDLE_S],
    );
    const r = rows[0];
    if (!r || r.active_version === null) return undefined;
    return { ...toSession(r), tenant: { id: r.tenant_id, slug: r.tenant_slug, status: r.tenant_status, version: r.active_version } };
  }

  /**
   * After a sign-in at Okta: the browser's live session for the same tenant, environment and user continues
   * under a new handle (so grants issued in it stay together); otherwise a new session starts.
   */
  async establish(req: Request, res: Response, s: Omit<SsoSession, 'publicId'>, upstreamIdToken: string | undefined): Promise<SsoSession> {
    const old = this.handle(req, s.environment);
    const handle = randomToken(32);
    const maxAge = this.config.env.SSO_SESSION_MAX_S;
    const rotated: Array<{ public_id: string }> = old
      ? await this.db.query(
        `WITH s AS (
           UPDATE sso_sessions SET id = $2, auth_time = to_timestamp($6), last_seen_at = now(), expires_at = now() + make_interval(secs => $7)
            WHERE id = $1 AND tenant_id = $3 AND environment = $4 AND user_id = $5 AND ended_at IS NULL AND expires_at > now()
           RETURNING public_id)
         SELECT * FROM s`,
        [sha256(old), sha256(handle), s.tenantId, s.environment, s.userId, s.authTime, maxAge],
      )
      : [];
    let publicId = rotated[0]?.public_id;
    if (!publicId) {
      publicId = randomUUID();
      await this.db.query(
        `INSERT INTO sso_sessions (id, public_id, tenant_id, environment, user_id, auth_time, expires_at)
         VALUES ($1, $2, $3, $4, $5, to_timestamp($6), now() + make_interval(secs => $7))`,
        [sha256(handle), publicId, s.tenantId, s.environment, s.userId, s.authTime, maxAge],
      );
    }
    const sealed = upstreamIdToken ? this.seal(upstreamIdToken, publicId) : null;
    await this.db.query(`UPDATE sso_sessions SET upstream_id_token = $2 WHERE public_id = $1`, [publicId, sealed]);
    setCookie(res, this.config, SsoSessions.cookieBase(s.environment), handle, maxAge);
    return { ...s, publicId };
  }

  async byPublicId(publicId: string): Promise<SsoSession | undefined> {
    if (!/^[0-9a-f-]{36}$/i.test(publicId)) return undefined;
    const rows = await this.db.query(
      `SELECT public_id, tenant_id, environment, user_id, extract(epoch FROM auth_time)::bigint AS auth_time FROM sso_sessions
        WHERE public_id = $1 AND ended_at IS NULL AND expires_at > now()`,
      [publicId],
    );
    return rows[0] ? toSession(rows[0]) : undefined;
  }

  /**
   * Ends a session (RP-initiated logout): revokes the grants issued in it, forgets the Okta ID token (returned
   * once, opened, for the upstream logout), and, when the browser goes on to Okta, remembers where to go after.
   */
  async end(publicId: string, reason: string, continuation?: { stateHandle: string; redirect: { uri: string; state?: string } | null }): Promise<EndedSession | undefined> {
    const rows = await this.db.query(
      `WITH s AS (SELECT id, public_id, tenant_id, environment, user_id, extract(epoch FROM auth_time)::bigint AS auth_time, upstream_id_token
                    FROM sso_sessions WHERE public_id = $1 AND ended_at IS NULL FOR UPDATE),
       u AS (UPDATE sso_sessions x SET ended_at = now(), ended_reason = $2, upstream_id_token = NULL, logout_state = $3, logout_redirect = $4
               FROM s WHERE x.id = s.id RETURNING x.id)
       SELECT s.* FROM s`,
      [publicId, reason, continuation ? sha256(continuation.stateHandle) : null, continuation?.redirect ? JSON.stringify(continuation.redirect) : null],
    );
    const r = rows[0];
    if (!r) return undefined;
    await this.refresh.revokeSession(publicId, 'logout');
    let upstreamIdToken: string | undefined;
    try {
      upstreamIdToken = r.upstream_id_token ? this.open(r.upstream_id_token, publicId) : undefined;
    } catch {
      upstreamIdToken = undefined; // a rotated-away key: the Okta logout goes without a hint
    }
    return { ...toSession(r), upstreamIdToken };
  }

  /** Where a browser coming back from Okta's logout goes next (single use). */
  async continuation(stateHandle: string): Promise<{ uri: string; state?: string } | null | undefined> {
    if (!stateHandle || stateHandle.length > 200) return undefined;
    const rows = await this.db.query(
      `WITH s AS (SELECT id, logout_redirect FROM sso_sessions WHERE logout_state = $1 FOR UPDATE),
       u AS (UPDATE sso_sessions x SET logout_state = NULL, logout_redirect = NULL FROM s WHERE x.id = s.id RETURNING x.id)
       SELECT s.logout_redirect FROM s`,
      [sha256(stateHandle)],
    );
    return rows[0] ? (rows[0].logout_redirect ?? null) : undefined;
  }

  clearCookie(res: Response, environment: Environment): void {
    setCookie(res, this.config, SsoSessions.cookieBase(environment), '', 0);
  }

  private seal(value: string, publicId: string): Sealed {
    const s = this.box.seal(value, `sso-session:${publicId}`);
    return { keyId: s.keyId, iv: s.iv.toString('base64'), ciphertext: s.ciphertext.toString('base64'), tag: s.tag.toString('base64') };
  }

  private open(s: Sealed, publicId: string): string {
    return this.box.open({ keyId: s.keyId, iv: Buffer.from(s.iv, 'base64'), ciphertext: Buffer.from(s.ciphertext, 'base64'), tag: Buffer.from(s.tag, 'base64') }, `sso-session:${publicId}`);
  }
}

function toSession(r: Record<string, any>): SsoSession {
  return { publicId: r.public_id, tenantId: r.tenant_id, environment: r.environment, userId: r.user_id, authTime: Number(r.auth_time) };
}

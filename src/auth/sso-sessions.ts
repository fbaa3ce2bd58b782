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
  /** Undefined when unknown (Okta sent no auth_time, and nothing required one). */
  authTime?: number;
}

/** What a sign-in's authorization code carries so that redeeming it starts the session (see prepare). */
export interface PreparedSession {
  publicId: string;
  startsSession: { handleHash: string; previous?: string; ttl: number };
}

/**
 * This service's own sign-in session (SSO across iQmetrix apps), in Postgres like every login state. The
 * browser holds a random handle in an HttpOnly cookie (one per environment); only its hash is stored. A session
 * belongs to one tenant and one environment, lasts SSO_SESSION_IDLE_S without use and SSO_SESSION_MAX_S at most.
 * It starts when the app redeems the sign-in's code (see prepare). Grants issued in it carry its public id (sid),
 * so ending it revokes them.
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
   * After a sign-in at Okta: a new session handle in the cookie, and what the authorization code must carry so
   * that redeeming it starts the session (or continues the browser's live one for the same tenant, environment
   * and user, so grants issued in it stay together). Nothing is written here: the sign-in callback stays at two
   * database round trips. The tenant's Okta ID token, needed only as id_token_hint at Okta's logout, stays in
   * this browser, sealed (AES-256-GCM, bound to the session handle) in a cookie sent only to /oauth2/logout.
   */
  prepare(req: Request, res: Response, environment: Environment, upstreamIdToken: string | undefined): PreparedSession {
    const old = this.handle(req, environment);
    const handle = randomToken(32);
    const handleHash = sha256(handle);
    const ttl = this.config.env.SSO_SESSION_MAX_S;
    setCookie(res, this.config, SsoSessions.cookieBase(environment), handle, ttl);
    const hintCookie = `${SsoSessions.cookieBase(environment)}_hint`;
    if (upstreamIdToken && upstreamIdToken.length < 3000) {
      const sealed = this.box.seal(upstreamIdToken, `sso-hint:${handleHash}`);
      const value = [sealed.keyId, sealed.iv, sealed.ciphertext, sealed.tag].map((x) => (typeof x === 'string' ? x : x.toString('base64url'))).join('.');
      res.cookie(hintCookie, value, { httpOnly: true, sameSite: 'lax', secure: this.config.secureCookies, path: '/oauth2/logout', maxAge: ttl * 1000 });
    } else {
      res.clearCookie(hintCookie, { path: '/oauth2/logout' });
    }
    return { publicId: randomUUID(), startsSession: { handleHash, ...(old ? { previous: sha256(old) } : {}), ttl } };
  }

  /** The tenant's Okta ID token this browser keeps for the session behind its cookie, opened (for Okta's logout). */
  upstreamIdToken(req: Request, environment: Environment): string | undefined {
    const handle = this.handle(req, environment);
    const raw = readCookie(req, `${SsoSessions.cookieBase(environment)}_hint`);
    if (!handle || !raw) return undefined;
    const [keyId, iv, ciphertext, tag] = raw.split('.');
    if (!keyId || !iv || !ciphertext || !tag) return undefined;
    try {
      return this.box.open({ keyId, iv: Buffer.from(iv, 'base64url'), ciphertext: Buffer.from(ciphertext, 'base64url'), tag: Buffer.from(tag, 'base64url') }, `sso-hint:${sha256(handle)}`);
    } catch {
      return undefined; // another session's, tampered with, or sealed with a key no longer in the keyring
    }
  }

  /**
   * Ends a session (RP-initiated logout): revokes the grants issued in it and, when the browser goes on to
   * Okta, remembers where to go after.
   */
  async end(publicId: string, reason: string, continuation?: { stateHandle: string; redirect: { uri: string; state?: string } | null }): Promise<SsoSession | undefined> {
    const rows = await this.db.query(
      `WITH s AS (SELECT id, public_id, tenant_id, environment, user_id, extract(epoch FROM auth_time)::bigint AS auth_time
                    FROM sso_sessions WHERE public_id = $1 AND ended_at IS NULL FOR UPDATE),
       u AS (UPDATE sso_sessions x SET ended_at = now(), ended_reason = $2, logout_state = $3, logout_redirect = $4
               FROM s WHERE x.id = s.id RETURNING x.id)
       SELECT s.* FROM s`,
      [publicId, reason, continuation ? sha256(continuation.stateHandle) : null, continuation?.redirect ? JSON.stringify(continuation.redirect) : null],
    );
    const r = rows[0];
    if (!r) return undefined;
    await this.refresh.revokeSession(publicId, 'logout');
    return toSession(r);
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
    res.clearCookie(`${SsoSessions.cookieBase(environment)}_hint`, { path: '/oauth2/logout' });
  }

}

function toSession(r: Record<string, any>): SsoSession {
  return { publicId: r.public_id, tenantId: r.tenant_id, environment: r.environment, userId: r.user_id, ...(r.auth_time === null ? {} : { authTime: Number(r.auth_time) }) };
}

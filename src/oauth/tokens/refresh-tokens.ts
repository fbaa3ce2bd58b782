import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { randomToken, sha256 } from '../../common/crypto/tokens.js';
import type { Environment } from '../../database/directory-databases.js';

export interface RefreshGrant {
  familyId: string;
  clientId: string;
  tenantId: string;
  tenantSlug?: string;
  userId: string;
  environment: Environment;
  scope: string[];
  authTime?: number;
  /** The SSO session the grant was issued in (its public id, the OIDC sid), if any. */
  sessionId?: string;
}

/** What redeeming a code records: the grant (always) and, if asked, the family's first refresh token. */
export interface GrantRecord {
  clientId: string;
  tenantId: string;
  userId: string;
  environment: Environment;
  sessionId?: string;
  /** Lifetime of the grant row: the longest-lived token issued from it. */
  ttl: number;
}

export type RotateResult =
  | { ok: true; grant: RefreshGrant; token: string }
  | { ok: false; reason: 'unknown' | 'reused' | 'expired' | 'revoked' | 'other-client' | 'wider-scope' }
  /** Not used, nor refused: the grant's directory is one the caller has not checked (see rotate). */
  | { ok: false; reason: 'unchecked-environment'; tenantId: string; environment: Environment };

export type RevocationReason = 'reuse' | 'code-replay' | 'revoked-by-client' | 'user-inactive' | 'deprovisioned' | 'logout';

/** A refresh token as introspection sees it. */
export interface RefreshTokenView {
  clientId: string;
  tenantId: string;
  tenantSlug: string;
  userId: string;
  environment: Environment;
  scope: string;
  familyId: string;
  issuedAt: number;
  expiresAt: number;
  active: boolean;
}

/** A grant's state: revoked or not, and its end (epoch ms). */
export interface GrantState {
  revoked: boolean;
  expiresAt: number;
}

/**
 * Refresh tokens: opaque, stored only as hashes, rotated on every use. A family shares an absolute expiry;
 * presenting an already-rotated token is treated as theft and revokes the whole family. Each family has a
 * token_grants row, which the JWT access tokens of the family name (gid): revoking the grant makes them
 * inactive at introspection and on this service's own API, before they expire.
 */
@Injectable()
export class RefreshTokens {
  constructor(private readonly db: DataSource) {}

  /**
   * Redeems a code in one statement: marks it consumed, starts (or continues) the SSO session its sign-in
   * established, records the grant in that session and, if asked, issues the family's first refresh token.
   * A code issued from a session that has since ended (signed out) is consumed and refused.
   */
  async consumeCode(
    code: { jti: string; familyId: string; exp: number; sessionId?: string; authTime?: number; startsSession?: { handleHash: string; previous?: string; ttl: number } },
    grant: GrantRecord,
    refresh: { scope: string[]; authTime?: number; ttl: number } | undefined,
  ): Promise<{ consumed: boolean; sessionEnded?: boolean; sessionId?: string; token?: string }> {
    const token = refresh ? randomToken(32) : undefined;
    const start = code.startsSession;
    const rows = await this.db.query(
      `WITH c AS (
         INSERT INTO consumed_codes (jti, family_id, expires_at) VALUES ($1, $2, to_timestamp($3) + interval '1 day')
         ON CONFLICT (jti) DO NOTHING RETURNING jti),
       continued AS (
         UPDATE sso_sessions s SET id = $14, auth_time = to_timestamp($17), last_seen_at = now(), expires_at = now() + make_interval(secs => $16)
           FROM c
          WHERE $15::text IS NOT NULL AND s.id = $15 AND s.tenant_id = $6 AND s.environment = $8 AND s.user_id = $7
            AND s.ended_at IS NULL AND s.expires_at > now()
         RETURNING s.public_id),
       started AS (
         INSERT INTO sso_sessions (id, public_id, tenant_id, environment, user_id, auth_time, expires_at)
         SELECT $14, $13::uuid, $6, $8, $7, to_timestamp($17), now() + make_interval(secs => $16) FROM c
          WHERE $14::text IS NOT NULL AND NOT EXISTS (SELECT 1 FROM continued)
         ON CONFLICT DO NOTHING
         RETURNING public_id),
       existing AS (
         SELECT public_id, ended_at IS NOT NULL OR expires_at <= now() AS ended FROM sso_sessions WHERE $14::text IS NULL AND public_id = $13::uuid),
       sid AS (
         SELECT public_id FROM continued UNION ALL SELECT public_id FROM started UNION ALL SELECT public_id FROM existing WHERE NOT ended),
       g AS (
         INSERT INTO token_grants (id, client_id, tenant_id, user_id, environment, session_id, expires_at)
         SELECT $2, $5, $6, $7, $8, (SELECT public_id FROM sid LIMIT 1), now() + make_interval(secs => $12) FROM c
          WHERE NOT EXISTS (SELECT 1 FROM existing WHERE ended)
         RETURNING id, session_id),
       r AS (
         INSERT INTO refresh_tokens (token_hash, family_id, client_id, tenant_id, user_id, environment, scope, auth_time, expires_at)
         SELECT $4, g.id, $5, $6, $7, $8, $9, to_timestamp($10), now() + make_interval(secs => $11) FROM g WHERE $4::text IS NOT NULL
         RETURNING id)
       SELECT EXISTS (SELECT 1 FROM c) AS consumed, EXISTS (SELECT 1 FROM existing WHERE ended) AS session_ended,
              (SELECT session_id FROM g) AS session_id, (SELECT count(*) FROM r) AS refresh_rows`,
      [code.jti, code.familyId, code.exp, token ? sha256(token) : null, grant.clientId, grant.tenantId, grant.userId, grant.environment,
        refresh?.scope.join(' ') ?? null, refresh?.authTime ?? null, refresh?.ttl ?? 0, grant.ttl, code.sessionId ?? null,
        start?.handleHash ?? null, start?.previous ?? null, start?.ttl ?? 0, code.authTime ?? null],
    );
    const r = rows[0];
    if (!r.consumed) return { consumed: false };
    if (r.session_ended) return { consumed: true, sessionEnded: true };
    return { consumed: true, token, sessionId: r.session_id ?? undefined };
  }

  /**
   * A new grant without an authorization code (the password grant): its token_grants row and, if asked, the
   * family's first refresh token, in one statement.
   */
  async issue(grant: GrantRecord & { familyId: string }, refresh: { scope: string[]; authTime?: number; ttl: number } | undefined): Promise<{ token?: string }> {
    const token = refresh ? randomToken(32) : undefined;
    await this.db.query(
      `WITH g AS (
         INSERT INTO token_grants (id, client_id, tenant_id, user_id, environment, session_id, expires_at)
         VALUES ($1, $2, $3, $4, $5, NULL, now() + make_interval(secs => $6))
         RETURNING id)
       INSERT INTO refresh_tokens (token_hash, family_id, client_id, tenant_id, user_id, environment, scope, auth_time, expires_at)
       SELECT $7, g.id, $2, $3, $4, $5, $8, to_timestamp($9), now() + make_interval(secs => $10) FROM g WHERE $7::text IS NOT NULL`,
      [grant.familyId, grant.clientId, grant.tenantId, grant.userId, grant.environment, grant.ttl,
        token ? sha256(token) : null, refresh?.scope.join(' ') ?? null, refresh?.authTime ?? null, refresh?.ttl ?? 0],
    );
    return { token };
  }

  /** Revokes a grant: its refresh tokens and (through gid) its access tokens. */
  async revokeFamily(familyId: string, reason: RevocationReason = 'reuse'): Promise<void> {
    await this.db.query(
      `WITH g AS (UPDATE token_grants SET revoked_at = now(), revoked_reason = $2 WHERE id = $1 AND revoked_at IS NULL RETURNING id)
       UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = $1 AND revoked_at IS NULL`,
      [familyId, reason],
    );
  }

  /** Revokes every grant of a user (deprovisioning): refresh tokens fail at once, access tokens introspect inactive. */
  async revokeUser(tenantId: string, userId: string, reason: RevocationReason): Promise<number> {
    const rows = await this.db.query(
      `WITH g AS (UPDATE token_grants SET revoked_at = now(), revoked_reason = $3 WHERE tenant_id = $1 AND user_id = $2 AND revoked_at IS NULL RETURNING id),
       r AS (UPDATE refresh_tokens SET revoked_at = now() WHERE tenant_id = $1 AND user_id = $2 AND revoked_at IS NULL RETURNING id)
       SELECT (SELECT count(*) FROM g)::int AS grants, (SELECT count(*) FROM r)::int AS tokens`,
      [tenantId, userId, reason],
    );
    return rows[0].grants;
  }

  /** Revokes the grants issued in one SSO session (RP-initiated logout). */
  async revokeSession(sessionPublicId: string, reason: RevocationReason = 'logout'): Promise<number> {
    const rows = await this.db.query(
      `WITH g AS (UPDATE token_grants SET revoked_at = now(), revoked_reason = $2 WHERE session_id = $1 AND revoked_at IS NULL RETURNING id),
       r AS (UPDATE refresh_tokens t SET revoked_at = now() FROM g WHERE t.family_id = g.id AND t.revoked_at IS NULL RETURNING t.id)
       SELECT (SELECT count(*) FROM g)::int AS grants`,
      [sessionPublicId, reason],
    );
    return rows[0].grants;
  }

  /** True when the grant exists and is not revoked (or, for grants older than this table, is unknown). */
  async grantActive(familyId: string): Promise<boolean> {
    if (!/^[0-9a-f-]{36}$/i.test(familyId)) return false;
    const rows = await this.db.query(`SELECT revoked_at IS NULL AND expires_at > now() AS active FROM token_grants WHERE id = $1`, [familyId]);
    return rows[0]?.active === true;
  }

  /** A grant as the API caches it (api/api-state-cache.ts): whether it was revoked and when it ends; null if there is none. */
  async grantState(familyId: string): Promise<GrantState | null> {
    if (!/^[0-9a-f-]{36}$/i.test(familyId)) return null;
    const rows = await this.db.query(`SELECT revoked_at IS NOT NULL AS revoked, (extract(epoch FROM expires_at) * 1000)::float8 AS expires_at FROM token_grants WHERE id = $1`, [familyId]);
    return rows[0] ? { revoked: rows[0].revoked === true, expiresAt: Number(rows[0].expires_at) } : null;
  }

  /** Looks a refresh token up without using it (introspection, revocation). */
  async find(presented: string): Promise<RefreshTokenView | undefined> {
    if (presented.length > 200) return undefined;
    const rows = await this.db.query(
      `SELECT t.client_id, t.tenant_id, te.slug AS tenant_slug, t.user_id, t.environment, t.scope, t.family_id,
              extract(epoch FROM t.issued_at)::bigint AS iat, extract(epoch FROM t.expires_at)::bigint AS exp,
              (t.used_at IS NULL AND t.revoked_at IS NULL AND t.expires_at > now() AND COALESCE(g.revoked_at IS NULL, true)) AS active
         FROM refresh_tokens t JOIN tenants te ON te.id = t.tenant_id LEFT JOIN token_grants g ON g.id = t.family_id
        WHERE t.token_hash = $1`,
      [sha256(presented)],
    );
    const r = rows[0];
    if (!r) return undefined;
    return {
      clientId: r.client_id, tenantId: r.tenant_id, tenantSlug: r.tenant_slug, userId: r.user_id, environment: r.environment, scope: r.scope,
      familyId: r.family_id, issuedAt: Number(r.iat), expiresAt: Number(r.exp), active: r.active,
    };
  }

  /**
   * Uses a refresh token once and issues its successor in the same family (same absolute expiry). `scope`, a
   * narrowing the client asks for (RFC 6749 §6), is checked in the same statement: a scope beyond the granted one
   * is refused before the token is used, so the client keeps a token that works (a refusal after rotating it
   * would leave it one whose next use counts as reuse and revokes the family). So is the grant's environment: a
   * token of an environment not in `checked` (training: its tenant may have turned it off, its database may be
   * down) is left as it is, and the answer names the tenant and environment for the caller to check and come back
   * with. Production's directory is this database, so the rotation answers for it.
   */
  async rotate(presented: string, clientId: string, scope?: readonly string[], checked: readonly Environment[] = ['production']): Promise<RotateResult> {
    if (presented.length > 200) return { ok: false, reason: 'unknown' };
    const next = randomToken(32);
    const rows = await this.db.query(
      `WITH t AS (
         SELECT r.*, g.revoked_at AS grant_revoked_at, g.session_id FROM refresh_tokens r LEFT JOIN token_grants g ON g.id = r.family_id
          WHERE r.token_hash = $1 FOR UPDATE OF r),
       scoped AS (SELECT t.id, ($4::text[] IS NULL OR string_to_array(t.scope, ' ') @> $4::text[]) AS scope_ok FROM t),
       used AS (
         UPDATE refresh_tokens r SET used_at = now() FROM t JOIN scoped s ON s.id = t.id
          WHERE r.id = t.id AND t.used_at IS NULL AND t.revoked_at IS NULL AND t.grant_revoked_at IS NULL AND t.expires_at > now() AND t.client_id = $2 AND s.scope_ok
            AND t.environment = ANY ($5::text[])
         RETURNING r.*),
       successor AS (
         INSERT INTO refresh_tokens (token_hash, family_id, client_id, tenant_id, user_id, environment, scope, auth_time, expires_at)
         SELECT $3, family_id, client_id, tenant_id, user_id, environment, scope, auth_time, expires_at FROM used
         RETURNING id)
       SELECT t.family_id, t.client_id, t.tenant_id, t.user_id, t.environment, t.scope, extract(epoch FROM t.auth_time)::bigint AS auth_time,
              t.used_at IS NOT NULL AS was_used, (t.revoked_at IS NOT NULL OR t.grant_revoked_at IS NOT NULL) AS revoked, t.expires_at <= now() AS expired,
              t.session_id, EXISTS (SELECT 1 FROM successor) AS rotated, (SELECT slug FROM tenants WHERE id = t.tenant_id) AS tenant_slug,
              (SELECT scope_ok FROM scoped) AS scope_ok
         FROM t`,
      [sha256(presented), clientId, sha256(next), scope ? [...scope] : null, [...checked]],
    );
    const r = rows[0];
    if (!r) return { ok: false, reason: 'unknown' };
    if (r.client_id !== clientId) return { ok: false, reason: 'other-client' };
    if (r.revoked) return { ok: false, reason: 'revoked' };
    if (r.was_used) {
      await this.revokeFamily(r.family_id, 'reuse');
      return { ok: false, reason: 'reused' };
    }
    if (r.expired) return { ok: false, reason: 'expired' };
    if (!r.scope_ok) return { ok: false, reason: 'wider-scope' };
    if (!checked.includes(r.environment)) return { ok: false, reason: 'unchecked-environment', tenantId: r.tenant_id, environment: r.environment };
    if (!r.rotated) return { ok: false, reason: 'expired' };
    return {
      ok: true,
      token: next,
      grant: {
        familyId: r.family_id, clientId: r.client_id, tenantId: r.tenant_id, tenantSlug: r.tenant_slug, userId: r.user_id, environment: r.environment,
        scope: r.scope.split(' ').filter(Boolean), ...(r.auth_time === null ? {} : { authTime: Number(r.auth_time) }), sessionId: r.session_id ?? undefined,
      },
    };
  }
}

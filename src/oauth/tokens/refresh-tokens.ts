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
  authTime: number;
}

export type RotateResult = { ok: true; grant: RefreshGrant; token: string } | { ok: false; reason: 'unknown' | 'reused' | 'expired' | 'revoked' | 'other-client' };

/**
 * Refresh tokens: opaque, stored only as hashes, rotated on every use. A family shares an absolute expiry;
 * presenting an already-rotated token is treated as theft and revokes the whole family.
 */
@Injectable()
export class RefreshTokens {
  constructor(private readonly db: DataSource) {}

  /** Redeems a code: marks it consumed and, if asked, issues the family's first refresh token, in one statement. */
  async consumeCode(code: { jti: string; familyId: string; exp: number }, refresh: (RefreshGrant & { ttl: number }) | undefined): Promise<{ consumed: boolean; token?: string }> {
    const token = refresh ? randomToken(32) : undefined;
    const rows = await this.db.query(
      `WITH c AS (
         INSERT INTO consumed_codes (jti, family_id, expires_at) VALUES ($1, $2, to_timestamp($3) + interval '1 day')
         ON CONFLICT (jti) DO NOTHING RETURNING jti),
       r AS (
         INSERT INTO refresh_tokens (token_hash, family_id, client_id, tenant_id, user_id, environment, scope, auth_time, expires_at)
         SELECT $4, $2, $5, $6, $7, $8, $9, to_timestamp($10), now() + make_interval(secs => $11) FROM c WHERE $4::text IS NOT NULL
         RETURNING id)
       SELECT EXISTS (SELECT 1 FROM c) AS consumed`,
      [code.jti, code.familyId, code.exp, token ? sha256(token) : null, refresh?.clientId ?? null, refresh?.tenantId ?? null, refresh?.userId ?? null,
        refresh?.environment ?? null, refresh?.scope.join(' ') ?? null, refresh?.authTime ?? null, refresh?.ttl ?? 0],
    );
    return rows[0].consumed ? { consumed: true, token } : { consumed: false };
  }

  async revokeFamily(familyId: string): Promise<void> {
    await this.db.query(`UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = $1 AND revoked_at IS NULL`, [familyId]);
  }

  /** Uses a refresh token once and issues its successor in the same family (same absolute expiry). */
  async rotate(presented: string, clientId: string): Promise<RotateResult> {
    if (presented.length > 200) return { ok: false, reason: 'unknown' };
    const next = randomToken(32);
    const rows = await this.db.query(
      `WITH t AS (
         SELECT * FROM refresh_tokens WHERE token_hash = $1 FOR UPDATE),
       used AS (
         UPDATE refresh_tokens r SET used_at = now() FROM t
          WHERE r.id = t.id AND t.used_at IS NULL AND t.revoked_at IS NULL AND t.expires_at > now() AND t.client_id = $2
         RETURNING r.*),
       successor AS (
         INSERT INTO refresh_tokens (token_hash, family_id, client_id, tenant_id, user_id, environment, scope, auth_time, expires_at)
         SELECT $3, family_id, client_id, tenant_id, user_id, environment, scope, auth_time, expires_at FROM used
         RETURNING id)
       SELECT t.family_id, t.client_id, t.tenant_id, t.user_id, t.environment, t.scope, extract(epoch FROM t.auth_time)::bigint AS auth_time,
              t.used_at IS NOT NULL AS was_used, t.revoked_at IS NOT NULL AS revoked, t.expires_at <= now() AS expired,
              EXISTS (SELECT 1 FROM successor) AS rotated, (SELECT slug FROM tenants WHERE id = t.tenant_id) AS tenant_slug
         FROM t`,
      [sha256(presented), clientId, sha256(next)],
    );
    const r = rows[0];
    if (!r) return { ok: false, reason: 'unknown' };
    if (r.client_id !== clientId) return { ok: false, reason: 'other-client' };
    if (r.revoked) return { ok: false, reason: 'revoked' };
    if (r.was_used) {
      await this.revokeFamily(r.family_id);
      return { ok: false, reason: 'reused' };
    }
    if (r.expired || !r.rotated) return { ok: false, reason: 'expired' };
    return {
      ok: true,
      token: next,
      grant: { familyId: r.family_id, clientId: r.client_id, tenantId: r.tenant_id, tenantSlug: r.tenant_slug, userId: r.user_id, environment: r.environment, scope: r.scope.split(' ').filter(Boolean), authTime: Number(r.auth_time) },
    };
  }
}

import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { randomToken, sha256 } from '../common/crypto/tokens.js';
import { ProblemError } from '../common/errors/problem.js';

export interface ScimTokenView {
  id: string;
  label: string;
  createdBy: string;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

/** The tenant a valid SCIM token is for. */
export interface ScimCaller {
  tokenId: string;
  tenantId: string;
  tenantSlug: string;
}

const PREFIX = 'iqscim_';

/**
 * Per-tenant SCIM bearer tokens. Account managers issue them (the token is shown once) and rotate them by
 * issuing a new one, putting it in the customer's Okta, then revoking the old one: several may be live at once
 * so rotation never breaks provisioning. Stored only as SHA-256 (they are 256-bit random, so a fast hash is enough).
 */
@Injectable()
export class ScimTokens {
  constructor(private readonly db: DataSource) {}

  async issue(tenantId: string, label: string, expiresInDays: number | undefined, actor: string): Promise<{ token: string; scimToken: ScimTokenView }> {
    const token = `${PREFIX}${randomToken(32)}`;
    const rows = await this.db.query(
      `INSERT INTO scim_tokens (tenant_id, token_hash, label, created_by, expires_at)
       VALUES ($1, $2, $3, $4, CASE WHEN $5::int IS NULL THEN NULL ELSE now() + make_interval(days => $5::int) END)
       RETURNING *`,
      [tenantId, sha256(token), label, actor, expiresInDays ?? null],
    );
    return { token, scimToken: view(rows[0]) };
  }

  async list(tenantId: string): Promise<ScimTokenView[]> {
    const rows = await this.db.query(`SELECT * FROM scim_tokens WHERE tenant_id = $1 ORDER BY created_at DESC, id`, [tenantId]);
    return rows.map(view);
  }

  async revoke(tenantId: string, id: string, actor: string): Promise<ScimTokenView> {
    const rows = await this.db.query(
      `WITH u AS (UPDATE scim_tokens SET revoked_at = COALESCE(revoked_at, now()), revoked_by = COALESCE(revoked_by, $3) WHERE tenant_id = $1 AND id = $2 RETURNING *)
       SELECT * FROM u`,
      [tenantId, id, actor],
    );
    if (!rows[0]) throw ProblemError.notFound('SCIM token');
    return view(rows[0]);
  }

  /** Whether any live token exists: tenants with SCIM are left out of reconciliation's "not seen" flags. */
  async hasLiveToken(tenantId: string): Promise<boolean> {
    const rows = await this.db.query(`SELECT 1 FROM scim_tokens WHERE tenant_id = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now()) LIMIT 1`, [tenantId]);
    return rows.length > 0;
  }

  /** The tenant of a presented token, if it is live and for the tenant named in the URL. */
  async authenticate(presented: string, slug: string): Promise<ScimCaller | undefined> {
    if (!presented.startsWith(PREFIX) || presented.length > 200) return undefined;
    const rows = await this.db.query(
      `WITH t AS (
         SELECT s.id, s.tenant_id, te.slug FROM scim_tokens s JOIN tenants te ON te.id = s.tenant_id
          WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND (s.expires_at IS NULL OR s.expires_at > now()) AND te.slug = $2 AND te.status = 'active'),
       touched AS (
         UPDATE scim_tokens SET last_used_at = now() FROM t WHERE scim_tokens.id = t.id AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute') RETURNING 1)
       SELECT t.* FROM t`,
      [sha256(presented), slug],
    );
    const r = rows[0];
    return r ? { tokenId: r.id, tenantId: r.tenant_id, tenantSlug: r.slug } : undefined;
  }
}

function view(r: Record<string, any>): ScimTokenView {
  const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);
  return { id: r.id, label: r.label, createdBy: r.created_by, createdAt: iso(r.created_at)!, expiresAt: iso(r.expires_at), lastUsedAt: iso(r.last_used_at), revokedAt: iso(r.revoked_at) };
}

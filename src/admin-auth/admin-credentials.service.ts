import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { randomToken, sha256 } from '../common/crypto/tokens.js';
import { type FieldProblem, ProblemError } from '../common/errors/problem.js';
import { ADMIN_CHALLENGE, type AdminActor, type AdminRole, refuseConsoleSession } from './admin-actor.js';
import { oneLine } from '../common/validation/zod.js';

/** An address RFC 5321 can deliver to: a local part of at most 64 octets, 254 in all (§4.5.3.1). */
const principalEmail = z.email().max(254).refine((e) => Buffer.byteLength(e.slice(0, e.lastIndexOf('@'))) <= 64, 'must have a local part (before the @) of at most 64 characters (RFC 5321)');

/** Admin API tokens: a recognisable prefix (secret scanners), then 256 random bits. */
export const ADMIN_TOKEN_PREFIX = 'iqsso_am_';
const TOKEN_SHAPE = /^iqsso_am_[A-Za-z0-9_-]{43}$/;
/** Console sessions (src/console): `iqsso_cs_` + 256 random bits, only ever carried in the console's cookie. */
const SESSION_SHAPE = /^iqsso_cs_[A-Za-z0-9_-]{43}$/;

const slug = z.string().regex(/^[a-z0-9][a-z0-9-]{1,62}$/, 'must be a tenant slug');
// The bodies below are strict: a key that is no field (a typo: "tenant", "rol") is a 422, never a silent no-op.
export const createPrincipalSchema = z.strictObject({
  name: oneLine(),
  email: principalEmail.optional(),
  role: z.enum(['operator', 'manager']),
  tenants: z.array(slug).max(1000).default([]),
});
export const updatePrincipalSchema = z.strictObject({
  name: oneLine().optional(),
  status: z.enum(['active', 'disabled']).optional(),
  /** Operators look after every tenant: a manager made operator loses the tenant list; an operator made manager looks after `tenants` (none without). */
  role: z.enum(['operator', 'manager']).optional(),
  tenants: z.array(slug).max(1000).optional(),
});

/** What a PATCH of a principal changed, for the admin action log. */
export interface PrincipalChanges {
  name?: { from: string; to: string };
  status?: { from: string; to: string };
  role?: { from: AdminRole; to: AdminRole };
  tenants?: { added: string[]; removed: string[] };
}

/** Role and status changes take turns across every instance, so "the last enabled operator" is counted once. */
const OPERATORS_LOCK = `hashtext('iqsso:admin-operators')`;
export const issueCredentialSchema = z.strictObject({
  label: oneLine(),
  /** Every credential expires; at most a year. */
  expiresInDays: z.number().int().min(1).max(365).default(90),
});

export interface PrincipalView {
  id: string;
  name: string;
  email: string | null;
  role: AdminRole;
  status: 'active' | 'disabled';
  tenants: string[];
  createdBy: string;
  createdAt: string;
}

export interface CredentialView {
  id: string;
  principalId: string;
  kind: 'api-token' | 'session';
  /** The credential this one was issued with (a self-issued token) or opened with (a console session); its revocation ends this one. */
  parentId: string | null;
  label: string;
  hint: string;
  expiresAt: string;
  revokedAt: string | null;
  lastUsedAt: string | null;
  createdBy: string;
  createdAt: string;
  status: 'active' | 'expired' | 'revoked';
}

/** A new token, shown once; a warning says when its expiry was capped (a self-issued token outlives no parent). */
export interface IssuedCredential {
  credential: CredentialView;
  token: string;
  warnings: FieldProblem[];
}

export type Authenticated =
  | { ok: true; actor: AdminActor }
  | { ok: false; reason: 'unknown' | 'expired' | 'revoked' | 'disabled' };

interface CredentialRow {
  credential_id: string;
  principal_id: string;
  name: string;
  role: AdminRole;
  principal_status: string;
  kind: 'api-token' | 'session';
  expired: boolean;
  revoked: boolean;
  parent_invalid: boolean;
  tenant_ids: string[];
  stale: boolean;
}

const operatorsHaveAllTenants = { field: 'tenants', reason: 'an operator looks after every tenant; a tenant list is only for a manager' };

/**
 * People who use the admin API and their credentials. Tokens are shown once, at issue, and stored only as a
 * SHA-256 hash (they carry 256 random bits, so a fast hash is the right lookup key, as for OAuth tokens).
 */
@Injectable()
export class AdminCredentials {
  constructor(private readonly db: DataSource) {}

  /**
   * The actor a presented token belongs to, if it is valid now. One indexed lookup. A header carries API
   * tokens only; a console session is accepted only from the console's cookie (kind 'session').
   */
  async authenticate(token: string, kind: 'api-token' | 'session' = 'api-token'): Promise<Authenticated> {
    if (!(kind === 'session' ? SESSION_SHAPE : TOKEN_SHAPE).test(token)) return { ok: false, reason: 'unknown' };
    const rows: CredentialRow[] = await this.db.query(
      `SELECT c.id AS credential_id, p.id AS principal_id, p.name, p.role, p.status AS principal_status, c.kind,
              c.expires_at <= now() AS expired, c.revoked_at IS NOT NULL AS revoked,
              (c.parent_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM admin_credentials pc WHERE pc.id = c.parent_id AND pc.revoked_at IS NULL AND pc.expires_at > now())) AS parent_invalid,
              COALESCE((SELECT array_agg(pt.tenant_id) FROM admin_principal_tenants pt WHERE pt.principal_id = p.id), '{}') AS tenant_ids,
              (c.last_used_at IS NULL OR c.last_used_at < now() - interval '1 minute') AS stale
         FROM admin_credentials c JOIN admin_principals p ON p.id = c.principal_id
        WHERE c.token_hash = $1`,
      [sha256(token)],
    );
    const r = rows[0];
    if (!r || r.kind !== kind) return { ok: false, reason: 'unknown' };
    if (r.revoked) return { ok: false, reason: 'revoked' };
    if (r.expired) return { ok: false, reason: 'expired' };
    if (r.parent_invalid) return { ok: false, reason: 'revoked' };
    if (r.principal_status !== 'active') return { ok: false, reason: 'disabled' };
    if (r.stale) await this.db.query(`UPDATE admin_credentials SET last_used_at = now() WHERE id = $1`, [r.credential_id]);
    return {
      ok: true,
      actor: {
        id: `principal:${r.principal_id}`,
        name: r.name,
        role: r.role,
        principalId: r.principal_id,
        credentialId: r.credential_id,
        via: r.kind === 'session' ? 'session' : 'api-token',
        tenantIds: new Set(r.tenant_ids),
      },
    };
  }

  async createPrincipal(input: z.infer<typeof createPrincipalSchema>, by: AdminActor): Promise<PrincipalView> {
    if (input.role === 'operator' && input.tenants.length) throw ProblemError.validation([operatorsHaveAllTenants]);
    return this.db.transaction(async (m) => {
      const tenantIds = await this.tenantIdsFor(m, input.tenants, 'tenants');
      let id: string;
      try {
        const rows = await m.query(`INSERT INTO admin_principals (name, email, role, created_by) VALUES ($1, $2, $3, $4) RETURNING id`, [input.name, input.email ?? null, input.role, by.id]);
        id = rows[0].id;
      } catch (e) {
        if ((e as { constraint?: string }).constraint === 'admin_principals_email') throw ProblemError.conflict('Someone with this email already has admin access.', [{ field: 'email', reason: 'already in use' }]);
        throw e;
      }
      await this.setTenants(m, id, tenantIds, by);
      return (await this.principals(m, id))[0]!;
    });
  }

  /**
   * Renames, enables or disables, changes the role of, or replaces the tenants of a principal; at once, since the
   * role and the tenants are read on every request. A change that would leave no enabled operator (demoting or
   * disabling the last one, yourself included) is refused: promote or enable someone else first.
   */
  async updatePrincipal(id: string, input: z.infer<typeof updatePrincipalSchema>, by: AdminActor): Promise<{ principal: PrincipalView; changes: PrincipalChanges }> {
    return this.db.transaction(async (m) => {
      if (input.role !== undefined || input.status !== undefined) await m.query(`SELECT pg_advisory_xact_lock(${OPERATORS_LOCK})`);
      const before = (await this.principals(m, id))[0];
      if (!before) throw ProblemError.notFound('Admin user');
      const role = input.role ?? before.role;
      if (role === 'operator' && input.tenants?.length) throw ProblemError.validation([operatorsHaveAllTenants]);
      const changes: PrincipalChanges = {};
      if (input.name !== undefined && input.name !== before.name) changes.name = { from: before.name, to: input.name };
      if (input.status !== undefined && input.status !== before.status) changes.status = { from: before.status, to: input.status };
      if (role !== before.role) changes.role = { from: before.role, to: role };

      if (changes.name || changes.status || changes.role) {
        await m.query(`UPDATE admin_principals SET name = COALESCE($2, name), status = COALESCE($3, status), role = COALESCE($4, role), updated_at = now() WHERE id = $1`, [id, input.name ?? null, input.status ?? null, input.role ?? null]);
      }
      if (before.role === 'operator' && before.status === 'active' && (changes.role || changes.status)) {
        const [{ n }] = await m.query(`SELECT count(*)::int AS n FROM admin_principals WHERE role = 'operator' AND status = 'active'`);
        if (n === 0) {
          throw ProblemError.conflict(`${before.name} is the last enabled operator; make someone else an operator (or enable one) first, so that someone can still manage people.`, [
            { field: changes.role ? 'role' : 'status', reason: 'would leave no enabled operator' },
          ]);
        }
      }
      // An operator looks after every tenant; a list kept for one would mean nothing, and come back on a demotion.
      const tenants = role === 'operator' ? (changes.role || input.tenants ? [] : undefined) : input.tenants ?? (changes.role ? [] : undefined);
      if (tenants) {
        const tenantIds = await this.tenantIdsFor(m, tenants, 'tenants');
        await m.query(`DELETE FROM admin_principal_tenants WHERE principal_id = $1 AND NOT (tenant_id = ANY($2::uuid[]))`, [id, tenantIds]);
        await this.setTenants(m, id, tenantIds, by);
      }
      const principal = (await this.principals(m, id))[0]!;
      const added = principal.tenants.filter((t) => !before.tenants.includes(t));
      const removed = before.tenants.filter((t) => !principal.tenants.includes(t));
      if (added.length || removed.length) changes.tenants = { added, removed };
      return { principal, changes };
    });
  }

  /** Gives a manager a tenant (used when a manager creates a tenant: they look after what they onboard). */
  async grantTenant(principalId: string, tenantId: string, by: AdminActor): Promise<void> {
    await this.db.query(`INSERT INTO admin_principal_tenants (principal_id, tenant_id, granted_by) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, [principalId, tenantId, by.id]);
  }

  async listPrincipals(): Promise<PrincipalView[]> {
    return this.principals(this.db.manager);
  }

  async principal(id: string): Promise<PrincipalView> {
    const p = (await this.principals(this.db.manager, id))[0];
    if (!p) throw ProblemError.notFound('Admin user');
    return p;
  }

  /** Issuing a token is never done with a console session (refuseConsoleSession); controllers ask before reading the body. */
  refuseSession(by: AdminActor): void {
    refuseConsoleSession(by, 'issue API tokens', 'issuing a token');
  }

  /**
   * A new API token for a principal. The token is in this answer only; afterwards only its hint is shown.
   * Never from a console session: minting takes the API token itself (a "sudo" step), so a stolen session cookie
   * (8 hours) cannot become a lasting credential, for its owner or, an operator's, for anyone.
   * Issued to oneself (POST /admin/me/credentials, or an operator's own id), it is the child of the API token the
   * request was made with: it expires no later than that one, and revoking that one revokes it. Otherwise a
   * short-lived or stolen credential could mint itself a year. An operator issuing a token to someone else gives it
   * up to 365 days and no parent: it is that person's credential, and must not die when the operator's own token
   * is rotated or expires (the action log names the credential it was issued with).
   */
  async issue(principalId: string, input: z.infer<typeof issueCredentialSchema>, by: AdminActor): Promise<IssuedCredential> {
    this.refuseSession(by);
    const p = await this.principal(principalId);
    if (p.status !== 'active') throw ProblemError.conflict('This admin user is disabled; enable them before issuing a credential.');
    const token = `${ADMIN_TOKEN_PREFIX}${randomToken(32)}`;
    const hint = token.slice(0, ADMIN_TOKEN_PREFIX.length + 4);
    if (by.principalId !== principalId || !by.credentialId) {
      const rows = await this.db.query(
        `INSERT INTO admin_credentials (principal_id, kind, token_hash, hint, label, expires_at, created_by)
         VALUES ($1, 'api-token', $2, $3, $4, now() + make_interval(days => $5), $6) RETURNING id`,
        [principalId, sha256(token), hint, input.label, input.expiresInDays, by.id],
      );
      return { credential: (await this.credentials({ id: rows[0].id }))[0]!, token, warnings: [] };
    }
    const issued: { id: string; capped: boolean } | undefined = await this.db.transaction(async (m) => {
      // Issuing and revoking a principal's credentials take turns (revoke() takes the same lock), so a token issued
      // while its parent is being revoked is either seen and revoked with it, or refused here.
      await m.query(`SELECT 1 FROM admin_principals WHERE id = $1 FOR UPDATE`, [principalId]);
      // The parent: the API token the request was made with (a session was refused above).
      const rows = await m.query(
        `INSERT INTO admin_credentials (principal_id, kind, parent_id, token_hash, hint, label, expires_at, created_by)
         SELECT c.principal_id, 'api-token', c.id, $3, $4, $5, LEAST(now() + make_interval(days => $6), c.expires_at), $7
           FROM admin_credentials c
          WHERE c.id = $1 AND c.principal_id = $2 AND c.kind = 'api-token' AND c.revoked_at IS NULL AND c.expires_at > now()
         RETURNING id, expires_at < now() + make_interval(days => $6) AS capped`,
        [by.credentialId, principalId, sha256(token), hint, input.label, input.expiresInDays, by.id],
      );
      return rows[0];
    });
    if (!issued) throw ProblemError.unauthorized('The admin credential has been revoked.', ADMIN_CHALLENGE);
    const credential = (await this.credentials({ id: issued.id }))[0]!;
    const warnings = issued.capped
      ? [{ field: 'expiresInDays', reason: `capped: this token expires at ${credential.expiresAt}, with the credential this request was made with (${credential.parentId}); a token you issue yourself cannot outlive it` }]
      : [];
    return { credential, token, warnings };
  }

  async credentialsOf(principalId: string): Promise<CredentialView[]> {
    return this.credentials({ principalId });
  }

  /**
   * Revokes a credential and every credential descending from it: the tokens issued with it, theirs in turn, and
   * the console sessions opened with any of them (`alsoRevoked`). Managers may revoke only their own.
   */
  async revoke(credentialId: string, by: AdminActor): Promise<CredentialView & { alsoRevoked: string[] }> {
    const found = (await this.credentials({ id: credentialId }))[0];
    if (!found || (by.role !== 'operator' && found.principalId !== by.principalId)) throw ProblemError.notFound('Credential');
    const revoked: Array<{ id: string }> = await this.db.transaction(async (m) => {
      await m.query(`SELECT 1 FROM admin_principals WHERE id = $1 FOR UPDATE`, [found.principalId]); // see issue()
      return m.query(
        `WITH RECURSIVE tree AS (
           SELECT id FROM admin_credentials WHERE id = $1
           UNION SELECT c.id FROM admin_credentials c JOIN tree t ON c.parent_id = t.id
         ), u AS (UPDATE admin_credentials SET revoked_at = now(), revoked_by = $2 WHERE id IN (SELECT id FROM tree) AND revoked_at IS NULL RETURNING id)
         SELECT id FROM u`,
        [credentialId, by.id],
      );
    });
    return { ...(await this.credentials({ id: credentialId }))[0]!, alsoRevoked: revoked.map((r) => r.id).filter((id) => id !== credentialId).sort() };
  }

  private async credentials(where: { id?: string; principalId?: string }): Promise<CredentialView[]> {
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
    if ((where.id && !uuid.test(where.id)) || (where.principalId && !uuid.test(where.principalId))) return [];
    const rows = await this.db.query(
      `SELECT id, principal_id, kind, parent_id, label, hint, expires_at, revoked_at, last_used_at, created_by, created_at, expires_at <= now() AS expired
         FROM admin_credentials WHERE ($1::uuid IS NULL OR id = $1) AND ($2::uuid IS NULL OR principal_id = $2) ORDER BY created_at DESC`,
      [where.id ?? null, where.principalId ?? null],
    );
    return rows.map((r: Record<string, any>) => ({
      id: r.id,
      principalId: r.principal_id,
      kind: r.kind,
      parentId: r.parent_id,
      label: r.label,
      hint: `${r.hint}…`,
      expiresAt: new Date(r.expires_at).toISOString(),
      revokedAt: r.revoked_at ? new Date(r.revoked_at).toISOString() : null,
      lastUsedAt: r.last_used_at ? new Date(r.last_used_at).toISOString() : null,
      createdBy: r.created_by,
      createdAt: new Date(r.created_at).toISOString(),
      status: r.revoked_at ? 'revoked' : r.expired ? 'expired' : 'active',
    }));
  }

  private async principals(m: { query: DataSource['query'] }, id?: string): Promise<PrincipalView[]> {
    if (id && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) return [];
    const rows = await m.query(
      `SELECT p.*, COALESCE((SELECT array_agg(t.slug ORDER BY t.slug) FROM admin_principal_tenants pt JOIN tenants t ON t.id = pt.tenant_id WHERE pt.principal_id = p.id), '{}') AS tenants
         FROM admin_principals p WHERE ($1::uuid IS NULL OR p.id = $1) ORDER BY p.name, p.id`,
      [id ?? null],
    );
    return rows.map((r: Record<string, any>) => ({
      id: r.id, name: r.name, email: r.email, role: r.role, status: r.status, tenants: r.tenants,
      createdBy: r.created_by, createdAt: new Date(r.created_at).toISOString(),
    }));
  }

  private async tenantIdsFor(m: { query: DataSource['query'] }, slugs: string[], field: string): Promise<string[]> {
    if (slugs.length === 0) return [];
    const rows: Array<{ id: string; slug: string }> = await m.query(`SELECT id, slug FROM tenants WHERE slug = ANY($1::text[])`, [slugs]);
    const missing = slugs.filter((s) => !rows.some((r) => r.slug === s));
    if (missing.length) throw ProblemError.validation(missing.map((s) => ({ field: `${field}[${slugs.indexOf(s)}]`, reason: `there is no tenant "${s}"` })));
    return rows.map((r) => r.id);
  }

  private async setTenants(m: { query: DataSource['query'] }, principalId: string, tenantIds: string[], by: AdminActor): Promise<void> {
    if (tenantIds.length === 0) return;
    await m.query(
      `INSERT INTO admin_principal_tenants (principal_id, tenant_id, granted_by) SELECT $1, unnest($2::uuid[]), $3 ON CONFLICT DO NOTHING`,
      [principalId, tenantIds, by.id],
    );
  }
}

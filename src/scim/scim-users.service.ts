import { Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ScimError } from '../common/errors/scim-error.js';
import { DirectoryDatabases } from '../database/directory-databases.js';
import { RefreshTokens } from '../oauth/tokens/refresh-tokens.js';
import { username as checkUsername, usernameKey } from '../provisioning/fields/formats.js';
import { type LifecycleAssertion, type ProvisioningContext, type ProvisioningResult, ProvisioningService } from '../provisioning/provisioning.service.js';
import { type LoadedTenant, TenantRuntime } from '../tenants/tenant-runtime.js';
import { MAX_RESULTS } from './scim-schemas.js';
import type { ScimCaller } from './scim-tokens.service.js';
import { type ScimAttributes, type StoredScimUser, toClaims } from './scim-user.js';
import { clipName } from '../common/validation/field-path.js';

interface Identity {
  id: string;
  issuer: string;
  subject: string;
  username: string;
  status: 'active' | 'disabled';
  scim_deleted_at: Date | null;
}

const userColumns = `u.id, u.subject, u.status, u.username, u.first_name, u.last_name, u.email, u.home_phone, u.cell_phone, u.id_number, u.security_role,
  u.created_at, u.updated_at,
  COALESCE((SELECT array_agg(l.location_external_id ORDER BY l.location_external_id) FROM user_locations l WHERE l.user_id = u.id), '{}') AS locations`;

/**
 * SCIM Users of one tenant (production directory). Every write goes through ProvisioningService — the same
 * mapper, checks, provenance rules and audit row as a sign-in, with source = 'scim'. Identity: a SCIM user is
 * keyed like a signed-in one, (tenant, the tenant's Okta issuer, sub), with sub = SCIM externalId, which Okta
 * sets to its user id (00u…), the same value as the sub of its ID tokens. SCIM id = this service's user id.
 */
@Injectable()
export class ScimUsers {
  private readonly log = new Logger(ScimUsers.name);

  constructor(
    private readonly runtime: TenantRuntime,
    private readonly provisioning: ProvisioningService,
    private readonly directories: DirectoryDatabases,
    private readonly refresh: RefreshTokens,
    private readonly control: DataSource,
  ) {}

  private db(tenantId: string): Promise<DataSource> {
    return this.directories.forEnvironment(tenantId, 'production');
  }

  async tenant(caller: ScimCaller): Promise<LoadedTenant> {
    const ref = await this.runtime.bySlug(caller.tenantSlug);
    if (!ref || ref.id !== caller.tenantId) throw ScimError.unauthorized();
    return this.runtime.load(ref);
  }

  async get(tenantId: string, id: string): Promise<StoredScimUser> {
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) throw ScimError.notFound(`User ${clipName(id)} not found.`);
    const rows = await (await this.db(tenantId)).query(`SELECT ${userColumns} FROM users u WHERE u.tenant_id = $1 AND u.id = $2 AND u.scim_deleted_at IS NULL`, [tenantId, id]);
    if (!rows[0]) throw ScimError.notFound(`User ${id} not found.`);
    return rows[0];
  }

  /** userName eq: matched as the tenant would store it (after its username rewrite), case-insensitively. */
  async list(tenant: LoadedTenant, filter: { value: string } | undefined, startIndex: number, count: number): Promise<{ total: number; users: StoredScimUser[] }> {
    const db = await this.db(tenant.id);
    const limit = Math.min(Math.max(count, 0), MAX_RESULTS);
    const offset = Math.max(startIndex, 1) - 1;
    if (filter) {
      const keys = [usernameKey(filter.value)];
      const rewritten = checkUsername(filter.value, { rewrites: tenant.config.usernameRewrites, domains: tenant.config.domains });
      if (rewritten.ok) keys.push(usernameKey(rewritten.value));
      const rows = await db.query(`SELECT ${userColumns} FROM users u WHERE u.tenant_id = $1 AND u.username_key = ANY($2) AND u.scim_deleted_at IS NULL ORDER BY u.created_at, u.id`, [tenant.id, keys]);
      return { total: rows.length, users: rows.slice(offset, offset + limit) };
    }
    const [{ n }] = await db.query(`SELECT count(*)::int AS n FROM users WHERE tenant_id = $1 AND scim_deleted_at IS NULL`, [tenant.id]);
    const rows = limit === 0 ? [] : await db.query(`SELECT ${userColumns} FROM users u WHERE u.tenant_id = $1 AND u.scim_deleted_at IS NULL ORDER BY u.created_at, u.id LIMIT $2 OFFSET $3`, [tenant.id, limit, offset]);
    return { total: n, users: rows };
  }

  async create(tenant: LoadedTenant, a: ScimAttributes, correlationId?: string): Promise<StoredScimUser> {
    const subject = a.externalId;
    if (!subject) {
      throw ScimError.invalidValue('externalId is required: it must be the Okta user id (the sub of the tenant\'s ID tokens), so that the person signing in later is this same user.');
    }
    if (subject.length > 255) throw ScimError.invalidValue('externalId is too long (at most 255 characters).');
    if (!a.userName) throw ScimError.invalidValue('userName is required.');
    const issuer = tenant.config.okta.issuer;
    const existing = await this.identityBySubject(tenant.id, issuer, subject);
    if (existing && !existing.scim_deleted_at) throw ScimError.uniqueness(`A user with this externalId already exists (id ${existing.id}).`);
    const result = await this.write(tenant, { issuer, subject, username: undefined }, a, correlationId, a.active === false);
    if (existing?.scim_deleted_at) await (await this.db(tenant.id)).query(`UPDATE users SET scim_deleted_at = NULL WHERE id = $1`, [result.userId]);
    return this.get(tenant.id, result.userId!);
  }

  /** PUT (whole resource) and PATCH (only the touched attributes) of an existing user. */
  async update(tenant: LoadedTenant, id: string, a: ScimAttributes, correlationId?: string): Promise<StoredScimUser> {
    const who = await this.identityById(tenant.id, id);
    if (a.externalId !== undefined && a.externalId !== who.subject) {
      throw ScimError.mutability('externalId is immutable: it binds this user to the Okta user who signs in.');
    }
    await this.write(tenant, who, a, correlationId, a.active === false);
    return this.get(tenant.id, id);
  }

  /** DELETE: deprovision (as active=false) and hide from SCIM. The user row and its audits are kept. */
  async remove(tenant: LoadedTenant, id: string, correlationId?: string): Promise<void> {
    const who = await this.identityById(tenant.id, id);
    await this.write(tenant, who, { active: false, claims: {} }, correlationId, true);
    await (await this.db(tenant.id)).query(`UPDATE users SET scim_deleted_at = now() WHERE id = $1`, [id]);
  }

  private async write(tenant: LoadedTenant, who: { issuer: string; subject: string; username?: string }, a: ScimAttributes, correlationId: string | undefined, deactivate: boolean): Promise<ProvisioningResult & { userId: string }> {
    const claims = toClaims(a, tenant.config);
    // PATCH may not name the username: the stored one is asserted again (it passes the same checks).
    if (a.userName === undefined && who.username) Object.assign(claims, toClaims({ userName: who.username, claims: {} }, tenant.config), claims);
    const ctx: ProvisioningContext = { tenantId: tenant.id, configVersion: tenant.version, config: tenant.config, environment: 'production', source: 'scim', correlationId };
    const lifecycle: LifecycleAssertion = {};
    if (a.active !== undefined) lifecycle.status = a.active ? 'active' : 'disabled';
    if (deactivate && (tenant.config.lifecycle?.deactivatedLocations ?? 'remove-idp') === 'remove-idp') lifecycle.removeIdpLocations = true;
    const result = await this.provisioning.provision(ctx, { idToken: { sub: who.subject, ...claims } }, who.issuer, lifecycle);
    if (result.outcome === 'refused' || !result.userId) {
      const taken = result.reasons.find((r) => r.field === 'username' && /already belongs/.test(r.reason));
      const detail = `The user could not be provisioned (audit ${result.auditId ?? 'not written'}): ${result.reasons.map((r) => `${r.field}: ${r.reason}`).join('; ')}.`;
      throw taken ? ScimError.uniqueness(detail) : ScimError.invalidValue(detail);
    }
    if (deactivate) await this.deprovisioned(tenant.id, result.userId);
    return result as ProvisioningResult & { userId: string };
  }

  /** After a deactivation committed: revoke every grant of the user and end their SSO sessions, at once. */
  private async deprovisioned(tenantId: string, userId: string): Promise<void> {
    const grants = await this.refresh.revokeUser(tenantId, userId, 'deprovisioned');
    await this.control.query(
      `UPDATE sso_sessions SET ended_at = now(), ended_reason = 'deprovisioned' WHERE tenant_id = $1 AND user_id = $2 AND ended_at IS NULL`,
      [tenantId, userId],
    );
    this.log.log({ tenantId, userId, grants }, 'User deprovisioned through SCIM: tokens revoked, sessions ended');
  }

  private async identityBySubject(tenantId: string, issuer: string, subject: string): Promise<Identity | undefined> {
    const rows = await (await this.db(tenantId)).query(`SELECT id, issuer, subject, username, status, scim_deleted_at FROM users WHERE tenant_id = $1 AND issuer = $2 AND subject = $3`, [tenantId, issuer, subject]);
    return rows[0];
  }

  private async identityById(tenantId: string, id: string): Promise<Identity> {
    await this.get(tenantId, id); // 404 for unknown, other tenants' and SCIM-deleted users
    const rows = await (await this.db(tenantId)).query(`SELECT id, issuer, subject, username, status, scim_deleted_at FROM users WHERE tenant_id = $1 AND id = $2`, [tenantId, id]);
    return rows[0];
  }
}

import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { FieldProblem } from '../common/errors/problem.js';
import type { TenantConfig } from '../tenants/tenant-config.schema.js';
import { DirectoryDatabases, type Environment } from '../database/directory-databases.js';
import { type ClaimSet, mapClaims, type ProvisioningPlan } from './mapper.js';
import { auditInsertSql, provisionAndAuditSql, provisionSql } from './provisioning.sql.js';
import { redactClaims } from './redaction.js';

export type Outcome = 'created' | 'updated' | 'unchanged' | 'refused' | 'failed';
export type AuditSource = 'sign-in' | 'password' | 'scim';

export interface ProvisioningContext {
  tenantId: string;
  configVersion: number;
  config: TenantConfig;
  environment: Environment;
  source: AuditSource;
  correlationId?: string;
}

/**
 * What a lifecycle source (SCIM) asserts beside the claims: the user's status, and on deactivation the
 * removal of the IdP-sourced location assignments (manual ones stay). Sign-in asserts neither.
 */
export interface LifecycleAssertion {
  status?: 'active' | 'disabled';
  removeIdpLocations?: boolean;
}

export interface ProvisioningResult {
  outcome: Outcome;
  userId?: string;
  auditId?: string;
  username?: string;
  changes: Record<string, unknown>;
  reasons: FieldProblem[];
  warnings: FieldProblem[];
}

interface ResultRow {
  user_id: string | null;
  written: boolean;
  outcome: Outcome;
  changes: Record<string, unknown>;
  reasons: FieldProblem[];
  warnings: FieldProblem[];
  audit_id?: string | null;
}

/**
 * Turns a verified sign-in's claims into a provisioned user: map and check every field (pure), then one
 * atomic statement that writes the user, their locations and the audit row. A refusal writes only an audit.
 */
@Injectable()
export class ProvisioningService {
  private readonly log = new Logger(ProvisioningService.name);

  constructor(
    private readonly control: DataSource,
    private readonly directories: DirectoryDatabases,
  ) {}

  async provision(ctx: ProvisioningContext, claims: ClaimSet, issuer: string, lifecycle: LifecycleAssertion = {}): Promise<ProvisioningResult> {
    const plan = mapClaims(claims, ctx.config, issuer);
    if (ctx.source === 'scim') for (const k of Object.keys(plan.sources)) plan.sources[k] = 'scim';
    if (lifecycle.status) plan.fields.status = lifecycle.status;
    if (lifecycle.removeIdpLocations) {
      plan.locations = { present: true, ids: [] };
      plan.warnings = plan.warnings.filter((w) => w.field !== 'locations');
    }
    const redacted = redactClaims({ ...claims.idToken, ...(plan.problems.some((p) => p.field === 'sub') ? {} : claims.userinfo) });
    if (plan.problems.length > 0) {
      const auditId = await this.audit(ctx, plan, 'refused', null, {}, plan.problems, plan.warnings, redacted);
      return { outcome: 'refused', auditId, username: plan.username, changes: {}, reasons: plan.problems, warnings: plan.warnings };
    }
    const directory = await this.directories.forEnvironment(ctx.tenantId, ctx.environment);
    const sameDatabase = directory === this.control;
    let row: ResultRow | undefined;
    for (let attempt = 0; attempt < 3 && !row; attempt++) {
      try {
        const params = this.params(ctx, plan);
        const rows: ResultRow[] = sameDatabase
          ? await directory.query(provisionAndAuditSql, [...params, ctx.environment, ctx.source, ctx.configVersion, JSON.stringify(plan.sources), JSON.stringify(redacted), ctx.correlationId ?? null])
          : await directory.query(provisionSql, params);
        const r = rows[0]!;
        // Written, or refused by the database's own checks: done. Otherwise a concurrent first login of the
        // same person created the row first; run again, now as an update of that row.
        if (r.written || r.outcome === 'refused') row = r;
      } catch (e) {
        // Another identity took this username between our check and our insert: the next run reports it.
        if ((e as { code?: string; constraint?: string }).constraint !== 'users_username_key' || attempt === 2) throw e;
      }
    }
    if (!row) throw new Error('Provisioning did not converge after concurrent attempts');
    let auditId = row.audit_id ?? undefined;
    if (!sameDatabase) {
      auditId = await this.audit(ctx, plan, row.outcome, row.user_id, row.changes, row.reasons, row.warnings, redacted);
    }
    return {
      outcome: row.outcome,
      userId: row.user_id ?? undefined,
      auditId,
      username: plan.username,
      changes: row.changes,
      reasons: row.reasons,
      warnings: row.warnings,
    };
  }

  /** Records an attempt that failed outside provisioning's own checks (Okta, state, tokens). */
  async auditFailure(ctx: Omit<ProvisioningContext, 'config'> & { config?: TenantConfig }, reason: FieldProblem, who: { issuer?: string; subject?: string } = {}): Promise<string | undefined> {
    try {
      const rows = await this.control.query(auditInsertSql, [
        ctx.tenantId, ctx.environment, ctx.source, ctx.configVersion, who.issuer ?? null, who.subject ?? null, null, null,
        'failed', '{}', '{}', JSON.stringify([reason]), '[]', null, ctx.correlationId ?? null,
      ]);
      return rows[0]?.id;
    } catch (e) {
      this.log.error({ err: e }, 'Could not write a failure audit');
      return undefined;
    }
  }

  private params(ctx: ProvisioningContext, plan: ProvisioningPlan): unknown[] {
    const asserted = [...Object.keys(plan.fields), ...Object.keys(plan.customFields).map((k) => `custom.${k}`), ...(plan.locations.present ? ['locations'] : [])];
    return [
      ctx.tenantId, plan.issuer, plan.subject, randomUUID(), plan.username, plan.usernameKey,
      JSON.stringify(Object.fromEntries(Object.entries(plan.fields).filter(([k]) => k !== 'username'))),
      JSON.stringify(plan.customFields),
      plan.locations.present, plan.locations.present ? plan.locations.ids : [],
      ctx.config.unknownLocations, asserted, JSON.stringify(plan.warnings),
    ];
  }

  private async audit(
    ctx: ProvisioningContext, plan: ProvisioningPlan, outcome: Outcome, userId: string | null, changes: Record<string, unknown>,
    reasons: FieldProblem[], warnings: FieldProblem[], claims: Record<string, unknown>,
  ): Promise<string | undefined> {
    const rows = await this.control.query(auditInsertSql, [
      ctx.tenantId, ctx.environment, ctx.source, ctx.configVersion, plan.issuer, plan.subject || null, plan.username ?? null, userId,
      outcome, JSON.stringify(changes), JSON.stringify(plan.sources), JSON.stringify(reasons), JSON.stringify(warnings),
      JSON.stringify(claims), ctx.correlationId ?? null,
    ]);
    return rows[0]?.id;
  }
}

import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Logger as PinoLogger } from 'pino';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config.js';
import { ownValue } from '../common/own.js';
import { fixedFieldsLogger, ROOT_LOGGER } from '../common/logging/logging.js';
import { isDatabaseUnavailable } from '../common/errors/database-errors.js';
import type { FieldProblem } from '../common/errors/problem.js';
import type { TenantConfig } from '../tenants/tenant-config.schema.js';
import { DirectoryDatabases, type Environment } from '../database/directory-databases.js';
import { columnOf } from './fields/field-table.js';
import { type ClaimSet, mapClaims, type ProvisioningPlan } from './mapper.js';
import { auditInsertSql, auditInsertWithUserSql, positional, type ProvisionParams, provisionAndAuditSql, provisionSql } from './provisioning.sql.js';
import { preparedQuery, preparedUnderLock } from '../database/prepared.js';
import { auditClaims, jsonbSafe } from './redaction.js';
import { identityMatch, identityValues, issuerOrigin } from './issuer-origin.js';

export type Outcome = 'created' | 'updated' | 'unchanged' | 'refused' | 'failed';
export type AuditSource = 'sign-in' | 'password' | 'scim' | 'admin';

export interface ProvisioningContext {
  tenantId: string;
  configVersion: number;
  config: TenantConfig;
  environment: Environment;
  source: AuditSource;
  /** The request id: the same value is in every log line of the request. */
  correlationId?: string;
  /** Training's translation of location identifiers into its own company tree (see training/training-config.ts). */
  locationMap?: Record<string, string>;
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
  /** The user's status after the attempt (a refusal reports the stored one), so sign-in needs no extra query. */
  status?: 'active' | 'disabled';
  auditId?: string;
  username?: string;
  changes: Record<string, unknown>;
  reasons: FieldProblem[];
  warnings: FieldProblem[];
}

interface ResultRow {
  user_id: string | null;
  status: 'active' | 'disabled' | null;
  written: boolean;
  outcome: Outcome | 'retry';
  changes: Record<string, unknown>;
  reasons: FieldProblem[];
  warnings: FieldProblem[];
  audit_id?: string | null;
}

/** Lost races run again (see provisioning.sql.ts); from the second run on, under the row lock, so two suffice in practice. */
const MAX_RUNS = 5;
/** The rows the statement may be about (identityMatchSql): this identity, or the same sub under an earlier issuer of the same Okta org. */
const lockSql = `SELECT 1 FROM users WHERE ${identityMatch.where} FOR UPDATE`;

/** Errors a new run resolves: a username taken between snapshot and insert, a location deleted meanwhile, deadlock, serialization. */
const RETRYABLE = new Set(['23505', '23503', '40P01', '40001']);

/**
 * Turns a verified sign-in's claims into a provisioned user: map and check every field (pure), then one atomic
 * statement that writes the user, their locations and the audit row. A refusal writes only an audit row; a
 * database failure writes nothing but a 'failed' audit row.
 */
@Injectable()
export class ProvisioningService {
  private readonly log = new Logger(ProvisioningService.name);
  /** The one line per attempt (finish): ids and an outcome only, so it skips path redaction (fixedFieldsLogger). */
  private readonly attempts: PinoLogger;

  constructor(
    private readonly control: DataSource,
    private readonly directories: DirectoryDatabases,
    private readonly config: AppConfig,
    @Inject(ROOT_LOGGER) root: PinoLogger,
  ) {
    this.attempts = fixedFieldsLogger(root, { context: ProvisioningService.name });
  }

  async provision(ctx: ProvisioningContext, claims: ClaimSet, issuer: string, lifecycle: LifecycleAssertion = {}): Promise<ProvisioningResult> {
    const plan = this.plan(ctx, claims, issuer, lifecycle);
    const stored = this.config.env.AUDIT_CLAIMS_RETENTION_DAYS > 0 ? auditClaims(claims, plan, ctx.config) : null;
    if (plan.problems.length > 0) {
      const auditId = await this.insertAudit(ctx, plan, { outcome: 'refused', userId: null, changes: {}, reasons: plan.problems, warnings: plan.warnings }, stored);
      return this.finish(ctx, { outcome: 'refused', auditId, username: plan.username, changes: {}, reasons: plan.problems, warnings: plan.warnings });
    }

    const directory = await this.directories.forEnvironment(ctx.tenantId, ctx.environment);
    const sameDatabase = directory === this.control;
    const params = positional(this.params(ctx, plan, stored), sameDatabase);
    let row: ResultRow | undefined;
    let error: { code?: string; constraint?: string; message?: string } | undefined;
    const sql = sameDatabase ? provisionAndAuditSql : provisionSql;
    for (let run = 1; run <= MAX_RUNS && !row; run++) {
      try {
        // First optimistically, as one statement. A run that lost a race goes again holding the row lock
        // from the start of its transaction, so its statement's snapshot is current and it cannot be stale.
        const name = sameDatabase ? 'iqsso_provision_audit' : 'iqsso_provision';
        const rows: ResultRow[] = run === 1
          ? await preparedQuery<ResultRow>(directory, name, sql, params)
          : await preparedUnderLock<ResultRow>(directory, { text: lockSql, values: identityValues(ctx.tenantId, plan.issuer, plan.subject) }, name, sql, params);
        if (rows[0]!.outcome !== 'retry') row = rows[0];
        error = undefined;
      } catch (e) {
        // Postgres unreachable: no audit can be written either; the caller answers "try again shortly".
        if (isDatabaseUnavailable(e)) throw e;
        error = e as typeof error;
        if (!RETRYABLE.has(error?.code ?? '')) break;
      }
    }
    if (!row) {
      const reason = error
        ? `the user could not be written (database error ${String(error.code ?? 'unknown').slice(0, 10)}); nothing was changed`
        : `the user could not be written: ${MAX_RUNS} concurrent attempts kept changing it; nothing was changed`;
      this.log.error({ code: error?.code, constraint: error?.constraint, detail: error?.message?.slice(0, 200), tenantId: ctx.tenantId, correlationId: ctx.correlationId }, 'Provisioning failed');
      const failure: FieldProblem = { field: 'directory', reason };
      const auditId = await this.insertAudit(ctx, plan, { outcome: 'failed', userId: null, changes: {}, reasons: [failure], warnings: plan.warnings }, stored).catch(() => undefined);
      return this.finish(ctx, { outcome: 'failed', auditId, username: plan.username, changes: {}, reasons: [failure], warnings: plan.warnings });
    }
    let auditId = row.audit_id ?? undefined;
    if (!sameDatabase) {
      // Two databases, so two transactions: the training user is committed first. If production cannot take
      // the audit row now, the change stands unaudited; say so in the log, tied to the attempt, and fail.
      auditId = await this.insertAudit(ctx, plan, { outcome: row.outcome as Outcome, userId: row.user_id, changes: row.changes, reasons: row.reasons, warnings: row.warnings }, stored)
        .catch((e: unknown) => {
          this.log.error({ tenantId: ctx.tenantId, environment: ctx.environment, outcome: row!.outcome, userId: row!.user_id, code: (e as { code?: string }).code, correlationId: ctx.correlationId },
            'Training user written, but its audit row could not be: the production database refused it');
          throw e;
        });
    }
    return this.finish(ctx, {
      outcome: row.outcome as Outcome, userId: row.user_id ?? undefined, status: row.status ?? undefined, auditId, username: plan.username,
      changes: row.changes, reasons: row.reasons, warnings: row.warnings,
    });
  }

  /** Records an attempt that failed outside provisioning's own checks (Okta, state, tokens). */
  async auditFailure(ctx: Omit<ProvisioningContext, 'config'> & { config?: TenantConfig }, reason: FieldProblem, who: { issuer?: string; subject?: string } = {}): Promise<string | undefined> {
    try {
      const rows = await this.control.query(auditInsertSql, [
        ctx.tenantId, ctx.environment, ctx.source, ctx.configVersion, who.issuer ?? null, who.subject ?? null, null, null,
        'failed', '{}', '{}', JSON.stringify(jsonbSafe([reason])), '[]', null, ctx.correlationId ?? null, null,
      ]);
      return rows[0]?.id;
    } catch (e) {
      this.log.error({ code: (e as { code?: string }).code, correlationId: ctx.correlationId }, 'Could not write a failure audit');
      return undefined;
    }
  }

  /** The mapper's plan, plus what a lifecycle source (SCIM) asserts beside the claims. */
  private plan(ctx: ProvisioningContext, claims: ClaimSet, issuer: string, lifecycle: LifecycleAssertion): ProvisioningPlan {
    const plan = mapClaims(claims, ctx.config, issuer);
    const map = ctx.locationMap;
    if (map && plan.locations.present) plan.locations = { present: true, ids: [...new Set(plan.locations.ids.map((id) => ownValue(map, id) ?? id))] };
    if (ctx.source === 'scim') for (const k of Object.keys(plan.sources)) plan.sources[k] = 'scim';
    if (lifecycle.status) plan.status = lifecycle.status;
    if (lifecycle.removeIdpLocations) {
      plan.locations = { present: true, ids: [] };
      plan.warnings = plan.warnings.filter((w) => w.field !== 'locations');
    }
    return plan;
  }

  private finish(ctx: ProvisioningContext, result: ProvisioningResult): ProvisioningResult {
    // One line per attempt: the correlation id and the audit id tie logs to audits. Fields are ids and an outcome only.
    this.attempts.info({ tenantId: ctx.tenantId, environment: ctx.environment, outcome: result.outcome, auditId: result.auditId, userId: result.userId, correlationId: ctx.correlationId }, 'Provisioning attempt');
    return result;
  }

  private params(ctx: ProvisioningContext, plan: ProvisioningPlan, claims: unknown): Partial<ProvisionParams> {
    const byColumn = (o: Partial<Record<string, string | null>>) =>
      Object.fromEntries(Object.entries(o).filter(([f]) => f !== 'username').map(([f, v]) => [columnOf[f as keyof typeof columnOf], v]));
    const asserted = [
      ...Object.keys(plan.fields), ...Object.keys(plan.onCreate), ...Object.keys(plan.customFields).map((k) => `custom.${k}`),
      ...(plan.status ? ['status'] : []),
    ];
    return {
      tenant: ctx.tenantId, issuer: plan.issuer, subject: plan.subject, newId: randomUUID(), username: plan.username, usernameKey: plan.usernameKey,
      fields: JSON.stringify({ ...byColumn(plan.fields), ...(plan.status ? { status: plan.status } : {}) }), custom: JSON.stringify(plan.customFields),
      locPresent: plan.locations.present, locIds: plan.locations.present ? plan.locations.ids : [], policy: ctx.config.unknownLocations,
      asserted: [...new Set(asserted)].sort(), warnings: JSON.stringify(jsonbSafe(plan.warnings)),
      onCreate: JSON.stringify(byColumn(plan.onCreate)), ifNew: JSON.stringify(jsonbSafe(plan.problemsIfNew)),
      login: ctx.source === 'sign-in' || ctx.source === 'password', issuerOrigin: issuerOrigin(plan.issuer),
      environment: ctx.environment, source: ctx.source, configVersion: ctx.configVersion,
      sources: JSON.stringify(plan.sources), claims: claims === null ? null : JSON.stringify(claims), correlationId: ctx.correlationId ?? null,
    };
  }

  private async insertAudit(
    ctx: ProvisioningContext, plan: ProvisioningPlan,
    r: { outcome: Outcome; userId: string | null; changes: Record<string, unknown>; reasons: FieldProblem[]; warnings: FieldProblem[] },
    claims: unknown,
  ): Promise<string | undefined> {
    // Production users live beside the audit: a refusal still names the existing user. Training users do not.
    const production = ctx.environment === 'production';
    const rows = await preparedQuery<{ id: string }>(this.control, production ? 'iqsso_audit_with_user' : 'iqsso_audit', production ? auditInsertWithUserSql : auditInsertSql, [
      ctx.tenantId, ctx.environment, ctx.source, ctx.configVersion, plan.issuer, plan.subject || null, plan.username ?? null, r.userId,
      r.outcome, JSON.stringify(r.changes), JSON.stringify(plan.sources), JSON.stringify(jsonbSafe(r.reasons)), JSON.stringify(jsonbSafe(r.warnings)),
      claims === null ? null : JSON.stringify(claims), ctx.correlationId ?? null, null,
    ]);
    return rows[0]?.id;
  }
}

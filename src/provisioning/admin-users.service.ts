import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { type FieldProblem, ProblemError } from '../common/errors/problem.js';
import { DirectoryDatabases } from '../database/directory-databases.js';
import type { TenantConfig } from '../tenants/tenant-config.schema.js';
import { fieldTable, rowOf, type ScalarField } from './fields/field-table.js';
import { usernameKey } from './fields/formats.js';
import { checkCustomValue } from './mapper.js';
import { auditInsertSql, diffSql } from './provisioning.sql.js';
import type { Outcome } from './provisioning.service.js';
import { jsonbSafe } from './redaction.js';
import { toUserView, type UserView, userViewSelect } from './user-view.js';

/** Who is editing, for which tenant and configuration version; every edit is audited with it. */
export interface AdminContext {
  tenantId: string;
  configVersion: number;
  config: TenantConfig;
  actor: string;
  correlationId?: string;
}

export interface EditResult {
  outcome: Extract<Outcome, 'updated' | 'unchanged'>;
  auditId: string;
  changes: Record<string, unknown>;
  user: UserView;
}

export interface FieldEdit {
  /** Field (API name, or custom.{name}) → value set by hand, or null to clear by hand. */
  set?: Record<string, string | null>;
  /** Fields handed back to the identity provider: the next sign-in that sends them takes over. */
  handBack?: string[];
}

const provenance = (alias: string, f: string) =>
  `CASE WHEN ${f} = ANY(${alias}.manual_fields) THEN 'manual' WHEN ${f} = ANY(${alias}.idp_fields) THEN 'idp' ELSE 'none' END`;
const editable = fieldTable.filter((r) => r.byHand);

const setCol = (r: (typeof editable)[number]) => `CASE WHEN $3::jsonb ? '${r.column}' THEN $3::jsonb->>'${r.column}' ELSE u.${r.column} END`;
const setCustom = `(u.custom_fields || jsonb_strip_nulls($4::jsonb)) - ARRAY(SELECT k FROM jsonb_each($4::jsonb) AS e(k, v) WHERE v = 'null'::jsonb)`;
const setManual = `ARRAY(SELECT DISTINCT f COLLATE "C" FROM unnest(u.manual_fields || $5::text[]) AS f WHERE NOT (f = ANY($6::text[])) ORDER BY 1)`;
const setIdp = `ARRAY(SELECT DISTINCT f COLLATE "C" FROM unnest(u.idp_fields || $6::text[]) AS f WHERE NOT (f = ANY($5::text[])) ORDER BY 1)`;

const editSql = `
WITH cur AS (SELECT * FROM users WHERE id = $1 AND tenant_id = $2),
upd AS (
  UPDATE users u SET
    ${editable.map((r) => `${r.column} = ${setCol(r)}`).join(',\n    ')},
    custom_fields = ${setCustom},
    manual_fields = ${setManual},
    idp_fields = ${setIdp},
    updated_at = CASE WHEN ROW(${editable.map(setCol).join(', ')}, ${setCustom}, ${setManual}, ${setIdp})
                      IS DISTINCT FROM ROW(${editable.map((r) => `u.${r.column}`).join(', ')}, u.custom_fields, u.manual_fields, u.idp_fields)
                 THEN now() ELSE u.updated_at END
  FROM cur WHERE u.id = cur.id
  RETURNING u.*
)
SELECT ${diffSql('c', 'n')}
  || COALESCE((SELECT jsonb_build_object('provenance', jsonb_object_agg(f, jsonb_build_object('from', ${provenance('c', 'f')}, 'to', ${provenance('n', 'f')})))
       FROM unnest($5::text[] || $6::text[]) AS f WHERE ${provenance('c', 'f')} <> ${provenance('n', 'f')}), '{}') AS changes
FROM upd n, cur c`;

/**
 * Account managers' hand edits of provisioned users. What they set becomes manual (sign-in never overwrites a
 * manual field, never removes a manual assignment, never re-adds a location they unassigned); handing a field
 * or location back makes the identity provider its owner again. Each edit is one transaction: the user's row
 * is locked first (so it serialises with sign-ins, whose `locations_rev` check sees it), then changed and
 * audited (source 'admin', the actor, the diff).
 */
@Injectable()
export class AdminUsers {
  constructor(
    private readonly control: DataSource,
    private readonly directories: DirectoryDatabases,
  ) {}

  async get(tenantId: string, userId: string): Promise<UserView> {
    const rows = await this.control.query(`${userViewSelect} WHERE u.tenant_id = $1 AND u.id = $2`, [tenantId, userId]);
    if (!rows[0]) throw ProblemError.notFound('User');
    return toUserView(rows[0]);
  }

  /** Users of a tenant by username (case-insensitive prefix), in username order, with a cursor. */
  async list(tenantId: string, q: { username?: string; cursor?: string; limit: number }) {
    let after: string | null = null;
    if (q.cursor) {
      after = Buffer.from(q.cursor, 'base64url').toString('utf8');
      if (!after || Buffer.from(after).toString('base64url') !== q.cursor) {
        throw ProblemError.validation([{ field: 'cursor', reason: 'is not a cursor from this API (pass nextCursor from the previous page)' }], 'The request query has invalid fields.');
      }
    }
    const rows: Array<Record<string, unknown>> = await this.control.query(
      `SELECT u.id, u.username, u.username_key, u.status, u.first_name, u.last_name, u.security_role, u.last_login_at, u.updated_at
         FROM users u
        WHERE u.tenant_id = $1 AND ($2::text IS NULL OR u.username_key LIKE $2 || '%') AND ($3::text IS NULL OR u.username_key > $3)
        ORDER BY u.username_key LIMIT $4`,
      [tenantId, q.username ? usernameKey(q.username).replace(/[\\%_]/g, '\\$&') : null, after, q.limit + 1],
    );
    const page = rows.slice(0, q.limit);
    return {
      items: page.map((u) => ({
        id: u.id, username: u.username, status: u.status, firstName: u.first_name, lastName: u.last_name, securityRole: u.security_role,
        lastLoginAt: u.last_login_at ? new Date(u.last_login_at as string).toISOString() : null, updatedAt: new Date(u.updated_at as string).toISOString(),
      })),
      nextCursor: rows.length > q.limit ? Buffer.from(page[page.length - 1]!.username_key as string).toString('base64url') : null,
    };
  }

  /** Checks an edit against the field table and the tenant's rules: every problem, per field, or nothing. */
  checkEdit(config: TenantConfig, edit: FieldEdit): { columns: Record<string, string | null>; custom: Record<string, string | null>; set: string[]; handBack: string[] } {
    const problems: FieldProblem[] = [];
    const columns: Record<string, string | null> = {};
    const custom: Record<string, string | null> = {};
    const declared = new Map(config.customFields.map((f) => [f.name, f]));
    for (const [field, raw] of Object.entries(edit.set ?? {})) {
      const where = `set.${field}`;
      const value = raw === null || raw.trim() === '' ? null : raw;
      if (field.startsWith('custom.')) {
        const decl = declared.get(field.slice(7));
        if (!decl) { problems.push({ field: where, reason: 'is not a custom field declared for this tenant' }); continue; }
        if (value === null) { custom[decl.name] = null; continue; }
        const t = checkCustomValue(decl, value, false);
        if (!t.ok) problems.push({ field: where, reason: t.reason });
        else custom[decl.name] = t.value;
        continue;
      }
      const row = rowOf[field as ScalarField];
      if (!row) { problems.push({ field: where, reason: 'is not a provisioned field' }); continue; }
      if (!row.byHand) { problems.push({ field: where, reason: `comes from the identity provider and cannot be set by hand` }); continue; }
      if (value === null) {
        if (row.required) problems.push({ field: where, reason: 'is required and cannot be cleared' });
        else columns[row.column] = null;
        continue;
      }
      const t = row.byHand(value, config);
      if (!t.ok) problems.push({ field: where, reason: t.reason });
      else columns[row.column] = t.value;
    }
    const set = Object.keys(edit.set ?? {});
    const handBack = [...new Set(edit.handBack ?? [])];
    handBack.forEach((field, i) => {
      const known = field.startsWith('custom.') ? /^custom\.[A-Za-z0-9_]{1,64}$/.test(field) : rowOf[field as ScalarField]?.byHand;
      if (!known) problems.push({ field: `handBack[${i}]`, reason: `${JSON.stringify(field).slice(0, 80)} is not a field that can be handed back` });
      else if (set.includes(field)) problems.push({ field: `handBack[${i}]`, reason: `${field} is also being set by hand in this request` });
    });
    if (problems.length) throw ProblemError.validation(problems, 'The edit has invalid fields; nothing was changed.');
    return { columns, custom, set, handBack };
  }

  async editFields(ctx: AdminContext, userId: string, edit: FieldEdit): Promise<EditResult> {
    const checked = this.checkEdit(ctx.config, edit);
    return this.inTransaction(ctx, userId, async (m) => {
      const rows = await m.query(editSql, [userId, ctx.tenantId, JSON.stringify(checked.columns), JSON.stringify(checked.custom), checked.set, checked.handBack]);
      return rows[0].changes as Record<string, unknown>;
    });
  }

  /** Assigns a location by hand (source 'manual'; an IdP-sourced assignment becomes manual); lifts an exclusion. */
  assignLocation(ctx: AdminContext, userId: string, externalId: string): Promise<EditResult> {
    return this.inTransaction(ctx, userId, async (m, user) => {
      await this.requireLocation(m, ctx.tenantId, externalId);
      const up: Array<{ inserted: boolean; was: string | null }> = await m.query(
        `WITH prev AS (SELECT source FROM user_locations WHERE user_id = $1 AND location_external_id = $3),
         up AS (
           INSERT INTO user_locations (user_id, tenant_id, location_external_id, source, assigned_by) VALUES ($1, $2, $3, 'manual', $4)
           ON CONFLICT (user_id, location_external_id) DO UPDATE SET source = 'manual', assigned_by = $4 WHERE user_locations.source <> 'manual'
           RETURNING (xmax = 0) AS inserted
         )
         SELECT up.inserted, (SELECT source FROM prev) AS was FROM up`,
        [userId, ctx.tenantId, externalId, ctx.actor],
      );
      const changes: Record<string, unknown> = {};
      if (up[0]?.inserted) changes.locations = { added: [externalId], removed: [] };
      else if (up[0]) changes.locationSources = { [externalId]: { from: up[0].was ?? 'idp', to: 'manual' } };
      if (user.excluded_locations.includes(externalId)) changes.excludedLocations = { added: [], removed: [externalId] };
      if (Object.keys(changes).length) {
        await m.query(`UPDATE users SET excluded_locations = array_remove(excluded_locations, $2), locations_rev = locations_rev + 1, updated_at = now() WHERE id = $1`, [userId, externalId]);
      }
      return changes;
    });
  }

  /** Unassigns a location by hand, whatever its source, and records it so sign-in does not assign it again. */
  unassignLocation(ctx: AdminContext, userId: string, externalId: string): Promise<EditResult> {
    return this.inTransaction(ctx, userId, async (m, user) => {
      const removed: Array<{ source: string }> = await m.query(
        `WITH d AS (DELETE FROM user_locations WHERE user_id = $1 AND location_external_id = $2 RETURNING source) SELECT source FROM d`, [userId, externalId],
      );
      if (!removed.length && !user.excluded_locations.includes(externalId)) await this.requireLocation(m, ctx.tenantId, externalId);
      const changes: Record<string, unknown> = {};
      if (removed.length) changes.locations = { added: [], removed: [externalId] };
      if (!user.excluded_locations.includes(externalId)) changes.excludedLocations = { added: [externalId], removed: [] };
      if (Object.keys(changes).length) {
        await m.query(
          `UPDATE users SET excluded_locations = ARRAY(SELECT DISTINCT x COLLATE "C" FROM unnest(excluded_locations || ARRAY[$2::text]) AS x ORDER BY 1),
                  locations_rev = locations_rev + 1, updated_at = now() WHERE id = $1`,
          [userId, externalId],
        );
      }
      return changes;
    });
  }

  /** Hands a location back to the identity provider: a manual assignment becomes IdP-sourced, an exclusion is lifted. */
  handBackLocation(ctx: AdminContext, userId: string, externalId: string): Promise<EditResult> {
    return this.inTransaction(ctx, userId, async (m, user) => {
      const changed: unknown[] = await m.query(
        `WITH u AS (UPDATE user_locations SET source = 'idp', assigned_by = NULL WHERE user_id = $1 AND location_external_id = $2 AND source = 'manual' RETURNING 1) SELECT * FROM u`,
        [userId, externalId],
      );
      const changes: Record<string, unknown> = {};
      if (changed.length) changes.locationSources = { [externalId]: { from: 'manual', to: 'idp' } };
      if (user.excluded_locations.includes(externalId)) changes.excludedLocations = { added: [], removed: [externalId] };
      if (Object.keys(changes).length) {
        await m.query(`UPDATE users SET excluded_locations = array_remove(excluded_locations, $2), locations_rev = locations_rev + 1, updated_at = now() WHERE id = $1`, [userId, externalId]);
      }
      return changes;
    });
  }

  private async requireLocation(m: EntityManager, tenantId: string, externalId: string): Promise<void> {
    const found = await m.query(`SELECT 1 FROM locations WHERE tenant_id = $1 AND external_id = $2`, [tenantId, externalId]);
    if (!found.length) throw ProblemError.notFound(`Location "${externalId.slice(0, 100)}" in this tenant's company tree`);
  }

  /** Lock the user, apply the change, audit it, all or nothing; answers with the user as now stored. */
  private async inTransaction(
    ctx: AdminContext, userId: string, work: (m: EntityManager, user: Record<string, any>) => Promise<Record<string, unknown>>,
  ): Promise<EditResult> {
    const db = await this.directories.forEnvironment(ctx.tenantId, 'production');
    if (db !== this.control) throw new Error('Hand edits are audited in the same transaction: production directory only');
    return db.transaction(async (m) => {
      const locked = await m.query(`SELECT * FROM users WHERE id = $1 AND tenant_id = $2 FOR UPDATE`, [userId, ctx.tenantId]);
      const user = locked[0];
      if (!user) throw ProblemError.notFound('User');
      const changes = await work(m, user);
      const outcome = Object.keys(changes).length ? 'updated' : 'unchanged';
      const audit = await m.query(auditInsertSql, [
        ctx.tenantId, 'production', 'admin', ctx.configVersion, user.issuer, user.subject, user.username, user.id,
        outcome, JSON.stringify(jsonbSafe(changes)), '{}', '[]', '[]', null, ctx.correlationId ?? null, ctx.actor,
      ]);
      const view = await m.query(`${userViewSelect} WHERE u.id = $1`, [userId]);
      return { outcome, auditId: audit[0].id, changes, user: toUserView(view[0]) };
    });
  }
}

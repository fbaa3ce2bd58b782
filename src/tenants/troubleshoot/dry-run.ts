import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import type { FieldProblem } from '../../common/errors/problem.js';
import { ProblemError } from '../../common/errors/problem.js';
import { DISABLED_ACCOUNT } from '../../auth/sign-in-completion.js';
import { ownValue } from '../../common/own.js';
import { DirectoryDatabases } from '../../database/directory-databases.js';
import { fieldTable } from '../../provisioning/fields/field-table.js';
import { identityMatch, identityValues, issuerMovedReason } from '../../provisioning/issuer-origin.js';
import { mapClaims } from '../../provisioning/mapper.js';
import { TenantsService } from '../tenants.service.js';
import { versionNumber } from '../tenant-inputs.js';

const claimObject = z.record(z.string().max(200), z.unknown()).refine((o) => Object.keys(o).length <= 300, 'at most 300 claims');

export const dryRunSchema = z
  .strictObject({
    /** A pasted claim set as Okta sends it: the ID token's claims and UserInfo's merged into one object. */
    claims: claimObject.optional(),
    /** Or the two sources apart, exactly as a sign-in receives them. */
    idToken: claimObject.optional(),
    userinfo: claimObject.optional(),
    /** Or the claims of the last sign-in of this tenant (optionally of one user). */
    lastSignIn: z.union([z.literal(true), z.strictObject({ username: z.string().max(320).optional(), subject: z.string().max(255).optional() })]).optional(),
    /** Which configuration version to map with (default: the one in force; a draft can be tried before activation). */
    version: versionNumber.optional(),
  })
  .refine((v) => [v.claims, v.idToken, v.lastSignIn].filter((x) => x !== undefined).length === 1, { path: ['claims'], message: 'give exactly one of claims, idToken (with optional userinfo) or lastSignIn' })
  .refine((v) => !v.userinfo || v.idToken, { path: ['userinfo'], message: 'userinfo goes with idToken' });
export type DryRunInput = z.infer<typeof dryRunSchema>;

type Outcome = 'created' | 'updated' | 'unchanged' | 'refused';

export interface DryRunReport {
  version: number;
  /** What provisioning would do: created, updated, unchanged, or refused (problems say why). */
  outcome: Outcome;
  claimsFrom: 'pasted' | 'last-sign-in';
  issuer: string;
  subject: string | null;
  /**
   * The user as provisioning would write it (the stored values where the sign-in would not change them).
   * When the outcome is refused, nothing would be written: this shows what the claims mapped to. (A disabled
   * user's sign-in is refused after provisioning updated them, as a real one is: the diff says what it writes.)
   */
  user: Record<string, unknown>;
  /** The stored user this sign-in is about, if any: this identity, or the same Okta user under an earlier issuer of the same Okta org. */
  stored: Record<string, unknown> | null;
  /** Field by field, what would change against the stored user. */
  diff: Record<string, { from: unknown; to: unknown }>;
  /** Each refuses the sign-in. */
  problems: FieldProblem[];
  warnings: FieldProblem[];
  /** Which claim source each field came from. */
  sources: Record<string, string>;
}

interface StoredRow {
  id: string;
  manual_fields: string[];
  excluded_locations?: string[];
  custom_fields: Record<string, string>;
  [column: string]: unknown;
}

/**
 * The dry run: maps a claim set exactly as a real sign-in would (the same pure mapper, the same tenant
 * configuration version and its issuer, the same rule for which stored user it is about), then checks what the
 * write and the sign-in would check (username owned elsewhere, unknown locations, hand-set values left alone, a
 * disabled user) by reading only. Nothing is written: no user, no audit.
 */
@Injectable()
export class DryRun {
  constructor(
    private readonly tenants: TenantsService,
    private readonly db: DataSource,
    private readonly directories: DirectoryDatabases,
  ) {}

  async run(tenantId: string, input: DryRunInput): Promise<DryRunReport> {
    const stored = await this.tenants.storedVersion(tenantId, input.version);
    const config = stored.config;
    let claimSet: { idToken: Record<string, unknown>; userinfo?: Record<string, unknown> };
    // A sign-in under this version comes through its issuer, also when the claims are replayed from one through another.
    const issuer = config.okta.issuer;
    if (input.lastSignIn) {
      const who = input.lastSignIn === true ? {} : input.lastSignIn;
      const rows = await this.db.query(
        `SELECT subject, claims FROM provisioning_audit
          WHERE tenant_id = $1 AND environment = 'production' AND claims IS NOT NULL AND subject IS NOT NULL
            AND ($2::text IS NULL OR lower(username) = lower($2)) AND ($3::text IS NULL OR subject = $3)
          ORDER BY created_at DESC, id DESC LIMIT 1`,
        [tenantId, who.username ?? null, who.subject ?? null],
      );
      if (!rows[0]) throw ProblemError.notFound('A sign-in with stored claims');
      // Audits keep the two sources apart ({ idToken, userinfo }, redacted); rows written before that hold one merged object.
      const c = rows[0].claims as { idToken?: Record<string, unknown>; userinfo?: Record<string, unknown> } & Record<string, unknown>;
      claimSet = c.idToken && typeof c.idToken === 'object'
        ? { idToken: { ...c.idToken, sub: rows[0].subject }, userinfo: c.userinfo ? { ...c.userinfo, sub: rows[0].subject } : undefined }
        : { idToken: { ...c, sub: rows[0].subject } };
    } else {
      claimSet = input.idToken ? { idToken: input.idToken, userinfo: input.userinfo } : { idToken: input.claims! };
    }

    const plan = mapClaims(claimSet, config, issuer);
    const problems = [...plan.problems];
    const warnings = [...plan.warnings];
    const directory = await this.directories.forEnvironment(tenantId, 'production');
    const row: StoredRow | undefined = plan.subject
      ? (await directory.query(`SELECT * FROM users WHERE ${identityMatch.where} ${identityMatch.preferExact}`, identityValues(tenantId, issuer, plan.subject)))[0]
      : undefined;
    const assignments: Array<{ ext: string; source: string }> = row
      ? await directory.query(`SELECT location_external_id AS ext, source FROM user_locations WHERE user_id = $1 ORDER BY 1`, [row.id])
      : [];

    if (plan.usernameKey) {
      // Owned by anyone but the user this sign-in is about (as the statement's `taken`).
      const taken = await directory.query(`SELECT 1 FROM users WHERE username_key = $1 AND id IS DISTINCT FROM $2 LIMIT 1`, [plan.usernameKey, row?.id ?? null]);
      if (taken.length) problems.push({ field: 'username', reason: `the username ${plan.username} already belongs to another user (of this or another tenant); it was not taken over` });
    }
    let locations = assignments.map((a) => a.ext);
    if (plan.locations.present) {
      const ids = [...new Set(plan.locations.ids)];
      const known: string[] = (await directory.query(`SELECT external_id FROM locations WHERE tenant_id = $1 AND external_id = ANY($2::text[])`, [tenantId, ids])).map((r: { external_id: string }) => r.external_id);
      const unknown = ids.filter((i) => !known.includes(i));
      if (unknown.length) {
        const item = { field: 'locations', reason: `${unknown.join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not in this tenant's company tree` };
        if (config.unknownLocations === 'refuse') problems.push(item);
        else warnings.push({ ...item, reason: `${item.reason}; only the known locations would be assigned` });
      }
      const manual = assignments.filter((a) => a.source !== 'idp').map((a) => a.ext);
      // Locations an account manager unassigned by hand are not assigned again.
      const excluded = known.filter((k) => (row?.excluded_locations ?? []).includes(k));
      if (excluded.length) warnings.push({ field: 'locations', reason: `unassigned by hand by an account manager, so not assigned again: ${excluded.join(', ')}` });
      locations = [...new Set([...manual, ...known.filter((k) => !excluded.includes(k))])].sort();
    }

    const manual = new Set(row?.manual_fields ?? []);
    const user: Record<string, unknown> = {};
    const before: Record<string, unknown> = {};
    const diff: Record<string, { from: unknown; to: unknown }> = {};
    // A new user gets the tenant's defaults for what the claims did not say (e.g. the default role), or is refused.
    if (!row) problems.push(...plan.problemsIfNew);
    for (const f of fieldTable) {
      const old = row ? (row[f.column] ?? null) : null;
      // Plans and provenance name fields by their API names (firstName), not columns.
      const asserted = Object.hasOwn(plan.fields, f.field);
      const value = asserted ? plan.fields[f.field] : !row ? (plan.onCreate[f.field] ?? null) : old;
      const next = asserted && manual.has(f.field) ? old : value;
      if (asserted && manual.has(f.field) && plan.fields[f.field] !== old) warnings.push({ field: f.field, reason: 'set by hand by an account manager; sign-in leaves it alone' });
      user[f.field] = next;
      before[f.field] = old;
      if (next !== old) diff[f.field] = { from: old, to: next };
    }
    const oldCustom = row?.custom_fields ?? {};
    const custom: Record<string, string> = { ...oldCustom };
    for (const [k, v] of Object.entries(plan.customFields)) {
      if (manual.has(`custom.${k}`)) continue;
      if (v === null) delete custom[k];
      else custom[k] = v;
      const was = ownValue(oldCustom, k) ?? null;
      if (was !== v) diff[`custom.${k}`] = { from: was, to: v };
    }
    user.customFields = custom;
    user.locations = locations;
    before.customFields = oldCustom;
    before.locations = assignments.map((a) => a.ext);
    const oldLocations = before.locations as string[];
    if (JSON.stringify(oldLocations) !== JSON.stringify(locations)) {
      diff.locations = { from: oldLocations, to: locations };
    }

    if (row && row.issuer !== issuer) {
      diff.issuer = { from: row.issuer, to: issuer };
      warnings.push({ field: 'issuer', reason: issuerMovedReason(String(row.issuer), issuer) });
    }
    // Sign-in never asserts status: a disabled user stays disabled, and the sign-in is refused.
    if (row && row.status !== 'active') problems.push({ field: 'status', reason: `the user is disabled; a sign-in is refused (access_denied: "${DISABLED_ACCOUNT}")` });

    const outcome: Outcome = problems.length ? 'refused' : !row ? 'created' : Object.keys(diff).length ? 'updated' : 'unchanged';
    return {
      version: stored.version,
      outcome,
      claimsFrom: input.lastSignIn ? 'last-sign-in' : 'pasted',
      issuer,
      subject: plan.subject || null,
      user,
      stored: row ? { id: row.id, status: row.status, ...before } : null,
      diff,
      problems,
      warnings,
      sources: plan.sources,
    };
  }
}

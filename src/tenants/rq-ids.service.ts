import { Injectable } from '@nestjs/common';
import { z } from 'zod';
import { type FieldProblem, ProblemError } from '../common/errors/problem.js';
import { decimalInt } from '../common/validation/zod.js';
import { type BulkBody, loadOptions } from './bulk/bulk-body.js';
import type { TenantConfig } from './tenant-config.schema.js';
import { tenantConfigInputSchema } from './tenant-config.schema.js';
import { MAX_VERSION, versionNumber } from './tenant-inputs.js';
import { OktaDiscovery } from './okta-discovery.js';
import { StaleBaseVersion, TenantsService } from './tenants.service.js';

export const RQ_ID_KINDS = ['organizationalRoles', 'commissionGroups', 'securityRoles', 'commissionTypes'] as const;
export type RqIdKind = (typeof RQ_ID_KINDS)[number];

/** CSV `kind` values: the field names, singular or plural, any case, with - or _ or spaces. */
const kindOf = (raw: unknown): RqIdKind | undefined => {
  const k = String(raw ?? '').toLowerCase().replace(/[\s_-]/g, '').replace(/s$/, '');
  return RQ_ID_KINDS.find((x) => x.toLowerCase().replace(/s$/, '') === k);
};

const elementOf = (kind: RqIdKind) => (tenantConfigInputSchema.shape.rqIds.unwrap().shape[kind] as unknown as z.ZodDefault<z.ZodArray<z.ZodType<string>>>).unwrap().element;

/** The header of an RQ ID CSV load. */
export const RQ_ID_COLUMNS = { required: ['kind', 'id'] };

/** Strict: a key that is neither an option nor a kind (a typo: "organisationalRoles", ?modee=) is a 422 naming it. */
export const rqIdsOptionsSchema = z.strictObject({
  /** merge (default): add to the IDs already known; replace: the load is the whole list of each kind it names. */
  mode: z.enum(['merge', 'replace']).default('merge'),
  /** true (default): the new version is put in force at once; false: it is staged as a draft. */
  activate: z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]).default(true),
  note: z.string().trim().max(500).optional(),
  /** The version in force the load was prepared against: if another is in force now, 409 (as PUT …/config). Omitted: merged into whatever is in force. */
  baseVersion: z.union([versionNumber, decimalInt(1, MAX_VERSION)]).optional(),
});

/** How many times a load is merged again into a newer version in force before it gives up (409). */
const MAX_MERGES = 20;

export interface RqIdsReport {
  /** The version the load created (null: nothing changed, no version was made). */
  version: number | null;
  status: 'active' | 'draft' | 'unchanged';
  kinds: Record<RqIdKind, { added: string[]; removed: string[]; unchanged: number }>;
  rejected: Array<{ row: number; kind?: string; id?: string; reason: string }>;
  warnings: FieldProblem[];
}

/**
 * The RQ IDs supplied by iQmetrix in setup (organizational roles, commission groups, and the security roles
 * and commission types the mappings point at). They are part of the versioned configuration (`rqIds`, the
 * field the mapper reads), so a load is a new version: validated like any save (a mapping may not lose the ID
 * it points at), attributed, diffable, and rolled back with the mappings that refer to it.
 */
@Injectable()
export class RqIds {
  constructor(
    private readonly tenants: TenantsService,
    private readonly discovery: OktaDiscovery,
  ) {}

  async load(tenantId: string, body: BulkBody, actor: string): Promise<RqIdsReport> {
    const options = loadOptions(rqIdsOptionsSchema, body);
    const { mode, activate, note } = options;

    const rejected: RqIdsReport['rejected'] = [];
    const loaded = Object.fromEntries(RQ_ID_KINDS.map((k) => [k, [] as string[]])) as Record<RqIdKind, string[]>;
    const named = new Set<RqIdKind>();
    for (const { row, record } of body.rows) {
      const kind = kindOf(record.kind);
      const id = typeof record.id === 'string' ? record.id.trim() : record.id === undefined ? undefined : String(record.id);
      if (!kind) {
        rejected.push({ row, kind: String(record.kind ?? '').slice(0, 50), id: id?.slice(0, 100), reason: `kind must be one of ${RQ_ID_KINDS.join(', ')}` });
        continue;
      }
      named.add(kind);
      const checked = elementOf(kind).safeParse(id);
      if (!checked.success) {
        rejected.push({ row, kind, id: id?.slice(0, 100), reason: `id ${checked.error.issues[0]?.message ?? 'is invalid'}` });
        continue;
      }
      if (loaded[kind].includes(checked.data)) {
        rejected.push({ row, kind, id: checked.data, reason: `${checked.data} is listed twice` });
        continue;
      }
      loaded[kind].push(checked.data);
    }

    // Read, merge, save on top of exactly the version read (the baseVersion check of every save, under the tenant's
    // row lock). If another change was put in force meanwhile (another load at the same time), merge again into that
    // one, so no load's IDs are lost and each report says what its own version changed. Not one lock held across
    // the save instead: the save's validation fetches the tenant's Okta discovery document, and a connection held
    // that long per waiting load could drain the pool sign-ins use. That document is fetched once per load, not per
    // merge (discover): what a merge changes is the RQ IDs, and n loads at once would otherwise cost ~n²/2 fetches.
    const discover = this.discovery.once();
    for (let merges = 1; ; merges++) {
      const current = await this.tenants.storedVersion(tenantId);
      const base = options.baseVersion;
      await this.tenants.checkBaseVersion(tenantId, base, current.version);
      const before = current.config.rqIds;
      const after = { ...before };
      const kinds = {} as RqIdsReport['kinds'];
      for (const kind of RQ_ID_KINDS) {
        const old = before[kind] ?? [];
        const next = mode === 'replace' && named.has(kind) ? loaded[kind] : [...old, ...loaded[kind].filter((x) => !old.includes(x))];
        after[kind] = next;
        kinds[kind] = { added: next.filter((x) => !old.includes(x)), removed: old.filter((x) => !next.includes(x)), unchanged: next.filter((x) => old.includes(x)).length };
      }
      if (RQ_ID_KINDS.every((k) => kinds[k].added.length === 0 && kinds[k].removed.length === 0)) {
        return { version: null, status: 'unchanged', kinds, rejected, warnings: [] };
      }
      const { endpoints: _e, clientSecretId: _s, ...okta } = current.config.okta;
      // (versions saved before training existed have no training section: saved again as training off)
      const config = { ...current.config, rqIds: after, training: current.config.training ?? { enabled: false, database: 'managed' as const } } satisfies TenantConfig;
      const input = { config: { ...config, okta }, note: note ?? `RQ IDs loaded (${mode})`, baseVersion: current.version };
      try {
        if (activate) {
          const view = await this.tenants.saveAndActivate(tenantId, input, actor, discover);
          return { version: view.activeVersion, status: 'active', kinds, rejected, warnings: view.warnings ?? [] };
        }
        const draft = await this.tenants.createDraft(tenantId, input, actor, discover);
        return { version: draft.version, status: 'draft', kinds, rejected, warnings: draft.check?.warnings ?? [] };
      } catch (e) {
        if (!(e instanceof StaleBaseVersion) || base !== undefined) throw e;
        if (merges >= MAX_MERGES) throw ProblemError.conflict(`The configuration in force changed ${MAX_MERGES} times while this load was being saved; nothing was saved. Send the load again.`);
      }
    }
  }

  /** JSON shape `{ organizationalRoles: [...], ... }` as rows, so JSON and CSV are checked the same way; other members are the options. */
  static rowsFromLists(body: Record<string, unknown>): BulkBody {
    const rows: BulkBody['rows'] = [];
    const options: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(body)) {
      const kind = (RQ_ID_KINDS as readonly string[]).includes(key) ? (key as RqIdKind) : undefined;
      if (!kind) {
        options[key] = value;
        continue;
      }
      if (!Array.isArray(value)) throw ProblemError.validation([{ field: key, reason: 'must be an array of IDs' }]);
      if (value.length > 5000) throw ProblemError.validation([{ field: key, reason: 'at most 5000 IDs' }]);
      value.forEach((id, row) => rows.push({ row, record: { kind, id } }));
    }
    return { format: 'json', rows, options };
  }
}

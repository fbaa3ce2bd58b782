import { Injectable } from '@nestjs/common';
import { z } from 'zod';
import { DirectoryDatabases } from '../database/directory-databases.js';
import { fieldProblems } from '../common/validation/zod.js';
import type { BulkRow } from './bulk/bulk-body.js';
import { oneLine } from '../common/validation/zod.js';

export interface LocationInput {
  externalId: string;
  name: string;
  parentExternalId?: string;
}

export interface RejectedRow {
  /** CSV line number, or index in the JSON list. */
  row: number;
  externalId?: string;
  reason: string;
}

export interface LoadReport {
  added: string[];
  changed: string[];
  unchanged: number;
  rejected: RejectedRow[];
}

/**
 * One location as loaded in bulk; the CSV header names the same fields (external_id / parent also accepted). Strict:
 * a JSON row with a key that is no field ("parentId") is rejected with its reason, as a CSV column would be, not
 * loaded as a root.
 */
export const locationRowSchema = z.strictObject({
  externalId: z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters').regex(/^[^\p{Cc}\p{Cf}]+$/u, 'must not contain control characters'),
  name: oneLine(200),
  // null is "no parent", as GET …/locations lists a root, so what was read can be loaded back as it is.
  parentExternalId: z.string().trim().min(1).max(100, 'must be at most 100 characters').nullish().transform((p) => p ?? undefined),
});

export const locationAliases: Record<string, string> = { external_id: 'externalId', externalid: 'externalId', id: 'externalId', parent: 'parentExternalId', parent_external_id: 'parentExternalId', parentexternalid: 'parentExternalId' };

/** The header of a company tree CSV load. */
export const LOCATION_COLUMNS = { required: ['externalId', 'name'], optional: ['parentExternalId'], aliases: locationAliases };

/** A tenant's company tree: the locations users are assigned to, by External Node Identifier. */
@Injectable()
export class CompanyTree {
  constructor(private readonly directories: DirectoryDatabases) {}

  /**
   * Adds and changes locations (never deletes: users may be assigned to them). Each row is checked on its own;
   * a row is rejected, with its reason, when a field is invalid, it repeats an earlier row, its parent is
   * neither in the tree nor in the load, or it would make the tree a loop. The rest is written in one statement.
   */
  async loadRows(tenantId: string, input: BulkRow[], environment: 'production' | 'training' = 'production'): Promise<LoadReport> {
    const rejected: RejectedRow[] = [];
    const accepted = new Map<string, LocationInput & { row: number }>();
    for (const { row, record } of input) {
      const normalized = Object.fromEntries(Object.entries(record).map(([k, v]) => [locationAliases[k.toLowerCase()] ?? k, v]));
      const parsed = locationRowSchema.safeParse(normalized);
      const id = typeof normalized.externalId === 'string' ? normalized.externalId.trim().slice(0, 100) : undefined;
      if (!parsed.success) {
        rejected.push({ row, externalId: id, reason: fieldProblems(parsed.error, '(row)').map((p) => `${p.field}: ${p.reason}`).join('; ') });
        continue;
      }
      const l = parsed.data;
      const earlier = accepted.get(l.externalId);
      if (earlier) {
        rejected.push({ row, externalId: l.externalId, reason: `${l.externalId} is listed twice; row ${earlier.row} was kept` });
        continue;
      }
      if (l.parentExternalId === l.externalId) {
        rejected.push({ row, externalId: l.externalId, reason: 'a location cannot be its own parent' });
        continue;
      }
      accepted.set(l.externalId, { ...l, row });
    }

    const db = await this.directories.forEnvironment(tenantId, environment);
    return db.transaction(async (m) => {
      // Loads of one tenant's tree take turns, so each checks parents and loops against the tree as the previous load
      // left it: two loads at once could otherwise each pass its own check and together make a loop (X under Y, Y under X).
      await m.query(`SELECT pg_advisory_xact_lock(hashtext('iqsso:locations:' || $1::text || ':' || $2::text))`, [environment, tenantId]);
      const existing = new Map<string, string | null>(
        (await m.query(`SELECT external_id, parent_external_id FROM locations WHERE tenant_id = $1`, [tenantId])).map((r: { external_id: string; parent_external_id: string | null }) => [r.external_id, r.parent_external_id]),
      );
      // Parents must exist in the tree or in what is accepted, and the tree must stay a tree (no loops, following
      // parents through the tree as it would be after the load). Rejecting one row may orphan others: repeat.
      const parentOf = (id: string) => (accepted.has(id) ? accepted.get(id)!.parentExternalId ?? null : existing.get(id) ?? null);
      for (let changed = true; changed; ) {
        changed = false;
        for (const [id, l] of [...accepted]) {
          if (l.parentExternalId && !accepted.has(l.parentExternalId) && !existing.has(l.parentExternalId)) {
            accepted.delete(id);
            rejected.push({ row: l.row, externalId: id, reason: `its parent ${l.parentExternalId} is neither in the company tree nor accepted in this load` });
            changed = true;
            continue;
          }
          const seen = new Set([id]);
          for (let p = parentOf(id); p; p = parentOf(p)) {
            if (seen.has(p)) {
              accepted.delete(id);
              rejected.push({ row: l.row, externalId: id, reason: `its parent ${l.parentExternalId} would make the company tree a loop` });
              changed = true;
              break;
            }
            seen.add(p);
          }
        }
      }

      const rows = [...accepted.values()];
      const written: Array<{ external_id: string; inserted: boolean }> = rows.length
        ? await m.query(
            `INSERT INTO locations (tenant_id, external_id, name, parent_external_id)
             SELECT $1, x.external_id, x.name, x.parent FROM jsonb_to_recordset($2::jsonb) AS x(external_id text, name text, parent text)
             ON CONFLICT (tenant_id, external_id) DO UPDATE SET name = EXCLUDED.name, parent_external_id = EXCLUDED.parent_external_id, updated_at = now()
               WHERE (locations.name, locations.parent_external_id) IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.parent_external_id)
             RETURNING external_id, (xmax = 0) AS inserted`,
            [tenantId, JSON.stringify(rows.map((l) => ({ external_id: l.externalId, name: l.name, parent: l.parentExternalId ?? null })))],
          )
        : [];
      return {
        added: written.filter((r) => r.inserted).map((r) => r.external_id).sort(),
        changed: written.filter((r) => !r.inserted).map((r) => r.external_id).sort(),
        unchanged: rows.length - written.length,
        rejected: rejected.sort((a, b) => a.row - b.row),
      };
    });
  }

  /** Programmatic load (all rows given as objects). */
  load(tenantId: string, locations: LocationInput[], environment: 'production' | 'training' = 'production'): Promise<LoadReport> {
    return this.loadRows(tenantId, locations.map((record, row) => ({ row, record: { ...record } })), environment);
  }

  async list(tenantId: string, environment: 'production' | 'training' = 'production') {
    const db = await this.directories.forEnvironment(tenantId, environment);
    const rows = await db.query(`SELECT external_id, name, parent_external_id FROM locations WHERE tenant_id = $1 ORDER BY external_id`, [tenantId]);
    return rows.map((r: { external_id: string; name: string; parent_external_id: string | null }) => ({ externalId: r.external_id, name: r.name, parentExternalId: r.parent_external_id }));
  }
}

import { Injectable } from '@nestjs/common';
import { DirectoryDatabases } from '../database/directory-databases.js';

export interface LocationInput {
  externalId: string;
  name: string;
  parentExternalId?: string;
}

/** A tenant's company tree: the locations users are assigned to, by External Node Identifier. */
@Injectable()
export class CompanyTree {
  constructor(private readonly directories: DirectoryDatabases) {}

  async load(tenantId: string, locations: LocationInput[], environment: 'production' | 'training' = 'production') {
    const db = await this.directories.forEnvironment(tenantId, environment);
    const rows: Array<{ external_id: string; inserted: boolean }> = await db.query(
      `INSERT INTO locations (tenant_id, external_id, name, parent_external_id)
       SELECT $1, x.external_id, x.name, x.parent FROM jsonb_to_recordset($2::jsonb) AS x(external_id text, name text, parent text)
       ON CONFLICT (tenant_id, external_id) DO UPDATE SET name = EXCLUDED.name, parent_external_id = EXCLUDED.parent_external_id, updated_at = now()
         WHERE (locations.name, locations.parent_external_id) IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.parent_external_id)
       RETURNING external_id, (xmax = 0) AS inserted`,
      [tenantId, JSON.stringify(dedupe(locations).map((l) => ({ external_id: l.externalId, name: l.name, parent: l.parentExternalId ?? null })))],
    );
    const added = rows.filter((r) => r.inserted).map((r) => r.external_id);
    const changed = rows.filter((r) => !r.inserted).map((r) => r.external_id);
    return { added, changed, unchanged: dedupe(locations).length - rows.length };
  }

  async list(tenantId: string, environment: 'production' | 'training' = 'production') {
    const db = await this.directories.forEnvironment(tenantId, environment);
    const rows = await db.query(`SELECT external_id, name, parent_external_id FROM locations WHERE tenant_id = $1 ORDER BY external_id`, [tenantId]);
    return rows.map((r: { external_id: string; name: string; parent_external_id: string | null }) => ({ externalId: r.external_id, name: r.name, parentExternalId: r.parent_external_id }));
  }
}

function dedupe(list: LocationInput[]): LocationInput[] {
  return [...new Map(list.map((l) => [l.externalId, l])).values()];
}

import { createHash } from 'node:crypto';

/** `<production database>_trn_<tenant id>`, within Postgres' 63-byte identifier limit. */
export function managedDatabaseName(productionDatabase: string, tenantId: string): string {
  const id = compactId(tenantId);
  const base = productionDatabase.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  const prefix = base.length + id.length + 5 <= 63 ? base : `iqsso_${createHash('sha256').update(productionDatabase).digest('hex').slice(0, 8)}`;
  return `${prefix}_trn_${id}`;
}

/** Whether a database is named as the managed training database of a tenant other than `tenantId` (null: of any tenant). */
export function isAnotherTenantsManagedName(database: string, tenantId: string | null): boolean {
  const id = /_trn_([0-9a-f]{32})$/.exec(database)?.[1];
  return id !== undefined && id !== (tenantId === null ? null : compactId(tenantId));
}

function compactId(tenantId: string): string {
  return tenantId.replace(/-/g, '').toLowerCase();
}

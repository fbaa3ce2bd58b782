import { fieldTable } from './fields/field-table.js';

export type Provenance = 'idp' | 'manual' | 'none';

/** A user as account managers see it: every field with where its value comes from, and every assignment's source. */
export interface UserView {
  id: string;
  tenantId: string;
  status: 'active' | 'disabled';
  issuer: string;
  subject: string;
  username: string;
  /**
   * Each field of the guide's table: its value and its provenance. 'idp': sign-in keeps it up to date;
   * 'manual': set by hand, sign-in leaves it alone; 'none': not supplied yet (the next sign-in that sends it takes over).
   */
  fields: Record<string, { value: string | null; source: Provenance }>;
  customFields: Record<string, { value: string | null; source: Provenance }>;
  locations: Array<{ externalId: string; source: 'idp' | 'manual'; assignedAt: string; assignedBy: string | null }>;
  /** Unassigned by hand: sign-in does not assign these again even if the identity provider sends them. */
  excludedLocations: string[];
  createdAt: string;
  updatedAt: string;
  lastLoginAt: string | null;
}

/** Selects users rows with their assignments (as `locations` jsonb); append a WHERE on `u`. */
export const userViewSelect = `
SELECT u.*, COALESCE((SELECT jsonb_agg(jsonb_build_object('externalId', l.location_external_id, 'source', l.source,
         'assignedAt', l.assigned_at, 'assignedBy', l.assigned_by) ORDER BY l.location_external_id)
       FROM user_locations l WHERE l.user_id = u.id), '[]') AS locations
  FROM users u`;

const iso = (v: unknown) => (v ? new Date(v as string).toISOString() : null);

export function toUserView(u: Record<string, any>): UserView {
  const source = (field: string): Provenance => (u.manual_fields.includes(field) ? 'manual' : u.idp_fields.includes(field) ? 'idp' : 'none');
  const customNames = new Set<string>([
    ...Object.keys(u.custom_fields ?? {}),
    ...[...u.manual_fields, ...u.idp_fields].filter((f: string) => f.startsWith('custom.')).map((f: string) => f.slice(7)),
  ]);
  return {
    id: u.id,
    tenantId: u.tenant_id,
    status: u.status,
    issuer: u.issuer,
    subject: u.subject,
    username: u.username,
    fields: Object.fromEntries(fieldTable.map((r) => [r.field, { value: u[r.column] ?? null, source: source(r.field) }])),
    customFields: Object.fromEntries([...customNames].sort().map((k) => [k, { value: u.custom_fields?.[k] ?? null, source: source(`custom.${k}`) }])),
    locations: (u.locations ?? []).map((l: Record<string, any>) => ({ externalId: l.externalId, source: l.source, assignedAt: iso(l.assignedAt)!, assignedBy: l.assignedBy ?? null })),
    excludedLocations: [...(u.excluded_locations ?? [])].sort(),
    createdAt: iso(u.created_at)!,
    updatedAt: iso(u.updated_at)!,
    lastLoginAt: iso(u.last_login_at),
  };
}

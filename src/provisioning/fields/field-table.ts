import type { TenantConfig } from '../../tenants/tenant-config.schema.js';
import type { FieldName } from './field-names.js';
import { type Checked, email, phone, text, username } from './formats.js';

/**
 * The guide's table of auto-provisioned fields, one row per scalar user field: the column it is stored in,
 * how many values the claim may carry, and the check (format, bound, tenant lookup) a value must pass.
 * Adding a field is adding a row here and a column in a migration. Locations and custom fields are sets,
 * not columns, and are mapped beside this table (see mapper.ts).
 */
export interface FieldRow {
  field: Exclude<FieldName, 'locations'>;
  column: string;
  /** 'list' rows accept an array or joined string (e.g. several Okta groups) and reduce it to one value. */
  read: 'single' | 'list';
  check(values: string[], config: TenantConfig): Checked;
}

const one = (f: (v: string, c: TenantConfig) => Checked) => (values: string[], c: TenantConfig) => f(values[0]!, c);
const bad = (reason: string): Checked => ({ ok: false, reason });

function knownId(kind: 'organizationalRoles' | 'commissionGroups', label: string) {
  return one((v, c) => {
    const t = text(v, 50);
    if (!t.ok) return t;
    const known = c.rqIds[kind];
    if (known.length === 0) return bad(`"${t.value}" cannot be checked: no ${label} IDs are configured for this tenant`);
    return known.includes(t.value) ? t : bad(`"${t.value}" is not one of this tenant's known ${label} IDs`);
  });
}

function mapped(map: (c: TenantConfig) => Record<string, string>, label: string) {
  return one((v, c) => {
    const t = text(v, 200);
    if (!t.ok) return t;
    const m = map(c);
    const hit = m[t.value] ?? Object.entries(m).find(([k]) => k.toLowerCase() === t.value.toLowerCase())?.[1];
    return hit ? { ok: true, value: hit } : bad(`"${t.value}" is not mapped to a ${label} for this tenant`);
  });
}

/** Several group names may arrive; exactly one distinct mapped role must result. */
function securityRole(values: string[], c: TenantConfig): Checked {
  const roles = new Set<string>();
  const unmapped: string[] = [];
  for (const v of values) {
    const r = mapped((cfg) => cfg.roles.map, 'security role')([v], c);
    if (r.ok) roles.add(r.value);
    else unmapped.push(v);
  }
  if (roles.size === 1) return { ok: true, value: [...roles][0]! };
  if (roles.size > 1) return bad(`maps to several security roles (${[...roles].join(', ')}); exactly one is required`);
  if (c.roles.defaultRole) return { ok: true, value: c.roles.defaultRole };
  const shown = unmapped.map((u) => `"${text(u, 200).ok ? u : u.slice(0, 40) + '…'}"`).join(', ');
  return bad(`${shown} ${unmapped.length === 1 ? 'is' : 'are'} not mapped to a security role for this tenant, and it has no default role`);
}

const usernameRules = (c: TenantConfig) => ({ rewrites: c.usernameRewrites, domains: c.domains });

export const fieldTable: readonly FieldRow[] = [
  { field: 'username', column: 'username', read: 'single', check: one((v, c) => username(v, usernameRules(c))) },
  { field: 'firstName', column: 'first_name', read: 'single', check: one((v) => text(v, 100)) },
  { field: 'lastName', column: 'last_name', read: 'single', check: one((v) => text(v, 100)) },
  { field: 'securityRole', column: 'security_role', read: 'list', check: securityRole },
  { field: 'email', column: 'email', read: 'single', check: one((v) => email(v)) },
  { field: 'emailDisplayName', column: 'email_display_name', read: 'single', check: one((v) => text(v, 100)) },
  { field: 'homePhone', column: 'home_phone', read: 'single', check: one((v) => phone(v)) },
  { field: 'cellPhone', column: 'cell_phone', read: 'single', check: one((v) => phone(v)) },
  { field: 'organizationalRoleId', column: 'organizational_role_id', read: 'single', check: knownId('organizationalRoles', 'organizational role') },
  { field: 'supervisor', column: 'supervisor_username', read: 'single', check: one((v, c) => username(v, usernameRules(c))) },
  { field: 'idNumber', column: 'id_number', read: 'single', check: one((v) => text(v, 50)) },
  { field: 'commissionGroupId', column: 'commission_group_id', read: 'single', check: knownId('commissionGroups', 'commission group') },
  { field: 'commissionType', column: 'commission_type', read: 'single', check: mapped((c) => c.commissionTypes, 'commission type') },
];

export const columnOf = Object.fromEntries(fieldTable.map((r) => [r.field, r.column])) as Record<FieldRow['field'], string>;

import { ownValue } from '../../common/own.js';
import type { TenantConfig } from '../../tenants/tenant-config.schema.js';
import { fieldDefaults, type FieldName } from './field-names.js';
import { bad, type Checked, email, type Format, ok, phone, quote, rqId, text, username, usernameFormat } from './formats.js';

export type ScalarField = Exclude<FieldName, 'locations'>;

/**
 * The guide's table of auto-provisioned fields, one row per scalar user field: the column it is stored in,
 * how the claim is read, its format and bound, the tenant rule it passes, and what an account manager may
 * set by hand. Adding a field is adding a row here and a column in a migration: the mapper, the SQL, the
 * admin API and the README table are all generated from these rows. Locations and custom fields are sets,
 * not columns, and are mapped beside this table (see mapper.ts; `setRows` documents them).
 */
export interface FieldRow {
  field: ScalarField;
  column: string;
  /** 'list' rows accept an array or joined string (e.g. several Okta groups) and reduce it to one value. */
  read: 'single' | 'list';
  /** The value format (its description and bound are what the README shows). */
  format: Format;
  /** The tenant rule beyond the format, in words (README). */
  rule: string;
  /**
   * 'always': a sign-in without it is refused. 'on-create': a new user needs it; `fallback` (e.g. the default
   * role) may supply it. Otherwise an absent claim keeps the stored value and an empty one clears it.
   */
  required?: 'always' | 'on-create';
  fallback?: (c: TenantConfig) => string | undefined;
  /** Masked in audit rows (claims and diff): identifiers that may be government or payroll numbers. */
  sensitive?: boolean;
  /** Maps and checks the claim's values (already shape-parsed, non-empty). */
  fromClaim(values: string[], c: TenantConfig): Checked;
  /** Checks a value an account manager sets by hand (in RQ terms). Absent: the field cannot be set by hand. */
  byHand?(value: string, c: TenantConfig): Checked;
}

const first = (f: (v: string, c: TenantConfig) => Checked) => (values: string[], c: TenantConfig) => f(values[0]!, c);
const fmt = (format: Format) => first((v) => format.check(v));

/** Value-map lookup: exact key first, then ignoring case (configuration forbids keys that differ only in case). */
export function lookup(map: Record<string, string>, value: string): string | undefined {
  const exact = ownValue(map, value);
  if (exact !== undefined) return exact;
  const folded = value.toLowerCase();
  return Object.entries(map).find(([k]) => k.toLowerCase() === folded)?.[1];
}

function oneOf(value: string, allowed: readonly string[], what: string): Checked {
  if (allowed.length === 0) return bad(`cannot be set: this tenant has no ${what} configured`);
  return allowed.includes(value) ? ok(value) : bad(`${quote(value)} is not one of this tenant's ${what}`);
}

function knownId(kind: 'organizationalRoles' | 'commissionGroups', label: string) {
  const check = (v: string, c: TenantConfig): Checked => {
    const t = rqId.check(v);
    if (!t.ok) return t;
    const known = c.rqIds[kind];
    if (known.length === 0) return bad(`${quote(t.value)} cannot be checked: no ${label} IDs are configured for this tenant`);
    return known.includes(t.value) ? t : bad(`${quote(t.value)} is not one of this tenant's known ${label} IDs`);
  };
  return { fromClaim: first(check), byHand: check };
}

const groupFormat = text(200);

/** Several group names may arrive; exactly one distinct mapped role must result. */
function securityRole(values: string[], c: TenantConfig): Checked {
  const roles = new Set<string>();
  const unmapped: string[] = [];
  for (const v of values) {
    const f = groupFormat.check(v);
    if (!f.ok) return bad(`value ${quote(v)} ${f.reason}`);
    const role = lookup(c.roles.map, f.value);
    if (role) roles.add(role);
    else unmapped.push(f.value);
  }
  const shown = unmapped.map((u) => quote(u)).join(', ');
  if (roles.size === 1) {
    const [role] = roles;
    return ok(role!, unmapped.length ? `${shown} ${unmapped.length === 1 ? 'is' : 'are'} not mapped to a security role; ignored` : undefined);
  }
  if (roles.size > 1) return bad(`maps to several security roles (${[...roles].sort().join(', ')}); exactly one is required`);
  if (c.roles.defaultRole) return ok(c.roles.defaultRole, `${shown} ${unmapped.length === 1 ? 'is' : 'are'} not mapped to a security role; the tenant's default role applies`);
  return bad(`${shown} ${unmapped.length === 1 ? 'is' : 'are'} not mapped to a security role for this tenant, and it has no default role`);
}

/** RQ security roles a value set by hand may take: the loaded RQ list, else the role map's targets and the default role. */
const rolesOf = (c: TenantConfig) =>
  c.rqIds.securityRoles.length ? c.rqIds.securityRoles : [...new Set([...Object.values(c.roles.map), ...(c.roles.defaultRole ? [c.roles.defaultRole] : [])])].sort();
const commissionTypesOf = (c: TenantConfig) => (c.rqIds.commissionTypes.length ? c.rqIds.commissionTypes : [...new Set(Object.values(c.commissionTypes))].sort());
const usernameRules = (c: TenantConfig) => ({ rewrites: c.usernameRewrites, domains: c.domains });
const docRules = usernameFormat({ rewrites: [], domains: [] });

const name = text(100);
const displayName = text(256);
const idNumber = text(50);
const commissionTypeFormat = text(200);

export const fieldTable: readonly FieldRow[] = [
  {
    field: 'username', column: 'username', read: 'single', format: docRules, required: 'always',
    rule: "NFKC-normalised; domain rewritten by the tenant's rules, then one of its verified domains; unique across all tenants (case-insensitive after NFKC)",
    fromClaim: first((v, c) => username(v, usernameRules(c))),
  },
  { field: 'firstName', column: 'first_name', read: 'single', format: name, rule: 'many Okta orgs send the full name in name: point the field at given_name then', fromClaim: fmt(name), byHand: (v) => name.check(v) },
  { field: 'lastName', column: 'last_name', read: 'single', format: name, rule: '', fromClaim: fmt(name), byHand: (v) => name.check(v) },
  {
    field: 'securityRole', column: 'security_role', read: 'list', format: groupFormat, required: 'on-create', fallback: (c) => c.roles.defaultRole,
    rule: "a list (at most 100 values); each looked up in the role map (exactly, then ignoring case); several values must map to one role; unmapped or empty: the default role, else refused; by hand: one of the tenant's RQ security roles (else a role map target)",
    fromClaim: securityRole,
    byHand: (v, c) => oneOf(v.trim(), rolesOf(c), 'security roles'),
  },
  { field: 'email', column: 'email', read: 'single', format: email, rule: 'kept as given, domain lower-cased; never used as the identity', fromClaim: fmt(email), byHand: (v) => email.check(v) },
  { field: 'emailDisplayName', column: 'email_display_name', read: 'single', format: displayName, rule: '', fromClaim: fmt(displayName), byHand: (v) => displayName.check(v) },
  { field: 'homePhone', column: 'home_phone', read: 'single', format: phone, rule: 'extension normalised to ;ext=', fromClaim: fmt(phone), byHand: (v) => phone.check(v) },
  { field: 'cellPhone', column: 'cell_phone', read: 'single', format: phone, rule: 'extension normalised to ;ext=', fromClaim: fmt(phone), byHand: (v) => phone.check(v) },
  {
    field: 'organizationalRoleId', column: 'organizational_role_id', read: 'single', format: rqId,
    rule: "one of the tenant's known organizational role RQ IDs", ...knownId('organizationalRoles', 'organizational role'),
  },
  {
    field: 'supervisor', column: 'supervisor_username', read: 'single', format: docRules,
    rule: 'a username: same normalisation, rewrite and verified-domain rules (need not have signed in yet)',
    fromClaim: first((v, c) => username(v, usernameRules(c))),
    byHand: (v, c) => username(v, usernameRules(c)),
  },
  { field: 'idNumber', column: 'id_number', read: 'single', format: idNumber, sensitive: true, rule: 'masked in audits', fromClaim: fmt(idNumber), byHand: (v) => idNumber.check(v) },
  {
    field: 'commissionGroupId', column: 'commission_group_id', read: 'single', format: rqId,
    rule: "one of the tenant's known commission group RQ IDs", ...knownId('commissionGroups', 'commission group'),
  },
  {
    field: 'commissionType', column: 'commission_type', read: 'single', format: commissionTypeFormat,
    rule: "mapped through the tenant's commission type value map (exactly, then ignoring case); unmapped: refused; by hand: one of the tenant's RQ commission types (else a map value)",
    fromClaim: first((v, c) => {
      const t = commissionTypeFormat.check(v);
      if (!t.ok) return t;
      const hit = lookup(c.commissionTypes, t.value);
      return hit ? ok(hit) : bad(`${quote(t.value)} is not mapped to a commission type for this tenant`);
    }),
    byHand: (v, c) => oneOf(v.trim(), commissionTypesOf(c), 'commission types'),
  },
];

export const rowOf = Object.fromEntries(fieldTable.map((r) => [r.field, r])) as Record<ScalarField, FieldRow>;
export const columnOf = Object.fromEntries(fieldTable.map((r) => [r.field, r.column])) as Record<ScalarField, string>;

/** The set-valued rows of the guide's table, documented beside the scalar ones (mapped in mapper.ts). */
export const setRows = [
  {
    field: 'locations', claim: 'assigned_entity_client_entity_ids', format: 'list of External Node Identifiers',
    bound: 'at most 500 entries, each at most 100 printable characters',
    rule: "array, one string, comma/semicolon-joined or JSON-encoded array; blanks and duplicates dropped; each must be in the tenant's company tree: unknown ones refuse the sign-in, or (policy assign-known) are reported and skipped; replaces the IdP-sourced assignments only",
  },
  {
    field: 'custom.{name}', claim: 'attribute_rqCustomField_{name}', format: 'text',
    bound: "the declared maxLength (default 255, at most 4000)",
    rule: "only the names the tenant declares (exact name); a declared value map makes the value map to an RQ value; undeclared ones are reported as warnings and ignored",
  },
] as const;

/** The claims that feed sensitive fields under a tenant's rules (their values are masked in audits). */
export function sensitiveClaims(c: TenantConfig): string[] {
  return fieldTable.filter((r) => r.sensitive).flatMap((r) => {
    const o = c.claims[r.field];
    return o === undefined ? [...fieldDefaults[r.field]] : Array.isArray(o) ? o : [o];
  });
}

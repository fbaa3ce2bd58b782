import type { FieldProblem } from '../common/errors/problem.js';
import type { TenantConfig } from '../tenants/tenant-config.schema.js';
import { type ClaimValue, list, present, single } from './fields/claim-shapes.js';
import { customFieldPrefix, fieldDefaults, type FieldName } from './fields/field-names.js';
import { fieldTable, lookup, type ScalarField } from './fields/field-table.js';
import { escaped, identifier, quote, text, usernameKey } from './fields/formats.js';

/** Where a claim came from: the sign-in's ID token or UserInfo, or a SCIM push from the customer's Okta. */
/** Where a claim came from: the sign-in's ID token or UserInfo, or a SCIM push from the customer's Okta. */
export type ClaimSource = 'id_token' | 'userinfo' | 'scim';

export interface ClaimSet {
  /** Claims of the verified ID token. */
  idToken: Record<string, unknown>;
  /** Claims from the UserInfo endpoint, when auto-provisioning fetched them. */
  userinfo?: Record<string, unknown>;
}

/** What one sign-in asserts about a user, checked field by field, before anything is written. */
export interface ProvisioningPlan {
  issuer: string;
  subject: string;
  username?: string;
  usernameKey?: string;
  /** Scalar fields the IdP asserted: a value, or null to clear. Absent claims are not here. */
  fields: Partial<Record<ScalarField, string | null>>;
  /** Values used only if this attempt creates the user (e.g. the default role when no group was sent). */
  onCreate: Partial<Record<ScalarField, string>>;
  /** Problems that refuse the attempt only if it would create the user (decided by the write). */
  problemsIfNew: FieldProblem[];
  /** users.status, asserted only by a lifecycle source (SCIM `active`); sign-in never asserts it. */
  status?: 'active' | 'disabled';
  /** Declared custom fields asserted: a value, or null to clear. */
  customFields: Record<string, string | null>;
  locations: { present: false } | { present: true; ids: string[] };
  /** Where each asserted value came from (field → source). */
  sources: Record<string, ClaimSource>;
  /** Any problem refuses the whole attempt: a user is never half-written. */
  problems: FieldProblem[];
  warnings: FieldProblem[];
}

/** At most this many undeclared custom claims are reported one by one (then one summary line). */
const MAX_UNDECLARED_REPORTED = 20;
export const MAX_LOCATIONS = 500;
/** Okta's groups claim carries at most 100 groups. */
const MAX_GROUPS = 100;

/** OIDC Core §2: sub is at most 255 ASCII characters. */
const SUBJECT = /^[\x21-\x7e]{1,255}$/;

export function claimNamesFor(field: FieldName, config: TenantConfig): readonly string[] {
  const override = config.claims[field];
  if (override === undefined) return fieldDefaults[field];
  return Array.isArray(override) ? override : [override];
}

/** Picks the first candidate claim that is present and not empty; else the first empty one; else absent. */
function firstClaim(claims: Record<string, unknown>, names: readonly string[]): { name: string; value: ClaimValue } {
  let fallback: { name: string; value: ClaimValue } = { name: names[0]!, value: { kind: 'absent' } };
  for (const name of names) {
    const value = single(claims, name);
    if (value.kind === 'one' || value.kind === 'invalid') return { name, value };
    if (value.kind === 'empty' && fallback.value.kind === 'absent') fallback = { name, value };
  }
  return fallback;
}

/**
 * Claims → a checked plan, purely (no I/O): the same input and configuration always give the same plan, so a
 * dry run shows exactly what a sign-in would do. UserInfo's claims are used only when its `sub` is the ID
 * token's; a claim present in both then takes UserInfo's value.
 */
export function mapClaims(input: ClaimSet, config: TenantConfig, issuer: string): ProvisioningPlan {
  const problems: FieldProblem[] = [];
  const warnings: FieldProblem[] = [];
  const sub = input.idToken.sub;
  const subject = typeof sub === 'string' && SUBJECT.test(sub) ? sub : '';
  if (!subject) problems.push({ field: 'sub', reason: `the ID token's subject (sub) ${typeof sub === 'string' ? quote(sub) : 'is missing; it'} must be 1 to 255 printable ASCII characters` });

  let userinfo = input.userinfo;
  if (userinfo && userinfo.sub !== subject) {
    const theirs = typeof userinfo.sub === 'string' ? quote(userinfo.sub) : 'missing';
    problems.push({ field: 'sub', reason: `UserInfo is about another subject (${theirs}) than the ID token (${quote(String(sub ?? ''))}); its claims were not used` });
    userinfo = undefined;
  }
  const claims = { ...input.idToken, ...userinfo };
  const source = (claim: string): ClaimSource => (userinfo && present(userinfo, claim) ? 'userinfo' : 'id_token');

  const plan: ProvisioningPlan = {
    issuer, subject, fields: {}, onCreate: {}, problemsIfNew: [], customFields: {}, locations: { present: false }, sources: {}, problems, warnings,
  };

  for (const row of fieldTable) {
    const names = claimNamesFor(row.field, config);
    let claim: string;
    let values: string[] | null; // null = absent, [] = empty
    if (row.read === 'list') {
      claim = names.find((n) => present(claims, n)) ?? names[0]!;
      const l = list(claims, claim, MAX_GROUPS);
      if (l.kind === 'invalid') { problems.push({ field: row.field, reason: `claim ${claim} ${l.reason}` }); continue; }
      values = l.kind === 'absent' ? null : l.values;
    } else {
      const picked = firstClaim(claims, names);
      claim = picked.name;
      const v = picked.value;
      if (v.kind === 'invalid') { problems.push({ field: row.field, reason: `claim ${claim} ${v.reason}` }); continue; }
      values = v.kind === 'absent' ? null : v.kind === 'empty' ? [] : [v.value];
    }
    const fallback = row.fallback?.(config);

    if (values === null) {
      const sent = names.length === 1 ? `claim ${claim} was not sent` : `none of the claims ${names.join(', ')} was sent`;
      if (row.required === 'always') { problems.push({ field: row.field, reason: sent }); continue; }
      warnings.push({ field: row.field, reason: `${sent}; the field was left unchanged` });
      if (row.required === 'on-create') {
        if (fallback !== undefined) plan.onCreate[row.field] = fallback;
        else plan.problemsIfNew.push({ field: row.field, reason: `${sent}, this tenant has no default, and a new user needs one` });
      }
      continue;
    }
    plan.sources[row.field] = source(claim);
    if (values.length === 0) {
      if (!row.required) { plan.fields[row.field] = null; continue; }
      if (fallback === undefined) { problems.push({ field: row.field, reason: `claim ${claim} is empty${row.required === 'on-create' ? ' and this tenant has no default' : ''}` }); continue; }
      plan.fields[row.field] = fallback;
      warnings.push({ field: row.field, reason: `claim ${claim} is empty; the tenant's default applies` });
      continue;
    }
    const checked = row.fromClaim(values, config);
    if (!checked.ok) { problems.push({ field: row.field, reason: `claim ${claim} ${checked.reason}` }); continue; }
    if (checked.warning) warnings.push({ field: row.field, reason: `claim ${claim}: ${checked.warning}` });
    plan.fields[row.field] = checked.value;
  }
  if (typeof plan.fields.username === 'string') {
    plan.username = plan.fields.username;
    plan.usernameKey = usernameKey(plan.username);
  }

  mapLocations(claims, config, plan, source);
  mapCustomFields(claims, config, plan, source);
  return plan;
}

const externalId = identifier(100, 'External Node Identifier');

function mapLocations(claims: Record<string, unknown>, config: TenantConfig, plan: ProvisioningPlan, source: (n: string) => ClaimSource): void {
  const names = claimNamesFor('locations', config);
  const claim = names.find((n) => present(claims, n)) ?? names[0]!;
  const l = list(claims, claim, MAX_LOCATIONS);
  if (l.kind === 'absent') {
    plan.warnings.push({ field: 'locations', reason: `claim ${claim} was not sent; location assignments were left unchanged` });
    return;
  }
  if (l.kind === 'invalid') {
    plan.problems.push({ field: 'locations', reason: `claim ${claim} ${l.reason}` });
    return;
  }
  const ids: string[] = [];
  for (const raw of l.values) {
    const c = externalId.check(raw);
    if (!c.ok) plan.problems.push({ field: 'locations', reason: `claim ${claim}: identifier ${quote(raw)} ${c.reason}` });
    else ids.push(c.value);
  }
  plan.sources.locations = source(claim);
  plan.locations = { present: true, ids };
}

/** Custom field values: free text up to the declared length, or, with a declared value map, one of its keys. */
export function checkCustomValue(decl: TenantConfig['customFields'][number], raw: string, mapped: boolean) {
  const t = text(decl.maxLength).check(raw);
  if (!t.ok || !decl.values) return t;
  if (!mapped) {
    // By hand: the RQ value itself.
    const allowed = [...new Set(Object.values(decl.values))];
    return allowed.includes(t.value) ? t : { ok: false as const, reason: `${quote(t.value)} is not one of the values declared for this custom field` };
  }
  const hit = lookup(decl.values, t.value);
  return hit !== undefined ? { ok: true as const, value: hit } : { ok: false as const, reason: `${quote(t.value)} is not mapped to a value of this custom field` };
}

function mapCustomFields(claims: Record<string, unknown>, config: TenantConfig, plan: ProvisioningPlan, source: (n: string) => ClaimSource): void {
  const declared = new Set(config.customFields.map((f) => f.name));
  for (const decl of config.customFields) {
    const claim = `${customFieldPrefix}${decl.name}`;
    const field = `custom.${decl.name}`;
    const v = single(claims, claim);
    if (v.kind === 'absent') { plan.warnings.push({ field, reason: `claim ${claim} was not sent; the field was left unchanged` }); continue; }
    if (v.kind === 'invalid') { plan.problems.push({ field, reason: `claim ${claim} ${v.reason}` }); continue; }
    plan.sources[field] = source(claim);
    if (v.kind === 'empty') { plan.customFields[decl.name] = null; continue; }
    const t = checkCustomValue(decl, v.value, true);
    if (!t.ok) plan.problems.push({ field, reason: `claim ${claim} ${t.reason}` });
    else plan.customFields[decl.name] = t.value;
  }
  // Undeclared custom claims are reported, not refused: an extra attribute in the customer's Okta (not yet
  // declared here) writes nothing, so it should not lock people out; the warning makes it visible.
  const undeclared = Object.keys(claims).filter((k) => k.startsWith(customFieldPrefix) && !declared.has(k.slice(customFieldPrefix.length)));
  for (const name of undeclared.slice(0, MAX_UNDECLARED_REPORTED)) {
    plan.warnings.push({
      field: `custom.${escaped(name.slice(customFieldPrefix.length), 64)}`,
      reason: `claim ${quote(name, 100)} is not a custom field declared for this tenant; its value was ignored (declare it in the tenant's customFields to provision it)`,
    });
  }
  if (undeclared.length > MAX_UNDECLARED_REPORTED) {
    plan.warnings.push({ field: 'custom', reason: `${undeclared.length - MAX_UNDECLARED_REPORTED} more undeclared custom field claims were ignored` });
  }
}

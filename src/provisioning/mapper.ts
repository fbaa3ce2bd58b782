import type { FieldProblem } from '../common/errors/problem.js';
import type { TenantConfig } from '../tenants/tenant-config.schema.js';
import { type ClaimValue, list, single } from './fields/claim-shapes.js';
import { customFieldPrefix, fieldDefaults, type FieldName } from './fields/field-names.js';
import { fieldTable } from './fields/field-table.js';
import { externalId, text, usernameKey } from './fields/formats.js';

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
  /** Scalar columns the IdP asserted: a value, or null to clear. Absent claims are not here. */
  fields: Record<string, string | null>;
  customFields: Record<string, string | null>;
  locations: { present: false } | { present: true; ids: string[] };
  sources: Record<string, ClaimSource>;
  /** Any problem refuses the whole attempt: a user is never half-written. */
  problems: FieldProblem[];
  warnings: FieldProblem[];
}

export function claimNamesFor(field: FieldName, config: TenantConfig): readonly string[] {
  const override = config.claims[field];
  return override ? [override] : fieldDefaults[field];
}

/** Picks the first candidate claim that is present and not empty (empty beats absent). */
function firstClaim(claims: Record<string, unknown>, names: readonly string[]): { name: string; value: ClaimValue } {
  let fallback: { name: string; value: ClaimValue } = { name: names[0]!, value: { kind: 'absent' } };
  for (const name of names) {
    const value = single(claims, name);
    if (value.kind === 'one' || value.kind === 'invalid') return { name, value };
    if (value.kind === 'empty' && fallback.value.kind === 'absent') fallback = { name, value };
  }
  return fallback;
}

export function mapClaims(input: ClaimSet, config: TenantConfig, issuer: string): ProvisioningPlan {
  const problems: FieldProblem[] = [];
  const warnings: FieldProblem[] = [];
  const subject = typeof input.idToken.sub === 'string' ? input.idToken.sub : '';
  if (!subject || subject.length > 255) problems.push({ field: 'sub', reason: 'the ID token has no usable subject (sub)' });

  let userinfo = input.userinfo;
  if (userinfo && userinfo.sub !== subject) {
    problems.push({ field: 'sub', reason: `UserInfo is about a different subject than the ID token; its claims were not used` });
    userinfo = undefined;
  }
  const claims = { ...input.idToken, ...userinfo };
  const sourceOf = (name: string): ClaimSource => (userinfo && Object.hasOwn(userinfo, name) ? 'userinfo' : 'id_token');

  const plan: ProvisioningPlan = { issuer, subject, fields: {}, customFields: {}, locations: { present: false }, sources: {}, problems, warnings };

  for (const row of fieldTable) {
    const names = claimNamesFor(row.field, config);
    let claim: string;
    let values: string[] | null; // null = absent, [] = empty
    if (row.read === 'list') {
      claim = names[0]!;
      const l = list(claims, claim, 50);
      if (l.kind === 'invalid') { problems.push({ field: row.field, reason: `claim ${claim} ${l.reason}` }); continue; }
      values = l.kind === 'absent' ? null : l.values;
    } else {
      const picked = firstClaim(claims, names);
      claim = picked.name;
      const v = picked.value;
      if (v.kind === 'invalid') { problems.push({ field: row.field, reason: `claim ${claim} ${v.reason}` }); continue; }
      values = v.kind === 'absent' ? null : v.kind === 'empty' ? [] : [v.value];
    }
    if (values === null) {
      if (row.field === 'username') problems.push({ field: 'username', reason: `none of the claims ${names.join(', ')} was sent` });
      else warnings.push({ field: row.field, reason: `claim ${claim} was not sent; the stored value was kept` });
      continue;
    }
    plan.sources[row.field] = sourceOf(claim);
    if (values.length === 0) {
      if (row.field === 'username') problems.push({ field: 'username', reason: `claim ${claim} is empty` });
      else plan.fields[row.column] = null;
      continue;
    }
    const checked = row.check(values, config);
    if (!checked.ok) { problems.push({ field: row.field, reason: `claim ${claim} ${checked.reason}` }); continue; }
    plan.fields[row.column] = checked.value;
  }
  if (typeof plan.fields.username === 'string') {
    plan.username = plan.fields.username;
    plan.usernameKey = usernameKey(plan.username);
  }

  mapLocations(claims, config, plan, sourceOf);
  mapCustomFields(claims, config, plan, sourceOf);
  return plan;
}

function mapLocations(claims: Record<string, unknown>, config: TenantConfig, plan: ProvisioningPlan, sourceOf: (n: string) => ClaimSource): void {
  const claim = claimNamesFor('locations', config)[0]!;
  const l = list(claims, claim, 500);
  if (l.kind === 'absent') {
    plan.warnings.push({ field: 'locations', reason: `claim ${claim} was not sent; location assignments were kept` });
    return;
  }
  if (l.kind === 'invalid') {
    plan.problems.push({ field: 'locations', reason: `claim ${claim} ${l.reason}` });
    return;
  }
  const ids: string[] = [];
  for (const raw of l.values) {
    const c = externalId(raw);
    if (!c.ok) plan.problems.push({ field: 'locations', reason: `identifier "${raw.slice(0, 40)}" ${c.reason}` });
    else ids.push(c.value);
  }
  plan.sources.locations = sourceOf(claim);
  plan.locations = { present: true, ids };
}

function mapCustomFields(claims: Record<string, unknown>, config: TenantConfig, plan: ProvisioningPlan, sourceOf: (n: string) => ClaimSource): void {
  const declared = new Map(config.customFields.map((f) => [f.name, f.maxLength]));
  for (const name of Object.keys(claims)) {
    if (!name.startsWith(customFieldPrefix)) continue;
    const field = name.slice(customFieldPrefix.length);
    const max = declared.get(field);
    if (max === undefined) {
      plan.warnings.push({ field: `custom.${field.slice(0, 64)}`, reason: `claim ${name.slice(0, 100)} is not a custom field declared for this tenant; it was ignored` });
      continue;
    }
    const v = single(claims, name);
    if (v.kind === 'invalid') { plan.problems.push({ field: `custom.${field}`, reason: `claim ${name} ${v.reason}` }); continue; }
    plan.sources[`custom.${field}`] = sourceOf(name);
    if (v.kind !== 'one') { plan.customFields[field] = null; continue; }
    const t = text(v.value, max);
    if (!t.ok) plan.problems.push({ field: `custom.${field}`, reason: `claim ${name} ${t.reason}` });
    else plan.customFields[field] = t.value;
  }
}

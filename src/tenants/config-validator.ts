import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { FieldProblem } from '../common/errors/problem.js';
import { under } from '../common/validation/field-path.js';
import { issuerOrigin } from '../provisioning/issuer-origin.js';
import { claimsOf, conflictingClaims, conflictReason, fieldOfClaim, unclaimable } from './domain-claims.js';
import { type Discover, type OktaEndpoints, OktaDiscovery } from './okta-discovery.js';
import type { TenantConfig } from './tenant-config.schema.js';

/** The configuration as an account manager writes it (what discovery adds and the secret reference excluded). */
export type ConfigInput = Omit<TenantConfig, 'okta'> & { okta: Omit<TenantConfig['okta'], 'endpoints' | 'clientSecretId'> };

export interface ConfigCheck {
  ok: boolean;
  /** Each refuses the save or the activation, with the field it is about. */
  problems: FieldProblem[];
  /** Worth knowing, not blocking. */
  warnings: FieldProblem[];
  /** A problem another tenant causes (a domain it owns): answered 409 rather than 422. */
  conflict: boolean;
  /** What discovery says, when it succeeded. */
  endpoints?: OktaEndpoints;
}

export const PROVISIONING_SCOPES = ['openid', 'email', 'profile', 'phone', 'iqmetrix'] as const;

/**
 * Everything checked when a configuration is saved, checked again, or activated: the Okta issuer through its
 * discovery document, domains against every other tenant, and that mappings refer to IDs that exist. Every
 * problem is reported at once, each with its field and a reason. Fields are named from the top of the documents
 * a configuration is in (the request bodies and the version resources hold it as `config`): `config.domains[1]`.
 */
@Injectable()
export class ConfigValidator {
  constructor(
    private readonly db: DataSource,
    private readonly discovery: OktaDiscovery,
  ) {}

  /** `discover`: how the issuer's discovery document is read (default: fetched now; OktaDiscovery.once() for a change saved again). */
  async validate(config: ConfigInput, tenantId?: string, discover: Discover = (issuer) => this.discovery.discover(issuer)): Promise<ConfigCheck> {
    const problems: FieldProblem[] = [];
    const warnings: FieldProblem[] = [];
    const conflicts = await this.domainConflicts(config, tenantId);
    problems.push(...conflicts);
    problems.push(...localRules(config, warnings));
    if (tenantId) warnings.push(...(await this.issuerChange(config.okta.issuer, tenantId)));

    const found = await discover(config.okta.issuer);
    let endpoints: OktaEndpoints | undefined;
    if (!found.ok) problems.push(found.problem);
    else {
      endpoints = found.endpoints;
      const methods = endpoints.tokenEndpointAuthMethods;
      if (methods && !methods.includes(config.okta.tokenEndpointAuthMethod)) {
        problems.push({ field: 'okta.tokenEndpointAuthMethod', reason: `this Okta authorization server supports ${methods.join(', ')}, not ${config.okta.tokenEndpointAuthMethod}` });
      }
      const supported = endpoints.scopesSupported;
      const missing = supported ? config.okta.scopes.filter((s) => !supported.includes(s)) : [];
      if (missing.length) {
        // Okta lists a custom scope only when it is marked "include in public metadata": not proof it is missing.
        warnings.push({ field: 'okta.scopes', reason: `the discovery document does not list ${missing.join(', ')}; unless those scopes exist on the authorization server (custom scopes not marked "include in public metadata" are not listed), sign-ins will fail with invalid_scope` });
      }
      const grants = Array.isArray(found.document.grant_types_supported) ? (found.document.grant_types_supported as unknown[]) : undefined;
      if (config.okta.passwordGrant && grants && !grants.includes('password')) {
        warnings.push({ field: 'okta.passwordGrant', reason: 'the discovery document does not list the password grant; credential forwarding will be refused by Okta' });
      }
    }
    const inDocument = (p: FieldProblem) => ({ ...p, field: under('config', p.field) });
    return { ok: problems.length === 0, problems: problems.map(inDocument), warnings: warnings.map(inDocument), conflict: conflicts.length > 0, endpoints };
  }

  /**
   * Users are keyed by (tenant, issuer, sub). A version whose issuer is not the one the tenant's users came
   * through changes what a returning user is: within the same Okta org (same origin) Okta user ids are the same,
   * so provisioning matches them by sub and moves them to the new issuer; from another org they are new people
   * to this service, whose usernames their old accounts still own.
   */
  private async issuerChange(issuer: string, tenantId: string): Promise<FieldProblem[]> {
    const rows: Array<{ issuer: string; n: number }> = await this.db.query(
      `SELECT issuer, count(*)::int AS n FROM users WHERE tenant_id = $1 AND issuer <> $2 GROUP BY issuer ORDER BY n DESC, issuer LIMIT 5`,
      [tenantId, issuer],
    );
    const origin = issuerOrigin(issuer);
    return rows.map(({ issuer: old, n }) => {
      const who = `${n} user${n === 1 ? '' : 's'} of this tenant ${n === 1 ? 'was' : 'were'} provisioned through ${old}`;
      return origin !== null && issuerOrigin(old) === origin
        ? { field: 'okta.issuer', reason: `the issuer changes from ${old}: ${who}. It is the same Okta org (${origin}), where Okta user ids stay the same, so each of them is matched by their Okta user id at their next sign-in and moved to the new issuer; nobody is locked out` }
        : { field: 'okta.issuer', reason: `the issuer changes from ${old}, another Okta org: ${who}. Okta user ids differ between orgs, so at their next sign-in each of them looks like a new person and is refused, because their username still belongs to their existing account. Keep the old issuer unless these users are meant to be replaced` };
    });
  }

  /** No two tenants may claim overlapping addresses through verified domains or rewrite sources (domain-claims.ts). */
  private async domainConflicts(config: ConfigInput, tenantId?: string): Promise<FieldProblem[]> {
    const conflicts = await conflictingClaims(this.db, claimsOf(config), tenantId);
    return conflicts.map((c) => ({ field: fieldOfClaim(config, c.claim), reason: conflictReason(c) }));
  }
}

/** Whether rewrite source `a` matches every domain source `b` matches (rewriteDomain's rule: `*.x` is what is under x). */
function covers(a: string, b: string): boolean {
  if (!a.startsWith('*.')) return a === b;
  const suffix = a.slice(1);
  return b.startsWith('*.') ? b.slice(1) === suffix || b.slice(1).endsWith(suffix) : b.endsWith(suffix);
}

/** Rules that need no I/O: consistency inside the document and mappings against the reference IDs it holds. */
export function localRules(config: ConfigInput, warnings: FieldProblem[]): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const dupes = (list: string[]) => list.filter((x, i) => list.indexOf(x) !== i);
  for (const d of new Set(dupes(config.domains))) problems.push({ field: `domains[${config.domains.lastIndexOf(d)}]`, reason: `${d} is listed twice` });
  config.usernameRewrites.forEach((r, i) => {
    if (!config.domains.includes(r.to)) problems.push({ field: `usernameRewrites[${i}].to`, reason: `${r.to} is not one of this tenant's verified domains, so every rewritten username would be refused` });
    if (config.domains.includes(r.from)) problems.push({ field: `usernameRewrites[${i}].from`, reason: `${r.from} is itself a verified domain of this tenant; a rewrite from it would change usernames that are already valid` });
    // The first matching rule wins (rewriteDomain): a rule every address of which an earlier one takes never applies.
    const j = config.usernameRewrites.findIndex((e, k) => k < i && covers(e.from, r.from));
    if (j >= 0) warnings.push({ field: `usernameRewrites[${i}].from`, reason: `never applies: usernameRewrites[${j}] (from ${config.usernameRewrites[j]!.from}) comes first and matches every address this one does (the first matching rule wins)` });
  });
  for (const claim of claimsOf(config)) {
    const why = unclaimable(claim);
    if (why) problems.push({ field: fieldOfClaim(config, claim), reason: why });
  }
  if (!config.okta.scopes.includes('openid')) problems.push({ field: 'okta.scopes', reason: 'must include openid (OpenID Connect sign-in needs it)' });
  if (config.okta.autoProvisioning) {
    const missing = PROVISIONING_SCOPES.filter((s) => !config.okta.scopes.includes(s));
    if (missing.length) warnings.push({ field: 'okta.scopes', reason: `auto-provisioning usually needs ${missing.join(', ')} too; without them Okta may not send the profile claims` });
  }
  for (const name of new Set(dupes(config.customFields.map((f) => f.name)))) problems.push({ field: 'customFields', reason: `custom field ${name} is declared twice` });

  const roles = config.rqIds.securityRoles;
  const mappedRoles = Object.entries(config.roles.map);
  if (roles.length) {
    for (const [claim, role] of mappedRoles) {
      if (!roles.includes(role)) problems.push({ field: `roles.map[${JSON.stringify(claim)}]`, reason: `${role} is not one of this tenant's RQ security roles (${preview(roles)})` });
    }
    if (config.roles.defaultRole && !roles.includes(config.roles.defaultRole)) {
      problems.push({ field: 'roles.defaultRole', reason: `${config.roles.defaultRole} is not one of this tenant's RQ security roles (${preview(roles)})` });
    }
  } else if (mappedRoles.length || config.roles.defaultRole) {
    warnings.push({ field: 'rqIds.securityRoles', reason: 'no RQ security roles are loaded, so the role mapping cannot be checked against RQ' });
  }
  if (config.okta.autoProvisioning && mappedRoles.length === 0 && !config.roles.defaultRole) {
    warnings.push({ field: 'roles.map', reason: 'no security role is mapped and there is no default role: every auto-provisioned sign-in will be refused' });
  }
  // Training's own role mapping: the training RQ database may name roles differently, so production's list only warns.
  const trainingRoles = config.training?.roles;
  if (trainingRoles && roles.length) {
    for (const [claim, role] of Object.entries(trainingRoles.map)) {
      if (!roles.includes(role)) warnings.push({ field: `training.roles.map[${JSON.stringify(claim)}]`, reason: `${role} is not one of this tenant's production RQ security roles; make sure the training database has it` });
    }
  }
  if (config.training?.enabled && config.okta.autoProvisioning && trainingRoles && Object.keys(trainingRoles.map).length === 0 && !trainingRoles.defaultRole) {
    warnings.push({ field: 'training.roles', reason: 'the training role mapping is empty and has no default role: every auto-provisioned training sign-in will be refused (omit training.roles to use production\'s)' });
  }
  const types = config.rqIds.commissionTypes;
  const mappedTypes = Object.entries(config.commissionTypes);
  if (types.length) {
    for (const [claim, value] of mappedTypes) {
      if (!types.includes(value)) problems.push({ field: `commissionTypes[${JSON.stringify(claim)}]`, reason: `${value} is not one of this tenant's RQ commission types (${preview(types)})` });
    }
  } else if (mappedTypes.length) {
    warnings.push({ field: 'rqIds.commissionTypes', reason: 'no RQ commission types are loaded, so the commission type mapping cannot be checked against RQ' });
  }
  return problems;
}

function preview(list: string[]): string {
  return list.length <= 8 ? list.join(', ') : `${list.slice(0, 8).join(', ')} and ${list.length - 8} more`;
}

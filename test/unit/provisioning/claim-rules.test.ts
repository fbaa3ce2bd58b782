import { describe, expect, it } from '@jest/globals';
import { fieldProblems } from '../../../src/common/validation/zod.js';
import { createTenantSchema } from '../../../src/tenants/tenant-inputs.js';

const input = (config: Record<string, unknown>) => ({
  slug: 'kentel', name: 'Kentel', clientSecret: 's3cret',
  config: { okta: { issuer: 'https://kentel.okta.com/oauth2/aus1', clientId: '0oa1' }, domains: ['kentel.com'], ...config },
});
const problems = (config: Record<string, unknown>) => {
  const r = createTenantSchema.safeParse(input(config));
  return r.success ? [] : fieldProblems(r.error);
};

describe('per-tenant claim rules, as stored with the tenant', () => {
  it("defaults to the guide's claims and the refuse policy", () => {
    const c = createTenantSchema.parse(input({})).config;
    expect(c).toMatchObject({ claims: {}, usernameRewrites: [], roles: { map: {} }, commissionTypes: {}, customFields: [], unknownLocations: 'refuse' });
    expect(c.okta.scopes).toEqual(['openid', 'email', 'profile', 'phone', 'iqmetrix']);
  });

  it('accepts every rule the issue lists', () => {
    const c = createTenantSchema.parse(input({
      claims: { firstName: 'given_name', username: ['upn', 'email'] },
      usernameRewrites: [{ from: 'yvr.kentel.local', to: 'kentel.com' }],
      roles: { map: { 'Store Manager': 'RQ-StoreManager' }, defaultRole: 'RQ-Associate' },
      rqIds: { organizationalRoles: ['101'], commissionGroups: ['CG-1'] },
      commissionTypes: { Hourly: 'RQ-Hourly' },
      customFields: [{ name: 'Region' }, { name: 'Badge', maxLength: 5, values: { yes: 'Y' } }],
      unknownLocations: 'assign-known',
    })).config;
    expect(c.customFields).toEqual([{ name: 'Region', maxLength: 255 }, { name: 'Badge', maxLength: 5, values: { yes: 'Y' } }]);
    expect(c.claims).toEqual({ firstName: 'given_name', username: ['upn', 'email'] });
  });

  it('refuses, per field, rules that could never work (cross-field checks, e.g. rewrite targets, are ConfigValidator\'s)', () => {
    expect(problems({ roles: { map: { 'Store Manager': 'A', 'store manager': 'B' } } })).toEqual([
      { field: 'config.roles.map["store manager"]', reason: 'differs from "Store Manager" only in case; values are matched ignoring case' },
    ]);
    expect(problems({ customFields: [{ name: 'Region' }, { name: 'region' }] })).toEqual([
      { field: 'config.customFields[1].name', reason: 'declares "region" again (also custom field 0)' },
    ]);
    expect(problems({ claims: { nickname: 'x' } })[0]!.field).toBe('config.claims');
    expect(problems({ claims: { firstName: 'given name' } })).toEqual([
      { field: 'config.claims.firstName', reason: 'must be a claim name' },
    ]);
    expect(problems({ unknownLocations: 'ignore' })[0]!.field).toBe('config.unknownLocations');
    expect(problems({ rqIds: { organizationalRoles: ['1 0 1'] } })).toEqual([
      { field: 'config.rqIds.organizationalRoles[0]', reason: 'must be an RQ ID (letters, digits, - or _; at most 50)' },
    ]);
  });
});

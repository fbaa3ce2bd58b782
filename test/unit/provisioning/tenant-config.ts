import { type TenantConfig, tenantConfigSchema } from '../../../src/tenants/tenant-config.schema.js';

export const ISSUER = 'https://kentel.okta.com/oauth2/aus123';

/** A tenant configuration as stored (validated by the real schema), with the guide's Kentel example. */
export function tenantConfig(overrides: Record<string, unknown> = {}): TenantConfig {
  return tenantConfigSchema.parse({
    okta: {
      issuer: ISSUER,
      clientId: '0oa123',
      endpoints: { authorization: `${ISSUER}/v1/authorize`, token: `${ISSUER}/v1/token`, userinfo: `${ISSUER}/v1/userinfo`, jwks: `${ISSUER}/v1/keys` },
      clientSecretId: '00000000-0000-4000-8000-000000000000',
    },
    domains: ['kentel.com'],
    usernameRewrites: [{ from: 'yvr.kentel.local', to: 'kentel.com' }, { from: '*.corp.kentel.local', to: 'kentel.com' }],
    roles: { map: { 'Store Manager': 'RQ-StoreManager', Associate: 'RQ-Associate' } },
    rqIds: { organizationalRoles: ['101', '102'], commissionGroups: ['CG-1'] },
    commissionTypes: { Hourly: 'RQ-Hourly', Salary: 'RQ-Salary' },
    customFields: [{ name: 'Region', maxLength: 20 }, { name: 'Badge', values: { yes: 'Y', no: 'N' } }],
    ...overrides,
  });
}

/** Examples for the OpenAPI description (served at /docs): realistic values, never a real secret. */
export const exampleConfig = {
  okta: { issuer: 'https://kentel.okta.com/oauth2/ausahmkfuuR7FgsLi0h7', clientId: '0oa1b2c3d4e5f6g7h8i9', tokenEndpointAuthMethod: 'client_secret_basic', scopes: ['openid', 'email', 'profile', 'phone', 'iqmetrix'], autoProvisioning: true, passwordGrant: false },
  domains: ['kentel.com'],
  usernameRewrites: [{ from: 'yvr.kentel.local', to: 'kentel.com' }],
  claims: { firstName: 'given_name' },
  roles: { map: { 'Store Manager': 'RQ-StoreManager', Associate: 'RQ-Associate' } },
  rqIds: { organizationalRoles: ['101', '102'], commissionGroups: ['CG-1'], securityRoles: ['RQ-StoreManager', 'RQ-Associate'], commissionTypes: [] },
  commissionTypes: {},
  customFields: [{ name: 'BadgeNumber', maxLength: 20 }],
  unknownLocations: 'refuse',
};

const endpoints = {
  authorization: 'https://kentel.okta.com/oauth2/ausahmkfuuR7FgsLi0h7/v1/authorize',
  token: 'https://kentel.okta.com/oauth2/ausahmkfuuR7FgsLi0h7/v1/token',
  userinfo: 'https://kentel.okta.com/oauth2/ausahmkfuuR7FgsLi0h7/v1/userinfo',
  jwks: 'https://kentel.okta.com/oauth2/ausahmkfuuR7FgsLi0h7/v1/keys',
  scopesSupported: ['openid', 'email', 'profile', 'phone', 'iqmetrix', 'offline_access'],
  tokenEndpointAuthMethods: ['client_secret_basic', 'client_secret_post', 'client_secret_jwt', 'private_key_jwt', 'none'],
};

export const exampleTenant = {
  id: '0b6c3c1e-7d0f-4f7a-9a4e-2a1b3c4d5e6f', slug: 'kentel', name: 'Kentel', status: 'active', activeVersion: 3, latestVersion: 4, drafts: [4],
  config: { ...exampleConfig, okta: { ...exampleConfig.okta, endpoints, clientSecret: { set: true, id: '5b0e7c7e-8f9a-4c1d-9e2f-3a4b5c6d7e8f', updatedAt: '2026-11-20T09:30:00.000Z' } } },
  createdAt: '2026-11-01T10:00:00.000Z', updatedAt: '2026-11-20T09:30:00.000Z',
};

export const exampleVersion = {
  version: 4, status: 'draft', author: 'principal:3f0a8c1e-5b6d-4e7f-8a9b-0c1d2e3f4a5b', authorName: 'Jane Manager', createdAt: '2026-11-21T15:04:00.000Z',
  note: 'Map the Key Holder group', baseVersion: 3,
  check: { at: '2026-11-21T15:04:00.000Z', ok: true, problems: [], warnings: [] },
  activations: [],
  diff: {
    against: 3,
    changes: [
      { path: 'roles.map["Key Holder"]', change: 'added', to: 'RQ-Associate', text: 'roles.map["Key Holder"]: set to "RQ-Associate"' },
      { path: 'domains', change: 'changed', added: ['kentel.ca'], removed: [], text: 'domains: added "kentel.ca"' },
      { path: 'okta.clientSecret', change: 'changed', text: 'okta.clientSecret: replaced by another secret (never shown)' },
    ],
  },
};

export const exampleProblem = {
  type: '/problems/validation', title: 'Validation failed', status: 422, detail: 'The configuration was not saved.',
  errors: [{ field: 'config.okta.issuer', reason: 'the configured issuer "https://kentel.okta.com/oauth2/ausahmkfuuR7FgsLi0h7/" does not exactly match the issuer "https://kentel.okta.com/oauth2/ausahmkfuuR7FgsLi0h7" in its discovery document: remove the trailing slash' }],
  instance: '/admin/tenants', correlationId: '6f1d2c3b-4a5e-4f60-8a7b-9c0d1e2f3a4b',
};

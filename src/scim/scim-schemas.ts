/** SCIM 2.0 schema URNs (RFC 7643) and this service's discovery documents (RFC 7644 §4). */
export const CORE_USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const ENTERPRISE_USER = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
/**
 * The iQmetrix extension: the guide's claims, under their claim names, for a customer's Okta to push exactly
 * what it would put in the ID token or UserInfo (security_group_name, assigned_entity_client_entity_ids,
 * attribute_*, attribute_rqCustomField_{name}), plus read-only results (the mapped role and locations).
 * Not under urn:ietf (that namespace is IANA's).
 */
export const IQMETRIX_USER = 'urn:iqmetrix:params:scim:schemas:extension:rq:2.0:User';
export const LIST_RESPONSE = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
export const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
export const SCIM_CONTENT_TYPE = 'application/scim+json; charset=utf-8';

/** The guide's claims accepted in the iQmetrix extension (custom fields arrive as attribute_rqCustomField_{name}). */
export const extensionClaims = [
  'security_group_name', 'assigned_entity_client_entity_ids', 'attribute_EmailDisplayName', 'phone_number', 'mobile_number',
  'attribute_OrganizationalRoleID', 'attribute_SupervisorUPN', 'attribute_SpecialIdentifier', 'attribute_CommissionGroupID', 'attribute_CommissionType',
] as const;

export const MAX_RESULTS = 200;

const attr = (name: string, description: string, extra: Record<string, unknown> = {}) => ({
  name, type: 'string', multiValued: false, description, required: false, caseExact: false, mutability: 'readWrite', returned: 'default', uniqueness: 'none', ...extra,
});

export function serviceProviderConfig(base: string) {
  return {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'],
    patch: { supported: true },
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
    filter: { supported: true, maxResults: MAX_RESULTS },
    changePassword: { supported: false },
    sort: { supported: false },
    etag: { supported: false },
    authenticationSchemes: [
      { type: 'oauthbearertoken', name: 'OAuth Bearer Token', description: 'A per-tenant SCIM token issued by the tenant\'s account manager (Authorization: Bearer).', specUri: 'https://www.rfc-editor.org/rfc/rfc6750', primary: true },
    ],
    meta: { resourceType: 'ServiceProviderConfig', location: `${base}/ServiceProviderConfig` },
  };
}

export function userResourceType(base: string) {
  return {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:ResourceType'],
    id: 'User',
    name: 'User',
    endpoint: '/Users',
    description: 'An iQmetrix user of this tenant, provisioned through the same claim rules as sign-in.',
    schema: CORE_USER,
    schemaExtensions: [{ schema: ENTERPRISE_USER, required: false }, { schema: IQMETRIX_USER, required: false }],
    meta: { resourceType: 'ResourceType', location: `${base}/ResourceTypes/User` },
  };
}

export function schemaDocuments(base: string) {
  const meta = (id: string) => ({ resourceType: 'Schema', location: `${base}/Schemas/${id}` });
  return [
    {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:Schema'],
      id: CORE_USER, name: 'User', description: 'User account (the attributes this service reads; others are accepted and ignored).',
      attributes: [
        attr('userName', 'Okta username; the tenant\'s username domain rewrite applies, and the domain must be verified for the tenant.', { required: true, uniqueness: 'server' }),
        attr('externalId', 'The Okta user id (the sub of the tenant\'s ID tokens): binds this user to the same person signing in. Required on create; immutable.', { caseExact: true, mutability: 'immutable' }),
        { ...attr('name', 'Name.'), type: 'complex', subAttributes: [attr('givenName', 'First name.'), attr('familyName', 'Last name.'), attr('formatted', 'Full name.', { mutability: 'readOnly' })] },
        { ...attr('active', 'false disables the user, revokes their tokens and ends their sessions.'), type: 'boolean' },
        { ...attr('emails', 'The primary (or first) value is the user\'s email.'), type: 'complex', multiValued: true, subAttributes: [attr('value', 'Email address.'), attr('type', 'work, home, other.'), { ...attr('primary', 'Primary address.'), type: 'boolean' }] },
        { ...attr('phoneNumbers', 'type "home" is the home phone; type "mobile" the cell phone.'), type: 'complex', multiValued: true, subAttributes: [attr('value', 'Phone number.'), attr('type', 'home or mobile.')] },
      ],
      meta: meta(CORE_USER),
    },
    {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:Schema'],
      id: ENTERPRISE_USER, name: 'EnterpriseUser', description: 'Enterprise User extension (RFC 7643 §4.3).',
      attributes: [attr('employeeNumber', 'The ID number (SpecialIdentifier) of the user.')],
      meta: meta(ENTERPRISE_USER),
    },
    {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:Schema'],
      id: IQMETRIX_USER, name: 'iQmetrixUser', description: 'The claims of the iQmetrix integration guide, mapped by the tenant\'s claim rules exactly as at sign-in; plus the results.',
      attributes: [
        ...extensionClaims.map((c) => attr(c, `The ${c} claim of the integration guide.`, { returned: 'never', mutability: 'writeOnly', multiValued: c === 'security_group_name' || c === 'assigned_entity_client_entity_ids' })),
        attr('attribute_rqCustomField_{name}', 'A custom field the tenant declares (one attribute per field).', { returned: 'never', mutability: 'writeOnly' }),
        attr('securityRole', 'The RQ security role the tenant\'s role mapping gave.', { mutability: 'readOnly' }),
        attr('locations', 'The External Node Identifiers the user is assigned to.', { mutability: 'readOnly', multiValued: true }),
      ],
      meta: meta(IQMETRIX_USER),
    },
  ];
}

export function listResponse<T>(resources: T[], totalResults: number, startIndex: number) {
  return { schemas: [LIST_RESPONSE], totalResults, startIndex, itemsPerPage: resources.length, Resources: resources };
}

/** The user fields the guide's table provisions, by API name, and the claim each reads by default. */
export const fieldDefaults = {
  username: ['userName', 'preferred_username', 'email'],
  firstName: ['name'],
  lastName: ['family_name'],
  securityRole: ['security_group_name'],
  locations: ['assigned_entity_client_entity_ids'],
  email: ['email'],
  emailDisplayName: ['attribute_EmailDisplayName'],
  homePhone: ['phone_number'],
  cellPhone: ['mobile_number'],
  organizationalRoleId: ['attribute_OrganizationalRoleID'],
  supervisor: ['attribute_SupervisorUPN'],
  idNumber: ['attribute_SpecialIdentifier'],
  commissionGroupId: ['attribute_CommissionGroupID'],
  commissionType: ['attribute_CommissionType'],
} as const satisfies Record<string, readonly string[]>;

export type FieldName = keyof typeof fieldDefaults;
export const fieldNames = Object.keys(fieldDefaults) as FieldName[];

/** Custom fields arrive as attribute_rqCustomField_{name}. */
export const customFieldPrefix = 'attribute_rqCustomField_';

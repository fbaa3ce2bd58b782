import { describe, expect, it } from '@jest/globals';
import { fieldNames } from '../../../src/provisioning/fields/field-names.js';
import { fieldTable, setRows } from '../../../src/provisioning/fields/field-table.js';
import { type ClaimSet, mapClaims } from '../../../src/provisioning/mapper.js';
import { ISSUER, tenantConfig } from './tenant-config.js';

const SUB = '00uALICE0001';
const base = {
  sub: SUB,
  userName: 'alice@kentel.com',
  name: 'Alice',
  family_name: 'Archer',
  security_group_name: 'Store Manager',
  assigned_entity_client_entity_ids: ['LOC-1'],
};
/** Okta's code-flow ID token is thin: the profile comes from UserInfo. */
const signIn = (userinfo: Record<string, unknown>, idToken: Record<string, unknown> = { sub: SUB }): ClaimSet => ({ idToken, userinfo: { ...base, ...userinfo } });
const map = (userinfo: Record<string, unknown>, config = tenantConfig(), idToken?: Record<string, unknown>) => mapClaims(signIn(userinfo, idToken), config, ISSUER);
const problemsOf = (plan: ReturnType<typeof map>, field: string) => plan.problems.filter((p) => p.field === field).map((p) => p.reason);
const warningsOf = (plan: ReturnType<typeof map>, field: string) => plan.warnings.filter((p) => p.field === field).map((p) => p.reason);

describe('the field table', () => {
  it("has the guide's fifteen rows: thirteen scalar fields, locations and custom fields", () => {
    expect(fieldTable.map((r) => r.field)).toEqual(fieldNames.filter((f) => f !== 'locations'));
    expect(fieldTable).toHaveLength(13);
    expect(setRows.map((r) => r.field)).toEqual(['locations', 'custom.{name}']);
    expect(new Set(fieldTable.map((r) => r.column)).size).toBe(13);
  });
});

describe('mapClaims, row by row', () => {
  it('maps a full claim set, noting where each value came from', () => {
    const plan = map({
      email: 'alice@kentel.com', attribute_EmailDisplayName: 'Alice A.', phone_number: '+1 604 555 0100', mobile_number: '604-555-0101 x7',
      attribute_OrganizationalRoleID: '101', attribute_SupervisorUPN: 'bob@yvr.kentel.local', attribute_SpecialIdentifier: 'EMP-0042',
      attribute_CommissionGroupID: 'CG-1', attribute_CommissionType: 'hourly', attribute_rqCustomField_Region: 'West', attribute_rqCustomField_Badge: 'YES',
    }, tenantConfig(), { sub: SUB, email: 'old@kentel.com', name: 'From ID token' });
    expect(plan.problems).toEqual([]);
    expect(plan.warnings).toEqual([]);
    expect(plan.username).toBe('alice@kentel.com');
    expect(plan.usernameKey).toBe('alice@kentel.com');
    expect(plan.fields).toEqual({
      username: 'alice@kentel.com', firstName: 'Alice', lastName: 'Archer', securityRole: 'RQ-StoreManager', email: 'alice@kentel.com',
      emailDisplayName: 'Alice A.', homePhone: '+1 604 555 0100', cellPhone: '604-555-0101;ext=7', organizationalRoleId: '101',
      supervisor: 'bob@kentel.com', idNumber: 'EMP-0042', commissionGroupId: 'CG-1', commissionType: 'RQ-Hourly',
    });
    expect(plan.customFields).toEqual({ Region: 'West', Badge: 'Y' });
    expect(plan.locations).toEqual({ present: true, ids: ['LOC-1'] });
    expect(plan.sources.firstName).toEqual('userinfo');
    expect(plan.sources['custom.Region']).toEqual('userinfo');
  });

  it('takes a claim from the ID token when UserInfo lacks it, and UserInfo when both have it', () => {
    const plan = mapClaims({ idToken: { sub: SUB, email: 'id@kentel.com', family_name: 'IdToken' }, userinfo: { ...base, family_name: 'UserInfo' } }, tenantConfig(), ISSUER);
    expect(plan.fields.email).toBe('id@kentel.com');
    expect(plan.sources.email).toEqual('id_token');
    expect(plan.fields.lastName).toBe('UserInfo');
    expect(plan.sources.lastName).toEqual('userinfo');
  });

  it('refuses a UserInfo about another subject, and uses none of its claims', () => {
    const plan = mapClaims({ idToken: { sub: '00uAAAA', preferred_username: 'a@kentel.com' }, userinfo: { ...base, sub: '00uBBBB' } }, tenantConfig(), ISSUER);
    expect(problemsOf(plan, 'sub')).toEqual(['UserInfo is about another subject ("00uBBBB") than the ID token ("00uAAAA"); its claims were not used']);
    expect(plan.fields.username).toBe('a@kentel.com');
    expect(plan.sources.username).toEqual('id_token');
    expect(plan.fields.firstName).toBeUndefined();
  });

  it('refuses an ID token without a usable subject', () => {
    expect(problemsOf(map({}, tenantConfig(), { sub: '' }), 'sub')[0]).toBe(`the ID token's subject (sub) "" must be 1 to 255 printable ASCII characters`);
    expect(problemsOf(mapClaims({ idToken: {} }, tenantConfig(), ISSUER), 'sub')).toEqual([`the ID token's subject (sub) is missing; it must be 1 to 255 printable ASCII characters`]);
    expect(problemsOf(map({}, tenantConfig(), { sub: 'a\u0000b' }), 'sub')[0]).toBe(`the ID token's subject (sub) "a\\u{0}b" must be 1 to 255 printable ASCII characters`);
  });

  describe('username', () => {
    it('falls back from userName to preferred_username to email', () => {
      expect(map({ userName: undefined }).fields.username).toBeUndefined();
      const plan = mapClaims({ idToken: { sub: SUB }, userinfo: { sub: SUB, preferred_username: '', email: 'alice@yvr.kentel.local', security_group_name: 'Associate' } }, tenantConfig(), ISSUER);
      expect(plan.fields.username).toBe('alice@kentel.com');
      expect(plan.sources.username).toEqual('userinfo');
    });
    it('is required', () => {
      const plan = mapClaims({ idToken: { sub: SUB }, userinfo: { sub: SUB } }, tenantConfig(), ISSUER);
      expect(problemsOf(plan, 'username')).toEqual(['none of the claims userName, preferred_username, email was sent']);
      expect(problemsOf(mapClaims({ idToken: { sub: SUB }, userinfo: { sub: SUB, userName: '' } }, tenantConfig(), ISSUER), 'username')).toEqual(['claim userName is empty']);
    });
    it('follows a per-tenant claim override', () => {
      const plan = map({ upn: 'al@kentel.com' }, tenantConfig({ claims: { username: 'upn' } }));
      expect(plan.fields.username).toBe('al@kentel.com');
    });
    it('gives a per-field reason for control characters', () => {
      expect(problemsOf(map({ userName: 'ali\u0007ce@kentel.com' }), 'username')).toEqual([
        'claim userName contains a control character (U+0007) at position 4; a username has no spaces, control or invisible characters',
      ]);
    });
  });

  describe('names', () => {
    it('reads first name from name by default, or from given_name when the tenant says so', () => {
      expect(map({ name: 'Alice Archer', given_name: 'Alice' }).fields.firstName).toBe('Alice Archer');
      const plan = map({ name: 'Alice Archer', given_name: 'Alice' }, tenantConfig({ claims: { firstName: 'given_name' } }));
      expect(plan.fields.firstName).toBe('Alice');
      expect(plan.sources.firstName).toEqual('userinfo');
    });
    it('tries several claims in order when the override lists them', () => {
      const config = tenantConfig({ claims: { firstName: ['given_name', 'name'] } });
      expect(map({ name: 'Alice Archer' }, config).fields.firstName).toBe('Alice Archer');
    });
    it('gives a clear reason for a 10,000-character claim', () => {
      expect(problemsOf(map({ family_name: 'x'.repeat(10_000) }), 'lastName')).toEqual(['claim family_name is 10000 characters long; at most 100 are allowed']);
    });
    it('leaves an absent claim alone (reported) and clears an empty one', () => {
      const absent = mapClaims({ idToken: { sub: SUB }, userinfo: { sub: SUB, userName: 'alice@kentel.com', security_group_name: 'Associate', name: '' } }, tenantConfig(), ISSUER);
      expect('lastName' in absent.fields).toBe(false);
      expect(warningsOf(absent, 'lastName')).toEqual(['claim family_name was not sent; the field was left unchanged']);
      expect(absent.fields.firstName).toBeNull();
      expect(absent.problems).toEqual([]);
    });
  });

  describe('security role', () => {
    it('maps exactly, then ignoring case', () => {
      expect(map({ security_group_name: 'store manager' }).fields.securityRole).toBe('RQ-StoreManager');
    });
    it('refuses an unmapped value without a default role, with the reason', () => {
      const plan = map({ security_group_name: 'Regional Director' });
      expect(problemsOf(plan, 'securityRole')).toEqual(['claim security_group_name "Regional Director" is not mapped to a security role for this tenant, and it has no default role']);
    });
    it('uses the default role for an unmapped value, and says so', () => {
      const plan = map({ security_group_name: 'Regional Director' }, tenantConfig({ roles: { map: { Associate: 'RQ-Associate' }, defaultRole: 'RQ-Basic' } }));
      expect(plan.fields.securityRole).toBe('RQ-Basic');
      expect(warningsOf(plan, 'securityRole')).toEqual([`claim security_group_name: "Regional Director" is not mapped to a security role; the tenant's default role applies`]);
    });
    it('accepts several groups that map to one role, and refuses several roles', () => {
      const plan = map({ security_group_name: ['Everyone', 'Store Manager'] });
      expect(plan.fields.securityRole).toBe('RQ-StoreManager');
      expect(warningsOf(plan, 'securityRole')).toEqual(['claim security_group_name: "Everyone" is not mapped to a security role; ignored']);
      expect(problemsOf(map({ security_group_name: 'Store Manager, Associate' }), 'securityRole')).toEqual([
        'claim security_group_name maps to several security roles (RQ-Associate, RQ-StoreManager); exactly one is required',
      ]);
    });
    it('treats an empty claim as no group: the default role, or refused', () => {
      expect(problemsOf(map({ security_group_name: [] }), 'securityRole')).toEqual(['claim security_group_name is empty and this tenant has no default']);
      const plan = map({ security_group_name: '' }, tenantConfig({ roles: { map: {}, defaultRole: 'RQ-Basic' } }));
      expect(plan.fields.securityRole).toBe('RQ-Basic');
    });
    it('when absent: keeps the stored role; a new user gets the default role, or is refused', () => {
      const plan = map({ security_group_name: undefined });
      expect('securityRole' in plan.fields).toBe(false);
      expect(plan.problems).toEqual([]);
      expect(plan.problemsIfNew).toEqual([{ field: 'securityRole', reason: 'claim security_group_name was not sent, this tenant has no default, and a new user needs one' }]);
      const withDefault = map({ security_group_name: undefined }, tenantConfig({ roles: { map: {}, defaultRole: 'RQ-Basic' } }));
      expect(withDefault.onCreate).toEqual({ securityRole: 'RQ-Basic' });
      expect(withDefault.problemsIfNew).toEqual([]);
    });
    it('gives a clear reason for a 10,000-character group name', () => {
      expect(problemsOf(map({ security_group_name: 'x'.repeat(10_000) }), 'securityRole')).toEqual([
        `claim security_group_name value "${'x'.repeat(40)}…" (10000 characters) is 10000 characters long; at most 200 are allowed`,
      ]);
    });
  });

  describe('locations', () => {
    it.each([
      ['LOC-1', ['LOC-1']],
      [['LOC-1', 'LOC-2'], ['LOC-1', 'LOC-2']],
      ['LOC-1, LOC-2', ['LOC-1', 'LOC-2']],
      ['["LOC-1"]', ['LOC-1']],
      [[], []],
    ])('%j', (value, ids) => {
      expect(map({ assigned_entity_client_entity_ids: value }).locations).toEqual({ present: true, ids });
    });
    it('keeps assignments when absent, and reports it', () => {
      const plan = map({ assigned_entity_client_entity_ids: undefined });
      expect(plan.locations).toEqual({ present: false });
      expect(warningsOf(plan, 'locations')).toEqual(['claim assigned_entity_client_entity_ids was not sent; location assignments were left unchanged']);
    });
    it('refuses identifiers with control characters, too long, or too many', () => {
      expect(problemsOf(map({ assigned_entity_client_entity_ids: ['LOC\u00001'] }), 'locations')).toEqual([
        'claim assigned_entity_client_entity_ids: identifier "LOC\\u{0}1" contains a control character (U+0000) at position 4',
      ]);
      expect(problemsOf(map({ assigned_entity_client_entity_ids: 'L'.repeat(101) }), 'locations')[0]).toMatch(/is 101 characters long; at most 100 are allowed$/);
      expect(problemsOf(map({ assigned_entity_client_entity_ids: Array.from({ length: 501 }, (_, i) => `L${i}`) }), 'locations')).toEqual([
        'claim assigned_entity_client_entity_ids has more than 500 entries',
      ]);
    });
  });

  it.each([
    ['email', 'email', 'not-an-email', 'claim email "not-an-email" is not an email address like name@example.com'],
    ['emailDisplayName', 'attribute_EmailDisplayName', 'x'.repeat(257), 'claim attribute_EmailDisplayName is 257 characters long; at most 256 are allowed'],
    ['homePhone', 'phone_number', 'none', 'claim phone_number "none" is not a phone number (3 to 15 digits, + ( ) - . / and spaces, an optional extension such as ;ext=123)'],
    ['cellPhone', 'mobile_number', '12', 'claim mobile_number "12" is not a phone number (3 to 15 digits, + ( ) - . / and spaces, an optional extension such as ;ext=123)'],
    ['organizationalRoleId', 'attribute_OrganizationalRoleID', '999', `claim attribute_OrganizationalRoleID "999" is not one of this tenant's known organizational role IDs`],
    ['organizationalRoleId', 'attribute_OrganizationalRoleID', 'not an id', 'claim attribute_OrganizationalRoleID "not an id" is not an RQ ID (letters, digits, - or _; at most 50)'],
    ['supervisor', 'attribute_SupervisorUPN', 'bob@other.com', `claim attribute_SupervisorUPN the domain "other.com" is not one of this tenant's verified domains (kentel.com)`],
    ['idNumber', 'attribute_SpecialIdentifier', '1'.repeat(51), 'claim attribute_SpecialIdentifier is 51 characters long; at most 50 are allowed'],
    ['commissionGroupId', 'attribute_CommissionGroupID', 'CG-9', `claim attribute_CommissionGroupID "CG-9" is not one of this tenant's known commission group IDs`],
    ['commissionType', 'attribute_CommissionType', 'Piecework', 'claim attribute_CommissionType "Piecework" is not mapped to a commission type for this tenant'],
  ])('%s: a value that breaks its rule is refused with a per-field reason', (field, claim, value, reason) => {
    const plan = map({ [claim]: value });
    expect(plan.problems).toEqual([{ field, reason }]);
  });

  it('cannot check RQ IDs a tenant has not configured, and says so', () => {
    const plan = map({ attribute_CommissionGroupID: 'CG-1' }, tenantConfig({ rqIds: { organizationalRoles: [], commissionGroups: [] } }));
    expect(problemsOf(plan, 'commissionGroupId')).toEqual(['claim attribute_CommissionGroupID "CG-1" cannot be checked: no commission group IDs are configured for this tenant']);
  });

  it('reports every absent optional field, and refuses nothing for it', () => {
    const plan = map({});
    expect(plan.problems).toEqual([]);
    expect(plan.warnings.map((w) => w.field)).toEqual([
      'email', 'emailDisplayName', 'homePhone', 'cellPhone', 'organizationalRoleId', 'supervisor', 'idNumber', 'commissionGroupId', 'commissionType', 'custom.Region', 'custom.Badge',
    ]);
  });

  it('refuses a claim of the wrong shape', () => {
    expect(map({ email: { value: 'a@kentel.com' } }).problems).toEqual([{ field: 'email', reason: 'claim email must be a string, got an object' }]);
    expect(map({ family_name: ['A', 'B'] }).problems).toEqual([{ field: 'lastName', reason: 'claim family_name must be a single value, got a list of 2' }]);
  });

  describe('custom fields', () => {
    it('checks declared ones against their bound and value map, and clears on empty', () => {
      expect(map({ attribute_rqCustomField_Region: 'x'.repeat(21) }).problems).toEqual([
        { field: 'custom.Region', reason: 'claim attribute_rqCustomField_Region is 21 characters long; at most 20 are allowed' },
      ]);
      expect(map({ attribute_rqCustomField_Badge: 'maybe' }).problems).toEqual([
        { field: 'custom.Badge', reason: 'claim attribute_rqCustomField_Badge "maybe" is not mapped to a value of this custom field' },
      ]);
      expect(map({ attribute_rqCustomField_Region: '' }).customFields).toEqual({ Region: null });
    });
    it('reports an undeclared one with a per-field reason and ignores its value', () => {
      const plan = map({ attribute_rqCustomField_Undeclared: 'anything' });
      expect(plan.problems).toEqual([]);
      expect(plan.customFields).toEqual({});
      expect(warningsOf(plan, 'custom.Undeclared')).toEqual([
        `claim "attribute_rqCustomField_Undeclared" is not a custom field declared for this tenant; its value was ignored (declare it in the tenant's customFields to provision it)`,
      ]);
    });
    it('bounds what undeclared claims can add to an audit', () => {
      const many = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`attribute_rqCustomField_X${i}`, 'v']));
      const plan = map(many);
      expect(plan.warnings.filter((w) => w.field.startsWith('custom.X'))).toHaveLength(20);
      expect(warningsOf(plan, 'custom')).toEqual(['10 more undeclared custom field claims were ignored']);
    });
  });
});

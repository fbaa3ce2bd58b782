import { describe, expect, it } from '@jest/globals';
import { emailDomain } from '../../src/auth/home-realm.js';
import { classifyRefusal } from '../../src/auth/upstream-errors.js';
import { isConnectionFailure, TrainingDatabaseUnavailable } from '../../src/database/directory-databases.js';
import { managedDatabaseName } from '../../src/database/managed-database-name.js';
import { databaseTarget, trainingDatabaseUrlSchema } from '../../src/tenants/tenant-inputs.js';
import { tenantConfigSchema, type TenantConfig } from '../../src/tenants/tenant-config.schema.js';
import { rulesFor } from '../../src/training/training-config.js';
import { PASSWORD_GRANT_ERRORS } from '../../tools/okta-stand-in/index.js';

describe('Okta refusals of a password grant', () => {
  it.each([
    ['invalid_grant', PASSWORD_GRANT_ERRORS.invalid, 'invalid-credentials'],
    ['invalid_grant', PASSWORD_GRANT_ERRORS.locked, 'locked'],
    ['invalid_grant', PASSWORD_GRANT_ERRORS.mfa, 'mfa-required'],
    ['access_denied', 'Policy evaluation failed for this request, please check the policy configurations.', 'policy-denied'],
    ['unauthorized_client', 'The client is not authorized to use the provided grant type.', 'grant-not-allowed'],
    ['unsupported_grant_type', undefined, 'grant-not-allowed'],
    ['invalid_client', 'Invalid value for client_id parameter.', 'client-auth'],
    ['invalid_scope', PASSWORD_GRANT_ERRORS.scope, 'scope'],
    ['server_error', 'x', undefined],
    [undefined, undefined, undefined],
  ] as const)('%s "%s" is %s', (code, description, kind) => {
    expect(classifyRefusal(code, description)).toBe(kind);
  });
});

describe('home-realm email domains', () => {
  it.each([
    ['Alice@Kentel.COM', 'kentel.com'],
    [' john.smith@yvr.kentel.local ', 'yvr.kentel.local'],
    ['a@b@kentel.com', 'kentel.com'],
    ['alice', undefined],
    ['alice@', undefined],
    ['@kentel.com', undefined],
    ['al ice@kentel.com', undefined],
    ['alice@kentel', undefined],
    ['alice@-bad-.com', undefined],
  ])('%s → %s', (input, domain) => {
    expect(emailDomain(input)).toBe(domain);
  });
});

describe('training databases', () => {
  it('names managed databases after the production database and the tenant, within 63 bytes', () => {
    expect(managedDatabaseName('iqsso', '0b5f0a6e-3c1d-4e7a-9b2f-5d6c7e8f9a0b')).toBe('iqsso_trn_0b5f0a6e3c1d4e7a9b2f5d6c7e8f9a0b');
    const long = managedDatabaseName('a-very-long-production-database-name-indeed', '0b5f0a6e-3c1d-4e7a-9b2f-5d6c7e8f9a0b');
    expect(long).toMatch(/^iqsso_[0-9a-f]{8}_trn_0b5f0a6e3c1d4e7a9b2f5d6c7e8f9a0b$/);
    expect(long.length).toBeLessThanOrEqual(63);
  });

  it('shows where a connection URL points, never its credentials', () => {
    expect(databaseTarget('postgres://rq:s3cret@db.example.com/rq_training?sslmode=require')).toBe('db.example.com:5432/rq_training');
    expect(trainingDatabaseUrlSchema.safeParse('postgresql://u:p@h:6543/d').success).toBe(true);
    expect(trainingDatabaseUrlSchema.safeParse('https://h/d').success).toBe(false);
    expect(trainingDatabaseUrlSchema.safeParse('postgres://h').success).toBe(false);
  });

  it('tells a database that is not there from a wrong query', () => {
    expect(isConnectionFailure(new TrainingDatabaseUnavailable())).toBe(true);
    expect(isConnectionFailure(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isConnectionFailure({ code: '3D000', message: 'database "x" does not exist' })).toBe(true);
    expect(isConnectionFailure({ code: '28P01', message: 'password authentication failed' })).toBe(true);
    expect(isConnectionFailure({ driverError: { code: '57P01' } })).toBe(true);
    expect(isConnectionFailure({ code: '23505', constraint: 'users_username_key' })).toBe(false);
    expect(isConnectionFailure({ code: '42P01', message: 'relation "users" does not exist' })).toBe(false);
  });

  it('applies training overrides to provisioning rules, and only to training', () => {
    const config = tenantConfigSchema.parse({
      okta: { issuer: 'https://kentel.okta.com/oauth2/aus1', clientId: '0oa1', endpoints: { authorization: 'https://x/a', token: 'https://x/t', userinfo: 'https://x/u', jwks: 'https://x/k' }, clientSecretId: '0b5f0a6e-3c1d-4e7a-9b2f-5d6c7e8f9a0b' },
      domains: ['kentel.com'],
      roles: { map: { 'Store Manager': 'RQ-StoreManager' } },
      training: { enabled: true, roles: { map: { 'Store Manager': 'RQ-Trainee' } }, locations: { map: { 'LOC-1': 'TRN-1' }, unknownLocations: 'assign-known' } },
    }) as TenantConfig;
    expect(rulesFor(config, 'production')).toEqual({ config });
    const training = rulesFor(config, 'training');
    expect(training.config.roles.map).toEqual({ 'Store Manager': 'RQ-Trainee' });
    expect(training.config.unknownLocations).toBe('assign-known');
    expect(training.locationMap).toEqual({ 'LOC-1': 'TRN-1' });
    expect(training.config.domains).toEqual(['kentel.com']);
    const { training: _none, ...before } = config; // a version saved before training existed
    expect(rulesFor(before as TenantConfig, 'training')).toEqual({ config: before });
  });
});

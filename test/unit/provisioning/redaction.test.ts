import { describe, expect, it } from '@jest/globals';
import { mapClaims } from '../../../src/provisioning/mapper.js';
import { auditClaims, jsonbSafe, redactClaims } from '../../../src/provisioning/redaction.js';
import { ISSUER, tenantConfig } from './tenant-config.js';

describe('audit redaction', () => {
  it('drops protocol values, redacts secret-looking claims, masks sensitive fields, bounds sizes', () => {
    const out = redactClaims({
      sub: '00u1', nonce: 'n', at_hash: 'h', jti: 'j', sid: 's', c_hash: 'c', s_hash: 'x',
      refresh_token_hint: 'rt', client_secret: 'cs', my_password: 'p', attribute_SpecialIdentifier: '123-456-789',
      long: 'x'.repeat(250), many: Array.from({ length: 60 }, (_, i) => i), deep: { a: { b: { c: { d: 1 } } } },
    }, new Set(['attribute_SpecialIdentifier']));
    expect(out).toEqual({
      sub: '00u1', refresh_token_hint: '[redacted]', client_secret: '[redacted]', my_password: '[redacted]',
      attribute_SpecialIdentifier: '•••89', long: `${'x'.repeat(200)}…(250 characters)`, many: Array.from({ length: 50 }, (_, i) => i),
      deep: { a: { b: { c: '[object]' } } },
    });
  });

  it('makes values storable in jsonb (no NUL, no lone surrogate)', () => {
    expect(jsonbSafe({ 'k\u0000': ['a\u0000b', 'c\uD800'] })).toEqual({ 'k\uFFFD': ['a\uFFFDb', 'c\uFFFD'] });
  });

  it('keeps the two sources apart, and only the sub of a UserInfo about someone else', () => {
    const config = tenantConfig({ claims: { idNumber: 'employeeNumber' } });
    const same = { idToken: { sub: 'A', nonce: 'n' }, userinfo: { sub: 'A', employeeNumber: '9876543', email: 'a@kentel.com' } };
    expect(auditClaims(same, mapClaims(same, config, ISSUER), config)).toEqual({ idToken: { sub: 'A' }, userinfo: { sub: 'A', employeeNumber: '•••43', email: 'a@kentel.com' } });
    const other = { idToken: { sub: 'A' }, userinfo: { sub: 'B', email: 'b@kentel.com' } };
    expect(auditClaims(other, mapClaims(other, config, ISSUER), config)).toEqual({ idToken: { sub: 'A' }, userinfo: { sub: 'B' } });
  });
});

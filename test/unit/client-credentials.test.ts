import { describe, expect, it } from '@jest/globals';
import { basicCredentials } from '../../src/auth/okta-oauth-client.js';

/** RFC 6749 §2.3.1: client id and secret are application/x-www-form-urlencoded before Base64. */
function decodeBasic(header: string): [string, string] {
  const raw = Buffer.from(header.replace(/^Basic /, ''), 'base64').toString('utf8');
  const i = raw.indexOf(':');
  const form = (v: string) => decodeURIComponent(v.replace(/\+/g, '%20'));
  return [form(raw.slice(0, i)), form(raw.slice(i + 1))];
}

describe('client_secret_basic credentials', () => {
  it('form-encodes before Base64, so +, %, : and spaces survive', () => {
    const header = basicCredentials('0oa:client id', 'a+b%c:d e');
    expect(Buffer.from(header.slice(6), 'base64').toString()).toBe('0oa%3Aclient+id:a%2Bb%25c%3Ad+e');
    expect(decodeBasic(header)).toEqual(['0oa:client id', 'a+b%c:d e']);
  });

  it('leaves the guide example untouched (plain alphanumerics)', () => {
    // The guide's example: m07ALslFMJMGcISGb1sf : r7OjqcxNVTMOx6vcV2Jgl9Tl6D2PsAaZ0MzLD2vO
    expect(basicCredentials('m07ALslFMJMGcISGb1sf', 'r7OjqcxNVTMOx6vcV2Jgl9Tl6D2PsAaZ0MzLD2vO')).toBe(
      'Basic bTA3QUxzbEZNSk1HY0lTR2Ixc2Y6cjdPanFjeE5WVE1PeDZ2Y1YySmdsOVRsNkQyUHNBYVowTXpMRDJ2Tw==',
    );
  });

  it('encodes every character outside the form-urlencoded unreserved set', () => {
    const all = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).join('');
    const [, secret] = decodeBasic(basicCredentials('c', all));
    expect(secret).toBe(all);
    const encoded = Buffer.from(basicCredentials('c', all).slice(6), 'base64').toString();
    expect(encoded.slice(2)).toMatch(/^[A-Za-z0-9*\-._+%]+$/);
  });
});

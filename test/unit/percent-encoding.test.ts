import { describe, expect, it } from '@jest/globals';
import { malformedParameter } from '../../src/common/web/percent-encoding.js';

/** Which query or form parameter does not decode to UTF-8 text (the input guard and the authorization endpoint refuse it). */
describe('malformedParameter', () => {
  it('names the first parameter whose value or name is not valid percent-encoded UTF-8', () => {
    expect(malformedParameter('a=1&state=%ED%A0%80&b=%ff')).toBe('state'); // an encoded surrogate
    expect(malformedParameter('nonce=%C3')).toBe('nonce'); // a lead byte alone
    expect(malformedParameter('x=50%zz')).toBe('x'); // a % without two hex digits
    expect(malformedParameter('x=%E')).toBe('x');
    expect(malformedParameter('%73tate=%FF')).toBe('state'); // named as decoded
    expect(malformedParameter('ab%FFcd=1')).toBe('ab\uFFFDcd'); // a name that does not decode, as far as it reads
    expect(malformedParameter('=%FF')).toBe('');
  });

  it('takes UTF-8 text, plus-encoded spaces and parameters without a value', () => {
    for (const raw of ['', 'a=1&b=2', 'state=caf%C3%A9%F0%9F%98%80', 'q=a+b%2Bc', 'flag&x=%25zz', 'a==%3D']) expect([raw, malformedParameter(raw)]).toEqual([raw, undefined]);
  });
});

import { describe, expect, it } from '@jest/globals';
import { clipName } from '../../src/common/validation/field-path.js';
import { malformedParameters } from '../../src/common/web/percent-encoding.js';

/** Which query or form parameters do not read as UTF-8 text (the input guard and the authorization endpoint refuse them). */
describe('malformedParameters', () => {
  it('names every parameter whose value or name is not valid percent-encoded UTF-8, in the order sent', () => {
    expect(malformedParameters('a=1&state=%ED%A0%80&b=%ff')).toEqual(['state', 'b']); // an encoded surrogate, a byte alone
    expect(malformedParameters('foo=%zz&state=%C3')).toEqual(['foo', 'state']); // the second one too, not only the first
    expect(malformedParameters('nonce=%C3')).toEqual(['nonce']); // a lead byte alone
    expect(malformedParameters('x=50%zz')).toEqual(['x']); // a % without two hex digits
    expect(malformedParameters('x=%E')).toEqual(['x']);
    expect(malformedParameters('%73tate=%FF')).toEqual(['state']); // named as decoded
    expect(malformedParameters('ab%FFcd=1')).toEqual(['ab\uFFFDcd']); // a name that does not decode, as far as it reads
    expect(malformedParameters('=%FF')).toEqual(['']);
  });

  it('names a parameter whose raw bytes are not UTF-8 (a form body in Latin-1), with or without percent-encoding elsewhere', () => {
    expect(malformedParameters(Buffer.from([...Buffer.from('state=caf'), 0xe9, ...Buffer.from('&foo=%zz')]))).toEqual(['state', 'foo']);
    expect(malformedParameters(Buffer.from([...Buffer.from('a=1&state=caf'), 0xe9]))).toEqual(['state']);
    expect(malformedParameters(Buffer.from([...Buffer.from('caf'), 0xe9, ...Buffer.from('=1')]))).toEqual(['caf\uFFFD']);
    // A raw lead byte completed by a percent-encoded one is neither: the parser reads U+FFFD.
    expect(malformedParameters(Buffer.from([...Buffer.from('x='), 0xc3, ...Buffer.from('%A9')]))).toEqual(['x']);
  });

  it('takes UTF-8 text, raw or encoded, plus-encoded spaces and parameters without a value', () => {
    for (const raw of ['', 'a=1&b=2', 'state=caf%C3%A9%F0%9F%98%80', 'state=café😀', 'q=a+b%2Bc', 'flag&x=%25zz', 'a==%3D', 'a=1&&b=2']) {
      expect([raw, malformedParameters(raw)]).toEqual([raw, []]);
      expect([raw, malformedParameters(Buffer.from(raw))]).toEqual([raw, []]);
    }
  });
});

describe('clipName', () => {
  it('cuts a name the client sent by characters, never leaving half of an emoji (a lone surrogate)', () => {
    const name = `${'a'.repeat(39)}😀b`;
    expect(clipName(name)).toBe(`${'a'.repeat(39)}😀`);
    expect(clipName(name).length).toBe(41); // 39 letters and both halves of the emoji
    expect(clipName('😀'.repeat(50))).toBe('😀'.repeat(40));
    expect(clipName('short')).toBe('short');
    expect(clipName('abcdef', 3)).toBe('abc');
  });
});

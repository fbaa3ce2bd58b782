import { describe, expect, it } from '@jest/globals';
import { firstDuplicateKey } from '../../src/common/web/duplicate-keys.js';

describe('firstDuplicateKey', () => {
  it('names the first member given twice in one object, with its path', () => {
    expect(firstDuplicateKey('{"name":"x","role":"manager","role":"operator"}')).toBe('role');
    expect(firstDuplicateKey('{"config":{"okta":{"clientId":"a","issuer":"b","clientId":"c"}}}')).toBe('config.okta.clientId');
    expect(firstDuplicateKey('{"locations":[{"externalId":"A"},{"externalId":"B","name":"n","name":"m"}]}')).toBe('locations[1].name');
    expect(firstDuplicateKey('{"a\\u0062":1,"ab":2}')).toBe('ab'); // the same name, escaped once
    expect(firstDuplicateKey('{"map":{"Store Manager":"A","Store Manager":"B"}}')).toBe('map["Store Manager"]');
  });

  it('takes what has no duplicate: the same name in different objects, names inside strings, escaped quotes', () => {
    for (const text of [
      '{"a":{"x":1},"b":{"x":2}}',
      '[{"x":1},{"x":1}]',
      '{"a":"\\"a\\":1,","b":"{\\"a\\":2}"}',
      '{"a":["a","a"],"b":"a"}',
      '{"config":{"okta":{"clientId":"a"}},"clientId":"b"}',
      '{}', '[]', '"x"', '42', '',
    ]) expect([text, firstDuplicateKey(text)]).toEqual([text, undefined]);
  });
});

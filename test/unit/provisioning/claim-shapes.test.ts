import { describe, expect, it } from '@jest/globals';
import { list, single } from '../../../src/provisioning/fields/claim-shapes.js';

const L = 'assigned_entity_client_entity_ids';
const one = (v: unknown) => list({ [L]: v }, L, 500);

describe('list claims, as Okta sends them', () => {
  it.each([
    ['one string', 'LOC-1', ['LOC-1']],
    ['an array', ['LOC-1', 'LOC-2'], ['LOC-1', 'LOC-2']],
    ['a comma-joined string', 'LOC-1, LOC-2', ['LOC-1', 'LOC-2']],
    ['a semicolon-joined string', 'LOC-1;LOC-2 ; LOC-3', ['LOC-1', 'LOC-2', 'LOC-3']],
    ['a JSON-encoded array string', '["LOC-1"]', ['LOC-1']],
    ['a JSON-encoded array of several', ' ["LOC-2","LOC-1"] ', ['LOC-2', 'LOC-1']],
    ['an empty array', [], []],
    ['an empty JSON array string', '[]', []],
    ['an empty string', '', []],
    ['null', null, []],
    ['blanks and duplicates', ['LOC-1', ' ', 'LOC-1', '', 'LOC-2,LOC-1'], ['LOC-1', 'LOC-2']],
    ['numbers', [101, '102'], ['101', '102']],
  ])('%s', (_, value, expected) => {
    expect(one(value)).toEqual({ kind: 'list', values: expected });
  });

  it('tells absent from empty', () => {
    expect(list({}, L, 500)).toEqual({ kind: 'absent' });
    expect(list({ [L]: [] }, L, 500)).toEqual({ kind: 'list', values: [] });
  });

  it('refuses broken JSON, objects, nested lists and too many entries', () => {
    expect(one('["LOC-1"')).toEqual({ kind: 'invalid', reason: 'looks like a JSON array but is not valid JSON' });
    expect(one({ id: 'LOC-1' })).toEqual({ kind: 'invalid', reason: 'must be a string, got an object' });
    expect(one([['LOC-1']])).toEqual({ kind: 'invalid', reason: 'contains a nested list' });
    expect(one('[["LOC-1"]]')).toEqual({ kind: 'invalid', reason: 'contains a nested list' });
    expect(one([Number.NaN])).toEqual({ kind: 'invalid', reason: 'is not a finite number' });
    expect(list({ [L]: ['a', 'b', 'c'] }, L, 2)).toEqual({ kind: 'invalid', reason: 'has more than 2 entries' });
  });
});

describe('single claims', () => {
  it('reads strings, numbers, booleans and a list of one', () => {
    expect(single({ a: 'x' }, 'a')).toEqual({ kind: 'one', value: 'x' });
    expect(single({ a: 42 }, 'a')).toEqual({ kind: 'one', value: '42' });
    expect(single({ a: true }, 'a')).toEqual({ kind: 'one', value: 'true' });
    expect(single({ a: ['x'] }, 'a')).toEqual({ kind: 'one', value: 'x' });
    expect(single({ a: ['x', 'x', ' '] }, 'a')).toEqual({ kind: 'one', value: 'x' });
  });
  it('tells absent from empty', () => {
    expect(single({}, 'a')).toEqual({ kind: 'absent' });
    for (const empty of [null, '', '   ', [], ['', ' ']]) expect(single({ a: empty }, 'a')).toEqual({ kind: 'empty' });
  });
  it('refuses several values and objects', () => {
    expect(single({ a: ['x', 'y'] }, 'a')).toEqual({ kind: 'invalid', reason: 'must be a single value, got a list of 2' });
    expect(single({ a: { b: 1 } }, 'a')).toEqual({ kind: 'invalid', reason: 'must be a string, got an object' });
    expect(single({ a: [{ b: 1 }] }, 'a')).toEqual({ kind: 'invalid', reason: 'must be a string, got an object' });
  });
  it('does not read inherited properties as claims', () => {
    expect(single({}, 'constructor')).toEqual({ kind: 'absent' });
    expect(single(JSON.parse('{"__proto__": "x"}'), '__proto__')).toEqual({ kind: 'one', value: 'x' });
  });
});

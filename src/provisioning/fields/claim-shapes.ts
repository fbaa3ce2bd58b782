/**
 * Claims as Okta really sends them. A claim that is absent is not the same as one that is empty:
 * absent leaves the stored value alone, empty clears it.
 */
export type ClaimValue =
  | { kind: 'absent' }
  | { kind: 'empty' }
  | { kind: 'one'; value: string }
  | { kind: 'invalid'; reason: string };

export type ClaimList = { kind: 'absent' } | { kind: 'list'; values: string[] } | { kind: 'invalid'; reason: string };

export function single(claims: Record<string, unknown>, name: string): ClaimValue {
  if (!Object.hasOwn(claims, name)) return { kind: 'absent' };
  const v = claims[name];
  if (v === null || v === '') return { kind: 'empty' };
  if (typeof v === 'string') return v.trim() === '' ? { kind: 'empty' } : { kind: 'one', value: v };
  if (typeof v === 'number' && Number.isFinite(v)) return { kind: 'one', value: String(v) };
  if (Array.isArray(v)) {
    const values = v.filter((x) => typeof x === 'string' && x.trim() !== '');
    if (values.length === 0) return { kind: 'empty' };
    if (values.length === 1 && values.length === v.length) return { kind: 'one', value: values[0] as string };
    return { kind: 'invalid', reason: `must be a single value, got a list of ${v.length}` };
  }
  return { kind: 'invalid', reason: `must be a string, got ${typeof v === 'object' ? 'an object' : typeof v}` };
}

/**
 * A list claim: an array, one string, a comma- or semicolon-joined string, or a JSON-encoded array string.
 * Blanks and duplicates are dropped, order kept.
 */
export function list(claims: Record<string, unknown>, name: string, maxItems = 1000): ClaimList {
  if (!Object.hasOwn(claims, name)) return { kind: 'absent' };
  let v = claims[name];
  if (v === null) return { kind: 'list', values: [] };
  if (typeof v === 'string' && /^\s*\[/.test(v)) {
    try {
      v = JSON.parse(v);
    } catch {
      return { kind: 'invalid', reason: 'looks like a JSON array but is not valid JSON' };
    }
  }
  let items: unknown[];
  if (typeof v === 'string') items = v.split(/[,;]/);
  else if (typeof v === 'number') items = [String(v)];
  else if (Array.isArray(v)) items = v.flatMap((x) => (typeof x === 'string' ? x.split(/[,;]/) : [x]));
  else return { kind: 'invalid', reason: 'must be a list of identifiers or a string' };
  const values: string[] = [];
  for (const item of items) {
    if (typeof item !== 'string' && typeof item !== 'number') return { kind: 'invalid', reason: 'must contain only strings' };
    const s = String(item).trim();
    if (s !== '' && !values.includes(s)) values.push(s);
  }
  if (values.length > maxItems) return { kind: 'invalid', reason: `has ${values.length} entries; at most ${maxItems} are allowed` };
  return { kind: 'list', values };
}

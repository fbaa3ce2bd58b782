/**
 * Claims as Okta really sends them. A claim that is absent is not the same as one that is empty:
 * absent leaves the stored value alone (and is reported), empty clears it.
 *
 * - empty: `null`, `""`, a string of only spaces, `[]`, or a list of only blanks;
 * - numbers and booleans are their JSON text ("42", "true"): Okta sends typed profile attributes as such;
 * - objects, nested lists and non-finite numbers are invalid, with a reason.
 */
export type ClaimValue =
  | { kind: 'absent' }
  | { kind: 'empty' }
  | { kind: 'one'; value: string }
  | { kind: 'invalid'; reason: string };

export type ClaimList = { kind: 'absent' } | { kind: 'list'; values: string[] } | { kind: 'invalid'; reason: string };

type Scalar = { ok: true; value: string } | { ok: false; reason: string };

function scalar(v: unknown): Scalar {
  if (typeof v === 'string') return { ok: true, value: v };
  if (typeof v === 'number') return Number.isFinite(v) ? { ok: true, value: String(v) } : { ok: false, reason: 'is not a finite number' };
  if (typeof v === 'boolean') return { ok: true, value: String(v) };
  if (v === null) return { ok: true, value: '' };
  return { ok: false, reason: Array.isArray(v) ? 'contains a nested list' : 'must be a string, got an object' };
}

/** A single-valued claim. A list of exactly one value counts as that value (Okta sends some attributes as arrays). */
/** Present: an own property with a value (JSON has no `undefined`; an object built in code may). */
export const present = (claims: Record<string, unknown>, name: string) => Object.hasOwn(claims, name) && claims[name] !== undefined;

export function single(claims: Record<string, unknown>, name: string): ClaimValue {
  if (!present(claims, name)) return { kind: 'absent' };
  const v = claims[name];
  if (Array.isArray(v)) {
    const values: string[] = [];
    for (const item of v) {
      const s = scalar(item);
      if (!s.ok) return { kind: 'invalid', reason: s.reason };
      if (s.value.trim() !== '' && !values.includes(s.value)) values.push(s.value);
    }
    if (values.length === 0) return { kind: 'empty' };
    if (values.length === 1) return { kind: 'one', value: values[0]! };
    return { kind: 'invalid', reason: `must be a single value, got a list of ${values.length}` };
  }
  const s = scalar(v);
  if (!s.ok) return { kind: 'invalid', reason: s.reason };
  return s.value.trim() === '' ? { kind: 'empty' } : { kind: 'one', value: s.value };
}

/**
 * A list claim: an array, one string, a comma- or semicolon-joined string, or a JSON-encoded array string
 * (`"[\"LOC-1\"]"`). Entries are trimmed; blanks and duplicates are dropped, first occurrence order kept.
 * `maxItems` bounds the distinct entries.
 */
export function list(claims: Record<string, unknown>, name: string, maxItems: number): ClaimList {
  if (!present(claims, name)) return { kind: 'absent' };
  let v = claims[name];
  if (typeof v === 'string' && /^\s*\[/.test(v)) {
    try {
      v = JSON.parse(v);
    } catch {
      return { kind: 'invalid', reason: 'looks like a JSON array but is not valid JSON' };
    }
    if (!Array.isArray(v)) return { kind: 'invalid', reason: 'looks like a JSON array but is not one' };
  }
  const items = Array.isArray(v) ? v : [v];
  const values: string[] = [];
  const seen = new Set<string>();
  for (const item of items) {
    const s = scalar(item);
    if (!s.ok) return { kind: 'invalid', reason: s.reason };
    for (const part of s.value.split(/[,;]/)) {
      const entry = part.trim();
      if (entry === '' || seen.has(entry)) continue;
      seen.add(entry);
      values.push(entry);
      if (values.length > maxItems) return { kind: 'invalid', reason: `has more than ${maxItems} entries` };
    }
  }
  return { kind: 'list', values };
}

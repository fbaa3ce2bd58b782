/**
 * Keys of a request body that its schema does not know: zod drops them, so a mistyped key ("usernameRewirtes")
 * would be saved as if it were not there. Compared against what the schema kept, key by key and through
 * arrays; `readOnly` names paths a client may send back unchanged from a GET (they are dropped on purpose).
 * Paths are written as zod writes them (`config.okta.bogus`, `config.usernameRewrites.0.bogus`).
 */
export function ignoredKeys(raw: unknown, kept: unknown, readOnly: ReadonlySet<string> = new Set(), path: string[] = []): string[] {
  if (Array.isArray(raw) && Array.isArray(kept)) return raw.flatMap((r, i) => ignoredKeys(r, kept[i], readOnly, [...path, String(i)]));
  if (!isPlainObject(raw) || !isPlainObject(kept)) return [];
  const out: string[] = [];
  for (const key of Object.keys(raw)) {
    const at = [...path, key];
    if (!Object.hasOwn(kept, key)) {
      if (!readOnly.has(at.join('.'))) out.push(at.join('.'));
    } else {
      out.push(...ignoredKeys(raw[key], kept[key], readOnly, at));
    }
  }
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

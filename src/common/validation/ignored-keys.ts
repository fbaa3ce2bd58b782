import { fieldPath } from './field-path.js';

/**
 * Keys of a request body that its schema does not know: zod drops them, so a mistyped key ("usernameRewirtes")
 * would be saved as if it were not there. Compared against what the schema kept, key by key and through
 * arrays; `readOnly` names paths a client may send back unchanged from a GET (they are dropped on purpose).
 * Paths are written by fieldPath, as every field in an answer is (`config.okta.bogus`, `config.usernameRewrites[0].bogus`).
 */
export function ignoredKeys(raw: unknown, kept: unknown, readOnly: ReadonlySet<string> = new Set(), path: Array<string | number> = []): string[] {
  if (Array.isArray(raw) && Array.isArray(kept)) return raw.flatMap((r, i) => ignoredKeys(r, kept[i], readOnly, [...path, i]));
  if (!isPlainObject(raw) || !isPlainObject(kept)) return [];
  const out: string[] = [];
  for (const key of Object.keys(raw)) {
    const at = [...path, key];
    if (!Object.hasOwn(kept, key)) {
      const name = fieldPath(at);
      if (!readOnly.has(name)) out.push(name);
    } else {
      out.push(...ignoredKeys(raw[key], kept[key], readOnly, at));
    }
  }
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

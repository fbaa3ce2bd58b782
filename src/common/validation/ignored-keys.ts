import { fieldPath } from './field-path.js';

/**
 * Keys of a request body that its schema does not know: zod drops them, so a mistyped key ("usernameRewirtes")
 * would be saved as if it were not there. Compared against what the schema kept, key by key and through
 * arrays; `sentBack(field, value)` says whether a key is one a client may send back unchanged from a GET (dropped on
 * purpose, so not reported): the caller decides by its value, so another value there is still reported.
 * Paths are written by fieldPath, as every field in an answer is (`config.okta.bogus`, `config.usernameRewrites[0].bogus`).
 */
export function ignoredKeys(
  raw: unknown,
  kept: unknown,
  sentBack: (field: string, value: unknown) => boolean = () => false,
  path: Array<string | number> = [],
): string[] {
  if (Array.isArray(raw) && Array.isArray(kept)) return raw.flatMap((r, i) => ignoredKeys(r, kept[i], sentBack, [...path, i]));
  if (!isPlainObject(raw) || !isPlainObject(kept)) return [];
  const out: string[] = [];
  for (const key of Object.keys(raw)) {
    const at = [...path, key];
    if (!Object.hasOwn(kept, key)) {
      const name = fieldPath(at);
      if (!sentBack(name, raw[key])) out.push(name);
    } else {
      out.push(...ignoredKeys(raw[key], kept[key], sentBack, at));
    }
  }
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The one way a field is named in an answer (`errors[].field`, warnings, ignored keys, configuration changes):
 * from the top of the JSON document it is in, names joined by dots, array positions and names that are not
 * identifiers in brackets, as JavaScript writes them: `config.domains[4]`, `config.usernameRewrites[0].from`,
 * `config.roles.map["Store Manager"]`. Unambiguous whatever a key holds (dots, spaces, digits).
 */
export function fieldPath(segments: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const s of segments) {
    if (typeof s === 'number') out += `[${s}]`;
    else if (typeof s === 'string' && IDENTIFIER.test(s)) out += out ? `.${s}` : s;
    else out += `[${JSON.stringify(String(s))}]`;
  }
  return out;
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** `fieldPath` continued from a path already written: `under('config', 'domains[1]')` is `config.domains[1]`. */
export function under(prefix: string, field: string): string {
  return field.startsWith('[') ? `${prefix}${field}` : `${prefix}.${field}`;
}

/**
 * A name the client sent, shortened for an answer to at most `max` characters (code points): a cut by UTF-16 units
 * could split an emoji and leave half of it, a lone surrogate, which is not text (U+FFFD on a page, `\ud83d` in JSON).
 */
export function clipName(name: string, max = 40): string {
  if (name.length <= max) return name;
  return Array.from(name).slice(0, max).join('');
}

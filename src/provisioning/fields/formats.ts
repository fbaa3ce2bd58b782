/**
 * Value formats of provisioned fields. Each check returns the normalised value or a reason a person can act on.
 * Pure functions: no I/O, no configuration.
 */
export type Checked = { ok: true; value: string } | { ok: false; reason: string };

const ok = (value: string): Checked => ({ ok: true, value });
const bad = (reason: string): Checked => ({ ok: false, reason });

// Control, format (zero-width, bidi) and separator characters other than a plain space.
const forbidden = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;

export function text(raw: string, max: number): Checked {
  const value = raw.normalize('NFC').trim();
  if (forbidden.test(value)) return bad('contains control or invisible characters');
  if (value.length > max) return bad(`is ${value.length} characters long; at most ${max} are allowed`);
  return ok(value);
}

export function email(raw: string): Checked {
  const t = text(raw, 254);
  if (!t.ok) return t;
  if (!/^[^\s@"<>(),;:\\[\]]{1,64}@([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z][A-Za-z0-9-]*$/.test(t.value)) {
    return bad('is not an email address like name@example.com');
  }
  return t;
}

export function phone(raw: string): Checked {
  const t = text(raw, 32);
  if (!t.ok) return t;
  if (!/^\+?[0-9 ().-]{3,25}(\s*(x|ext\.?)\s*[0-9]{1,6})?$/i.test(t.value)) return bad('is not a phone number (digits, spaces, + ( ) - . and an optional extension)');
  return t;
}

export function externalId(raw: string): Checked {
  const t = text(raw, 100);
  if (!t.ok) return t;
  if (t.value.length === 0) return bad('is empty');
  return t;
}

/** Case-insensitive comparison key: NFKC then lower case, locale-independent. */
export function usernameKey(username: string): string {
  return username.normalize('NFKC').toLowerCase();
}

export interface UsernameRules {
  rewrites: ReadonlyArray<{ from: string; to: string }>;
  domains: ReadonlyArray<string>;
}

function rewriteDomain(domain: string, rules: UsernameRules['rewrites']): string {
  for (const r of rules) {
    if (r.from.startsWith('*.') ? domain.endsWith(r.from.slice(1)) : domain === r.from) return r.to;
  }
  return domain;
}

/**
 * A username as the tenant publishes it: NFKC-normalised, local@domain, the domain rewritten by the tenant's
 * rules (john.smith@yvr.kentel.local → john.smith@kentel.com), and then one of the tenant's verified domains.
 */
export function username(raw: string, rules: UsernameRules): Checked {
  const value = raw.normalize('NFKC').trim();
  if (forbidden.test(value) || /\s/.test(value)) return bad('contains spaces, control or invisible characters');
  if (value.length > 256) return bad(`is ${value.length} characters long; at most 256 are allowed`);
  const at = value.lastIndexOf('@');
  if (at < 1 || at === value.length - 1) return bad(`"${value}" is not of the form name@domain`);
  const local = value.slice(0, at);
  if (local.length > 64 || /[@"<>(),;:\\[\]]/.test(local)) return bad(`"${value}" has an invalid name part`);
  const domain = rewriteDomain(value.slice(at + 1).toLowerCase(), rules.rewrites);
  if (!/^([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{1,63}$/.test(domain)) return bad(`"${value}" has an invalid domain`);
  if (!rules.domains.includes(domain)) {
    return bad(`the domain "${domain}" is not one of this tenant's verified domains (${rules.domains.join(', ')})`);
  }
  return ok(`${local}@${domain}`);
}

import { domainToASCII } from 'node:url';
import { blankReason, codePoint, TEXT_IGNORABLE } from '../../common/validation/invisible.js';

/**
 * Value formats of provisioned fields. Each check returns the normalised value or a reason a person can act on
 * (the reason never repeats more than a short, escaped excerpt of the value). Pure functions: no I/O.
 *
 * Lengths are counted in Unicode code points (what a person counts as characters), after normalisation.
 */
export type Checked = { ok: true; value: string; warning?: string } | { ok: false; reason: string };

export const ok = (value: string, warning?: string): Checked => (warning ? { ok: true, value, warning } : { ok: true, value });
export const bad = (reason: string): Checked => ({ ok: false, reason });

/** A value format: its check, and how README/OpenAPI describe it (generated from these, so they cannot drift). */
export interface Format {
  /** e.g. "text", "email address", "phone number". */
  describe: string;
  /** e.g. "at most 100 characters". */
  bound: string;
  check(raw: string): Checked;
}

export const length = (s: string): number => {
  let n = 0;
  for (const _ of s) n++;
  return n;
};

// Control (incl. tab, CR, LF, NUL), format (zero-width, bidi controls, BOM), lone surrogates, private use, line
// and paragraph separators, and whatever else shows nothing (Default_Ignorable_Code_Point: the Hangul fillers...).
const unsafe = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Zl}\p{Zp}]|\p{Default_Ignorable_Code_Point}/u;
const space = /[\p{Zs}]/u;


function kindOf(ch: string): string {
  if (/\p{Cc}/u.test(ch)) return 'a control character';
  if (/\p{Cs}/u.test(ch)) return 'a broken (lone surrogate) character';
  if (/\p{Co}/u.test(ch)) return 'a private-use character';
  if (/[\p{Zl}\p{Zp}]/u.test(ch)) return 'a line or paragraph separator';
  if (/\p{Zs}/u.test(ch)) return 'a space';
  if (/\p{Cf}/u.test(ch)) return 'an invisible formatting character';
  return 'an invisible character';
}

/**
 * The first character a field does not accept, described for a person: "a control character (U+0007) at
 * position 6". Joiners (ZWNJ, ZWJ) and variation selectors are allowed in free text, where Persian, Indic scripts
 * and emoji need them (common/validation/invisible.ts); identifiers take none of them.
 */
export function firstUnsafe(value: string, opts: { joiners: boolean; spaces: boolean }): string | undefined {
  let pos = 0;
  for (const ch of value) {
    pos++;
    if (!unsafe.test(ch) && (opts.spaces || !space.test(ch))) continue;
    // Runs for every provisioned character at sign-in: the second look only for what the first refused.
    if (opts.joiners && TEXT_IGNORABLE.test(ch)) continue;
    return `${kindOf(ch)} (${codePoint(ch.codePointAt(0)!)}) at position ${pos}`;
  }
  return undefined;
}

/** A value made safe to show: at most `max` characters (then "…"), unsafe characters escaped as \u{…}. */
export function escaped(raw: string, max = 40): string {
  let out = '';
  let n = 0;
  for (const ch of raw) {
    if (n === max) return `${out}…`;
    n++;
    out += unsafe.test(ch) ? `\\u{${ch.codePointAt(0)!.toString(16)}}` : ch;
  }
  return out;
}

/** Shows (part of) a value inside a reason: quoted, escaped, and its length when it was cut. */
export function quote(raw: string, max = 40): string {
  const total = length(raw);
  return total > max ? `"${escaped(raw, max)}" (${total} characters)` : `"${escaped(raw, max)}"`;
}

/**
 * Free text: NFC, trimmed, printable characters only, at most `max` characters, and not blank-looking (a value of
 * only characters that show nothing, such as "\u3164" or "\u2800", would read as no name at all).
 */
export function text(max: number): Format {
  return {
    describe: 'text',
    bound: `at most ${max} characters`,
    check(raw) {
      const n = length(raw);
      if (n > 4 * max) return bad(`is ${n} characters long; at most ${max} are allowed`);
      const value = raw.normalize('NFC').trim();
      const len = length(value);
      if (len > max) return bad(`is ${len} characters long; at most ${max} are allowed`);
      const blank = blankReason(value);
      if (blank) return bad(blank);
      const u = firstUnsafe(value, { joiners: true, spaces: true });
      if (u) return bad(`contains ${u}; only printable characters are allowed`);
      return ok(value);
    },
  };
}

/** An identifier: like text, but no joiners and no leading/trailing or repeated oddities. */
export function identifier(max: number, what: string): Format {
  return {
    describe: what,
    bound: `at most ${max} characters, printable`,
    check(raw) {
      const value = raw.normalize('NFC').trim();
      const len = length(value);
      if (len === 0) return bad('is empty');
      if (len > max) return bad(`is ${len} characters long; at most ${max} are allowed`);
      const blank = blankReason(value);
      if (blank) return bad(blank);
      const u = firstUnsafe(value, { joiners: false, spaces: true });
      if (u) return bad(`contains ${u}`);
      return ok(value);
    },
  };
}

/** An RQ ID, as iQmetrix supplies them at setup (the tenant configuration accepts the same shape). */
export const RQ_ID = /^[A-Za-z0-9_-]{1,50}$/;
export const rqId: Format = {
  describe: 'RQ ID',
  bound: 'letters, digits, - or _; at most 50',
  check(raw) {
    const value = raw.trim();
    if (!RQ_ID.test(value)) return bad(`${quote(value)} is not an RQ ID (letters, digits, - or _; at most 50)`);
    return ok(value);
  },
};

const asciiDomain = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** An internationalised domain as its ASCII (punycode) form, or undefined when it is not a domain name. */
function toAsciiDomain(domain: string): string | undefined {
  const lower = domain.toLowerCase();
  const ascii = /^[\x21-\x7e]*$/.test(lower) ? lower : domainToASCII(lower);
  return ascii && asciiDomain.test(ascii) ? ascii : undefined;
}

const emailLocal = /^[A-Za-z0-9\p{L}\p{M}\p{N}!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9\p{L}\p{M}\p{N}!#$%&'*+/=?^_`{|}~-]+)*$/u;

/** An email address (RFC 5321 dot-atom local part, a DNS domain); kept as given, domain lower-cased. */
export const email: Format = {
  describe: 'email address',
  bound: 'at most 254 characters (64 before the @)',
  check(raw) {
    const value = raw.normalize('NFC').trim();
    const len = length(value);
    if (len > 254) return bad(`is ${len} characters long; at most 254 are allowed`);
    const u = firstUnsafe(value, { joiners: false, spaces: false });
    if (u) return bad(`contains ${u}`);
    const at = value.lastIndexOf('@');
    const local = value.slice(0, at);
    const domain = at > 0 ? toAsciiDomain(value.slice(at + 1)) : undefined;
    if (at < 1 || !domain || length(local) > 64 || !emailLocal.test(local)) return bad(`${quote(value)} is not an email address like name@example.com`);
    return ok(`${local}@${value.slice(at + 1).toLowerCase()}`);
  },
};

// Digits with the visual separators of RFC 3966 (space - . ( ) /), an optional leading +, and an optional
// extension written ";ext=123" (RFC 3966, as OpenID Connect Core §5.1 recommends), "x123", "ext 123" or "#123".
const phoneShape = /^(\+?[0-9 ().\/-]+?)\s*(?:(?:;\s*ext\s*=|,?\s*(?:ext\.?|extension|x|#))\s*([0-9]{1,10}))?$/i;

/** A phone number, stored as given with its extension (if any) normalised to RFC 3966's ";ext=". */
export const phone: Format = {
  describe: 'phone number',
  bound: '3 to 15 digits (E.164), optional extension of up to 10 digits; at most 40 characters',
  check(raw) {
    const value = raw.normalize('NFKC').trim();
    const len = length(value);
    if (len > 40) return bad(`is ${len} characters long; at most 40 are allowed`);
    const m = phoneShape.exec(value);
    const digits = m ? m[1]!.replace(/[^0-9]/g, '').length : 0;
    if (!m || digits < 3 || digits > 15) {
      return bad(`${quote(value)} is not a phone number (3 to 15 digits, + ( ) - . / and spaces, an optional extension such as ;ext=123)`);
    }
    const number = m[1]!.trim();
    return ok(m[2] ? `${number};ext=${m[2]}` : number);
  },
};

export interface UsernameRules {
  rewrites: ReadonlyArray<{ from: string; to: string }>;
  domains: ReadonlyArray<string>;
}

/** Username domain rewrites: the first rule that matches wins; "*.x" matches any subdomain of x (not x itself). */
export function rewriteDomain(domain: string, rules: UsernameRules['rewrites']): string {
  for (const r of rules) {
    if (r.from.startsWith('*.') ? domain.endsWith(r.from.slice(1)) : domain === r.from) return r.to;
  }
  return domain;
}

/**
 * The comparison key of a username, for uniqueness across all tenants: Unicode NFKC, then lower case
 * (locale-independent), then NFKC again (lower-casing can denormalise, e.g. "İ"). "ＡＬＩＣＥ@x" and
 * "alice@x" share a key.
 */
export function usernameKey(username: string): string {
  return username.normalize('NFKC').toLowerCase().normalize('NFKC');
}

/**
 * A username as the tenant publishes it: NFKC-normalised (full-width and compatibility forms folded),
 * local@domain with a dot-atom local part, the domain lower-cased, rewritten by the tenant's rules
 * (john.smith@yvr.kentel.local → john.smith@kentel.com), and then one of the tenant's verified domains.
 */
export function username(raw: string, rules: UsernameRules): Checked {
  const value = raw.normalize('NFKC').trim();
  const len = length(value);
  if (len > 254) return bad(`is ${len} characters long; at most 254 are allowed`);
  const u = firstUnsafe(value, { joiners: false, spaces: false });
  if (u) return bad(`contains ${u}; a username has no spaces, control or invisible characters`);
  const at = value.lastIndexOf('@');
  if (at < 1 || at === value.length - 1) return bad(`${quote(value)} is not of the form name@domain`);
  const local = value.slice(0, at);
  if (length(local) > 64) return bad(`${quote(value)} has more than 64 characters before the @`);
  if (!emailLocal.test(local)) return bad(`${quote(value)} has characters before the @ that a username cannot have`);
  const asserted = toAsciiDomain(value.slice(at + 1));
  if (!asserted) return bad(`${quote(value)} does not end in a valid domain name`);
  const domain = rewriteDomain(asserted, rules.rewrites);
  if (!rules.domains.includes(domain)) {
    return bad(`the domain "${domain}" is not one of this tenant's verified domains (${rules.domains.join(', ')})`);
  }
  return ok(`${local}@${domain}`);
}

/**
 * The comparison key of an email address (an app's login_hint, a user's email): the email format's normal form,
 * its domain rewritten by the tenant's username rules (an address at yvr.kentel.local is the one at kentel.com),
 * then folded as usernames are (usernameKey). Undefined for what is no email address.
 */
export function emailKey(raw: string, rewrites: UsernameRules['rewrites']): string | undefined {
  const checked = email.check(raw);
  if (!checked.ok) return undefined;
  const at = checked.value.lastIndexOf('@');
  const domain = checked.value.slice(at + 1);
  return usernameKey(`${checked.value.slice(0, at)}@${rewriteDomain(toAsciiDomain(domain) ?? domain, rewrites)}`);
}

/** The username format as a Format (for the field table and the docs), bound to a tenant's rules. */
export const usernameFormat = (rules: UsernameRules): Format => ({
  describe: 'name@domain',
  bound: 'at most 254 characters (64 before the @)',
  check: (raw) => username(raw, rules),
});

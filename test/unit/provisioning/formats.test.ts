import { describe, expect, it } from '@jest/globals';
import { email, identifier, phone, quote, rewriteDomain, rqId, text, username, usernameKey } from '../../../src/provisioning/fields/formats.js';

const rules = { rewrites: [{ from: 'yvr.kentel.local', to: 'kentel.com' }, { from: '*.corp.kentel.local', to: 'kentel.com' }], domains: ['kentel.com', 'xn--bcher-kva.example'] };

describe('text', () => {
  const t = text(100);
  it('trims and NFC-normalises', () => {
    expect(t.check('  Zoe\u0301 ')).toEqual({ ok: true, value: 'Zoé' });
  });
  it('counts characters (code points), not UTF-16 units', () => {
    expect(t.check('😀'.repeat(100))).toEqual({ ok: true, value: '😀'.repeat(100) });
    expect(t.check('😀'.repeat(101))).toEqual({ ok: false, reason: 'is 101 characters long; at most 100 are allowed' });
  });
  it('gives the length of a 10,000-character value', () => {
    expect(t.check('x'.repeat(10_000))).toEqual({ ok: false, reason: 'is 10000 characters long; at most 100 are allowed' });
  });
  it('names the first control or invisible character and where it is', () => {
    expect(t.check('Al\u0007ice')).toEqual({ ok: false, reason: 'contains a control character (U+0007) at position 3; only printable characters are allowed' });
    expect(t.check('Ali\nce')).toEqual({ ok: false, reason: 'contains a control character (U+000A) at position 4; only printable characters are allowed' });
    expect(t.check('abc\u202Etxt')).toEqual({ ok: false, reason: 'contains an invisible formatting character (U+202E) at position 4; only printable characters are allowed' });
    expect(t.check('a\u2028b')).toEqual({ ok: false, reason: 'contains a line or paragraph separator (U+2028) at position 2; only printable characters are allowed' });
    expect(t.check('a\uD800b')).toEqual({ ok: false, reason: 'contains a broken (lone surrogate) character (U+D800) at position 2; only printable characters are allowed' });
    expect(t.check('a\uE000')).toEqual({ ok: false, reason: 'contains a private-use character (U+E000) at position 2; only printable characters are allowed' });
  });
  it('keeps the joiners that Persian, Indic scripts and emoji need', () => {
    expect(t.check('می\u200Cخواهم')).toMatchObject({ ok: true });
    expect(t.check('👩\u200D💻')).toMatchObject({ ok: true });
    expect(t.check('Ana \u2764\uFE0F')).toEqual({ ok: true, value: 'Ana \u2764\uFE0F' }); // a variation selector
    expect(t.check('葛\u{E0100}城')).toMatchObject({ ok: true }); // an ideographic variation selector
  });
  it('refuses a name of only characters that show nothing (Hangul fillers, braille blank, lone combining marks, with spaces among them)', () => {
    const blank = (codes: string) => ({ ok: false, reason: `has only characters that show nothing (${codes}); it must have a visible character` });
    expect(t.check('\u3164\u3164')).toEqual(blank('U+3164'));
    expect(t.check('\u2800')).toEqual(blank('U+2800'));
    expect(t.check(' \u115F\u1160 ')).toEqual(blank('U+115F, U+1160'));
    expect(t.check('\uFFA0\u3000\u3164\u00A0\u2800')).toEqual(blank('U+FFA0, U+3000, U+3164, U+00A0, U+2800'));
    expect(t.check('\u{1D159}\u200D')).toEqual(blank('U+1D159, U+200D'));
    // Combining marks with nothing to sit on; on a letter they are text (José, written decomposed).
    expect(t.check('\u0301\u0301')).toEqual(blank('U+0301'));
    expect(t.check(' \u0308\u20DD')).toEqual(blank('U+0308, U+20DD'));
    expect(t.check('Jose\u0301')).toMatchObject({ ok: true });
    // Empty is not blank-looking: it is the absence of a value (a claim or an edit that clears the field).
    expect(t.check('   ')).toEqual({ ok: true, value: '' });
  });
  it('refuses the invisible characters that are not formatting ones (Hangul filler, combining grapheme joiner) inside a name', () => {
    expect(t.check('John\u3164')).toEqual({ ok: false, reason: 'contains an invisible character (U+3164) at position 5; only printable characters are allowed' });
    expect(t.check('Jo\u034Fhn')).toEqual({ ok: false, reason: 'contains an invisible character (U+034F) at position 3; only printable characters are allowed' });
    expect(t.check('Jo\u200Ehn')).toEqual({ ok: false, reason: 'contains an invisible formatting character (U+200E) at position 3; only printable characters are allowed' });
    expect(t.check('Jo\u180Ehn')).toEqual({ ok: false, reason: 'contains an invisible formatting character (U+180E) at position 3; only printable characters are allowed' });
  });
});

describe('identifier', () => {
  const id = identifier(100, 'External Node Identifier');
  it('refuses joiners and empty values', () => {
    expect(id.check('LOC\u200D1')).toEqual({ ok: false, reason: 'contains an invisible formatting character (U+200D) at position 4' });
    expect(id.check('  ')).toEqual({ ok: false, reason: 'is empty' });
    expect(id.check(' LOC-1 ')).toEqual({ ok: true, value: 'LOC-1' });
  });
  it('refuses blank-looking values and variation selectors (an identifier has no use for them)', () => {
    expect(id.check('\u2800')).toEqual({ ok: false, reason: 'has only characters that show nothing (U+2800); it must have a visible character' });
    expect(id.check('LOC-1\uFE0F')).toEqual({ ok: false, reason: 'contains an invisible character (U+FE0F) at position 6' });
  });
});

describe('username', () => {
  it("rewrites the guide's example and accepts a verified domain", () => {
    expect(username('john.smith@yvr.kentel.local', rules)).toEqual({ ok: true, value: 'john.smith@kentel.com' });
    expect(username('john.smith@Kentel.COM', rules)).toEqual({ ok: true, value: 'john.smith@kentel.com' });
  });
  it('rewrites any subdomain with a *. rule, but not the bare domain', () => {
    expect(rewriteDomain('east.corp.kentel.local', rules.rewrites)).toBe('kentel.com');
    expect(rewriteDomain('corp.kentel.local', rules.rewrites)).toBe('corp.kentel.local');
  });
  it('refuses a domain that is not verified for the tenant', () => {
    expect(username('boss@other.com', rules)).toEqual({ ok: false, reason: `the domain "other.com" is not one of this tenant's verified domains (kentel.com, xn--bcher-kva.example)` });
  });
  it('NFKC-normalises full-width and compatibility forms', () => {
    expect(username('ｊｏｈｎ@ｋｅｎｔｅｌ.ｃｏｍ', rules)).toEqual({ ok: true, value: 'john@kentel.com' });
  });
  it('takes an internationalised domain as its ASCII form', () => {
    expect(username('anna@bücher.example', rules)).toEqual({ ok: true, value: 'anna@xn--bcher-kva.example' });
  });
  it('refuses control characters, naming the first one', () => {
    expect(username('john\u0000@kentel.com', rules)).toEqual({ ok: false, reason: 'contains a control character (U+0000) at position 5; a username has no spaces, control or invisible characters' });
    expect(username('jo\u0007hn@kentel.com', rules)).toEqual({ ok: false, reason: 'contains a control character (U+0007) at position 3; a username has no spaces, control or invisible characters' });
    expect(username('john\u200B@kentel.com', rules)).toEqual({ ok: false, reason: 'contains an invisible formatting character (U+200B) at position 5; a username has no spaces, control or invisible characters' });
    expect(username('john smith@kentel.com', rules)).toEqual({ ok: false, reason: 'contains a space (U+0020) at position 5; a username has no spaces, control or invisible characters' });
    // A Hangul filler (a letter to Unicode, NFKC-folded to U+1160) would make a second john@kentel.com.
    expect(username('john\u3164@kentel.com', rules)).toEqual({ ok: false, reason: 'contains an invisible character (U+1160) at position 5; a username has no spaces, control or invisible characters' });
  });
  it('refuses shapes that are not name@domain', () => {
    expect(username('johnsmith', rules)).toEqual({ ok: false, reason: '"johnsmith" is not of the form name@domain' });
    expect(username('@kentel.com', rules)).toEqual({ ok: false, reason: '"@kentel.com" is not of the form name@domain' });
    expect(username('.john@kentel.com', rules)).toEqual({ ok: false, reason: '".john@kentel.com" has characters before the @ that a username cannot have' });
    expect(username('KENTEL\\john@kentel.com', rules)).toEqual({ ok: false, reason: '"KENTEL\\john@kentel.com" has characters before the @ that a username cannot have' });
    expect(username(`${'a'.repeat(65)}@kentel.com`, rules)).toEqual({ ok: false, reason: `"${'a'.repeat(40)}…" (76 characters) has more than 64 characters before the @` });
    expect(username('john@kentel_com', rules)).toEqual({ ok: false, reason: '"john@kentel_com" does not end in a valid domain name' });
  });
  it('bounds the length (10,000 characters)', () => {
    expect(username(`${'a'.repeat(9990)}@kentel.com`, rules)).toEqual({ ok: false, reason: 'is 10001 characters long; at most 254 are allowed' });
  });
});

describe('usernameKey', () => {
  it('is case-insensitive after NFKC, and idempotent', () => {
    expect(usernameKey('ＡＬＩＣＥ@Kentel.com')).toBe('alice@kentel.com');
    expect(usernameKey('Alice@kentel.com')).toBe(usernameKey('alice@KENTEL.COM'));
    const k = usernameKey('İlke@kentel.com');
    expect(usernameKey(k)).toBe(k);
    expect(usernameKey('e\u0301@kentel.com')).toBe(usernameKey('É@kentel.com'));
  });
});

describe('email', () => {
  it('accepts an address and lower-cases its domain', () => {
    expect(email.check(' Alice.Archer@Kentel.COM ')).toEqual({ ok: true, value: 'Alice.Archer@kentel.com' });
  });
  it('refuses what is not an address', () => {
    expect(email.check('alice')).toEqual({ ok: false, reason: '"alice" is not an email address like name@example.com' });
    expect(email.check('a b@kentel.com')).toEqual({ ok: false, reason: 'contains a space (U+0020) at position 2' });
    expect(email.check(`${'a'.repeat(250)}@x.com`)).toEqual({ ok: false, reason: 'is 256 characters long; at most 254 are allowed' });
  });
});

describe('phone', () => {
  it('accepts the usual forms and normalises an extension to RFC 3966 ;ext=', () => {
    expect(phone.check('+1 (604) 555-1234')).toEqual({ ok: true, value: '+1 (604) 555-1234' });
    expect(phone.check('+1 (604) 555-1234;ext=5678')).toEqual({ ok: true, value: '+1 (604) 555-1234;ext=5678' });
    expect(phone.check('604-555-1234 x12')).toEqual({ ok: true, value: '604-555-1234;ext=12' });
    expect(phone.check('604.555.1234 ext. 12')).toEqual({ ok: true, value: '604.555.1234;ext=12' });
    expect(phone.check('６０４５５５１２３４')).toEqual({ ok: true, value: '6045551234' });
  });
  it('refuses too few or too many digits, and letters', () => {
    const reason = (v: string) => `"${v}" is not a phone number (3 to 15 digits, + ( ) - . / and spaces, an optional extension such as ;ext=123)`;
    expect(phone.check('12')).toEqual({ ok: false, reason: reason('12') });
    expect(phone.check('1234567890123456')).toEqual({ ok: false, reason: reason('1234567890123456') });
    expect(phone.check('call me')).toEqual({ ok: false, reason: reason('call me') });
  });
});

describe('rqId', () => {
  it('is letters, digits, - or _, at most 50', () => {
    expect(rqId.check(' 101 ')).toEqual({ ok: true, value: '101' });
    expect(rqId.check('10 1')).toEqual({ ok: false, reason: '"10 1" is not an RQ ID (letters, digits, - or _; at most 50)' });
  });
});

describe('quote', () => {
  it('escapes invisible characters and cuts long values', () => {
    expect(quote('a\u0000b')).toBe('"a\\u{0}b"');
    expect(quote('x'.repeat(50), 10)).toBe('"xxxxxxxxxx…" (50 characters)');
  });
});

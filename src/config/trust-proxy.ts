import { isIP } from 'node:net';

/** Express's 'trust proxy' value: trust all, a hop count, or these addresses/ranges (proxy-addr's forms). */
export type TrustProxy = boolean | number | string[];

/** Names proxy-addr expands to address ranges. */
const NAMES = ['loopback', 'linklocal', 'uniquelocal'];
const ENTRY = `an IP address, a CIDR (address/prefix length or, for IPv4, address/netmask) or one of ${NAMES.join(', ')}`;

/** Why one comma-separated entry is not one proxy-addr accepts (it would throw a bare TypeError at start). */
function entryProblem(entry: string, expected: string): string | undefined {
  if (NAMES.includes(entry)) return undefined;
  const slash = entry.lastIndexOf('/');
  const address = slash < 0 ? entry : entry.slice(0, slash);
  const family = isIP(address);
  if (!family) return `'${entry}' is not ${expected}`;
  if (slash < 0) return undefined;
  const range = entry.slice(slash + 1);
  const max = family === 4 ? 32 : 128;
  let prefix = /^\d+$/.test(range) ? Number(range) : undefined;
  if (family === 4 && isIP(range) === 4) {
    const bits = range.split('.').map((o) => Number(o).toString(2).padStart(8, '0')).join('');
    if (!/^1*0*$/.test(bits)) return `'${entry}': the netmask is not contiguous`;
    prefix = bits.indexOf('0') < 0 ? 32 : bits.indexOf('0');
  }
  if (prefix === undefined || prefix < 1 || prefix > max) return `'${entry}': the prefix length must be 1 to ${max}`;
  return undefined;
}

/** TRUST_PROXY as given: false (or empty), true, a hop count, or comma-separated entries. */
export function parseTrustProxy(value: string): { value: TrustProxy } | { error: string } {
  const v = value.trim();
  if (v === 'false' || v === '') return { value: false };
  if (v === 'true') return { value: true };
  if (/^\d+$/.test(v)) return { value: Number(v) };
  // An empty entry is refused, not skipped: ',' would otherwise trust no proxy while looking like a list, and
  // '10.0.0.1,,10.0.0.2' may be a list with one left out (a variable that was not set). false trusts none.
  const entries = v.split(',').map((s) => s.trim());
  if (entries.every((e) => !e)) return { error: `'${v}' lists no proxy: give false to trust none, or the proxies' addresses` };
  if (entries.some((e) => !e)) return { error: `'${v}' has an empty entry (two commas together, or one at an end)` };
  const expected = entries.length > 1 ? ENTRY : `true, false, a hop count (a whole number), ${ENTRY}`;
  const problem = entries.map((e) => entryProblem(e, expected)).find(Boolean);
  return problem ? { error: problem } : { value: entries };
}

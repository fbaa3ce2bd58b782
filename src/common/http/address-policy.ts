import { BlockList, isIP } from 'node:net';

/**
 * Addresses a tenant's issuer may never resolve to unless the operator allows private networks: the special-purpose
 * ranges of the IANA registries (RFC 6890) that are not global: private, shared, loopback, link-local, the
 * documentation (TEST-NET) ranges, benchmarking, multicast, reserved.
 */
const blocked = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24], ['203.0.113.0', 24],
  ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) blocked.addSubnet(net, prefix, 'ipv4');
// Unique local, link-local, site-local (deprecated, RFC 3879), multicast, discard-only (RFC 6666), documentation
// (RFC 3849), and NAT64 (RFC 6052's well-known prefix, RFC 8215's local-use one: the gateway is in the operator's network).
for (const [net, prefix] of [
  ['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['fec0::', 10], ['ff00::', 8], ['100::', 64], ['2001:db8::', 32],
  ['64:ff9b::', 96], ['64:ff9b:1::', 48],
] as const) {
  blocked.addSubnet(net, prefix, 'ipv6');
}

/** The eight 16-bit groups of an IPv6 address that isIP() accepted (a zone id dropped, a dotted IPv4 tail read). */
function ipv6Groups(address: string): number[] {
  let text = address.replace(/%.*$/, '');
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const parse = (s: string | undefined) => (s ? s.split(':').map((g) => parseInt(g, 16)) : []);
  const front = parse(head);
  const back = parse(tail);
  return tail === undefined ? front : [...front, ...new Array<number>(8 - front.length - back.length).fill(0), ...back];
}

const dotted = (hi: number, lo: number) => `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;

/**
 * The IPv4 addresses an IPv6 address stands for, where it embeds them: IPv4-mapped (::ffff:0:0/96), IPv4-compatible
 * (::/96, deprecated by RFC 4291 but still routed by some stacks), SIIT's IPv4-translated (::ffff:0:0:0/96), 6to4
 * (2002::/16, RFC 3056: bits 16–47), Teredo (2001::/32, RFC 4380: the server in bits 32–63, the client inverted
 * in the last 32) and ISATAP (RFC 5214: the last 32 bits after ::5efe). A packet to such an address reaches (or is relayed to) that IPv4 host.
 */
export function embeddedIPv4(address: string): string[] {
  const g = ipv6Groups(address);
  const zeros = (from: number, to: number) => g.slice(from, to).every((x) => x === 0);
  if (zeros(0, 5) && (g[5] === 0 || g[5] === 0xffff)) return [dotted(g[6]!, g[7]!)];
  if (zeros(0, 4) && g[4] === 0xffff && g[5] === 0) return [dotted(g[6]!, g[7]!)];
  if (g[0] === 0x2002) return [dotted(g[1]!, g[2]!)];
  // ISATAP (RFC 5214): an interface identifier 0000:5efe or 0200:5efe, then the IPv4 address, under any prefix.
  if ((g[4] === 0 || g[4] === 0x200) && g[5] === 0x5efe) return [dotted(g[6]!, g[7]!)];
  if (g[0] === 0x2001 && g[1] === 0) return [dotted(g[2]!, g[3]!), dotted(~g[6]! & 0xffff, ~g[7]! & 0xffff)];
  return [];
}

/** Private, loopback, link-local, multicast or reserved: directly, or as the IPv4 address an IPv6 one embeds. */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  if (family === 4) return blocked.check(address, 'ipv4');
  return blocked.check(address.replace(/%.*$/, ''), 'ipv6') || embeddedIPv4(address).some((v4) => blocked.check(v4, 'ipv4'));
}

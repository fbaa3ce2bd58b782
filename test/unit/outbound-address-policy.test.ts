import { describe, expect, it } from '@jest/globals';
import { embeddedIPv4, isPrivateAddress } from '../../src/common/http/address-policy.js';
import { checkResolved, OutboundError } from '../../src/common/http/outbound-http.js';
import { MappedHostResolver } from '../support/mapped-host-resolver.js';

/** The address policy on what a tenant's issuer host resolves to (resolution only: nothing is connected to). */
describe('outbound address policy', () => {
  const resolver = new MappedHostResolver({ 'metadata.example.test': ['169.254.169.254'], 'intranet.example.test': ['10.0.0.1'], 'public.example.test': ['93.184.215.14'], 'mixed.example.test': ['93.184.215.14', 'fd00::1'] });

  it('refuses link-local and private addresses unless the operator allows them', async () => {
    for (const [host, address] of [['metadata.example.test', '169.254.169.254'], ['intranet.example.test', '10.0.0.1'], ['mixed.example.test', 'fd00::1']]) {
      const list = await resolver.lookup(host!);
      expect(() => checkResolved(host!, list, false)).toThrow(OutboundError);
      expect(() => checkResolved(host!, list, false)).toThrow(`${host} resolves to a private, loopback or link-local address (${address}), which is not allowed.`);
      expect(checkResolved(host!, list, true)).toEqual(list);
    }
    const pub = await resolver.lookup('public.example.test');
    expect(checkResolved('public.example.test', pub, false)).toEqual([{ address: '93.184.215.14', family: 4 }]);
    expect(() => checkResolved('nothing.example.test', [], true)).toThrow('nothing.example.test could not be resolved (no address).');
  });

  /** An IPv6 address as a URL's host gives it (the WHATWG parser rewrites a dotted IPv4 tail in hex). */
  const literal = (a: string) => new URL(`https://[${a}]/x`).hostname.replace(/^\[|\]$/g, '');

  it('judges an IPv6 address that embeds an IPv4 one by that IPv4 address: mapped, compatible, translated, 6to4, Teredo, ISATAP; documentation and other special ranges are refused', () => {
    for (const [address, v4] of [
      ['::ffff:127.0.0.1', '127.0.0.1'], ['::ffff:7f00:1', '127.0.0.1'], // IPv4-mapped
      ['::127.0.0.1', '127.0.0.1'], ['::7f00:1', '127.0.0.1'], ['::a9fe:a9fe', '169.254.169.254'], // IPv4-compatible
      ['::ffff:0:10.0.0.1', '10.0.0.1'], // IPv4-translated (SIIT)
      ['2002:7f00:1::', '127.0.0.1'], ['2002:a9fe:a9fe::1', '169.254.169.254'], ['2002:c0a8:101:1::1', '192.168.1.1'], // 6to4
      ['2001:470::5efe:7f00:1', '127.0.0.1'], ['2606:4700::200:5efe:a00:1', '10.0.0.1'], // ISATAP, under any prefix
    ] as const) {
      for (const form of [address, literal(address)]) {
        expect([form, embeddedIPv4(form), isPrivateAddress(form)]).toEqual([form, [v4], true]);
      }
    }
    // Teredo: the server, and the client (its address inverted in the last 32 bits).
    expect(embeddedIPv4('2001:0:4136:e378:8000:63bf:80ff:fffe')).toEqual(['65.54.227.120', '127.0.0.1']);
    expect(isPrivateAddress('2001:0:4136:e378:8000:63bf:80ff:fffe')).toBe(true);
    expect(isPrivateAddress('2001:0:a00:1:8000:63bf:a247:28f1')).toBe(true); // server 10.0.0.1
    // NAT64 (well-known and local-use prefixes) stays refused whatever it embeds; so do the plain IPv6 ranges.
    for (const address of ['64:ff9b::5db8:d70e', '64:ff9b::7f00:1', '64:ff9b:1::5db8:d70e', '::', '::1', 'fd00::1', 'fe80::1%eth0', 'ff02::1',
      'fec0::1', '100::1', '2001:db8::1', '192.0.2.1', '198.51.100.1', '203.0.113.9']) {
      expect([address, isPrivateAddress(address)]).toEqual([address, true]);
    }
    // The same forms of a public IPv4 address, and a plain public IPv6 one, are allowed.
    for (const address of ['::ffff:93.184.215.14', '::5db8:d70e', '2002:5db8:d70e::1', '2001:0:4136:e378:8000:63bf:a247:28f1', '2606:4700::6810:84e5', '93.184.215.14',
      '2001:470::5efe:5db8:d70e']) {
      expect([address, isPrivateAddress(address)]).toEqual([address, false]);
    }
  });

  it('refuses a name resolving to a 6to4 or IPv4-compatible form of a private address', async () => {
    const list = [{ address: '2002:7f00:1::', family: 6 }];
    expect(() => checkResolved('sixtofour.example.test', list, false)).toThrow('sixtofour.example.test resolves to a private, loopback or link-local address (2002:7f00:1::), which is not allowed.');
    expect(checkResolved('sixtofour.example.test', list, true)).toEqual(list);
  });
});

import { describe, expect, it } from '@jest/globals';
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
});

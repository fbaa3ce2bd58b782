import { describe, expect, it } from '@jest/globals';
import { claimsOf, type DomainClaim, lookupCandidates, overlaps, unclaimable } from '../../src/tenants/domain-claims.js';

const v = (domain: string): DomainClaim => ({ kind: 'verified', domain });
const r = (domain: string): DomainClaim => ({ kind: 'rewrite', domain });

describe('domain claims of two tenants', () => {
  it.each([
    [v('kentel.com'), v('kentel.com'), true],
    [v('kentel.com'), v('us.kentel.com'), false], // nested verified domains: each address has its exact owner
    [v('kentel.com'), r('kentel.com'), true],
    [v('kentel.com'), r('yvr.kentel.com'), true], // a subdomain of a verified domain is its owner's
    [v('yvr.kentel.com'), r('kentel.com'), true], // a rewrite source's subdomains are its claimant's too
    [r('yvr.kentel.local'), r('x.yvr.kentel.local'), true],
    [r('yvr.kentel.local'), r('mtl.kentel.local'), false],
    [r('yvr.kentel.local'), r('yvr.kentel.local'), true],
    [r('*.kentel.local'), r('yvr.kentel.local'), true],
    [r('*.yvr.kentel.local'), r('yvr.kentel.local'), true], // what is under a claimed domain is its claimant's
    [r('*.kentel.local'), v('kentel.local'), true], // but the verified base owns what is under it
    [r('*.mtl.kentel.local'), v('kentel.local'), true],
    [r('*.kentel.local'), v('mtl.kentel.local'), true],
    [r('*.kentel.local'), r('*.kentel.local'), true],
    [r('*.kentel.local'), r('*.mtl.kentel.local'), true],
    [r('*.kentel.local'), r('*.other.local'), false],
    [r('*.kentel.local'), v('kentel.localhost'), false], // a suffix of the text is not a parent domain
  ])('%o and %o overlap: %s', (a, b, expected) => {
    expect(overlaps(a, b)).toBe(expected);
    expect(overlaps(b, a)).toBe(expected);
  });

  it.each([
    [r('*.co.uk'), 'a wildcard over a public suffix'],
    [v('co.uk'), 'a public suffix'],
    [r('*.github.io'), 'a wildcard over a public suffix'],
    [r('gmail.com'), 'a public email provider'],
    [v('mail.gmail.com'), 'a public email provider'],
  ])('nobody may claim %o (%s)', (claim, what) => {
    expect(unclaimable(claim)).toContain(what);
  });
  it.each([v('acme.co.uk'), r('*.stores.acme.co.uk'), r('yvr.kentel.local'), v('kentel.com'), r('x.github.io')])('%o may be claimed', (claim) => {
    expect(unclaimable(claim)).toBeUndefined();
  });

  it('a configuration claims its verified domains and its rewrite sources, once each', () => {
    expect(claimsOf({ domains: ['kentel.com', 'kentel.com'], usernameRewrites: [{ from: 'yvr.kentel.local' }, { from: 'yvr.kentel.local' }, { from: '*.stores.kentel.local' }] }))
      .toEqual([v('kentel.com'), r('yvr.kentel.local'), r('*.stores.kentel.local')]);
  });

  it('an address is looked up as its domain and the wildcards of its parents', () => {
    expect(lookupCandidates('a.mtl.kentel.local')).toEqual(['a.mtl.kentel.local', '*.mtl.kentel.local', '*.kentel.local']);
    expect(lookupCandidates('kentel.com')).toEqual(['kentel.com']);
  });
});

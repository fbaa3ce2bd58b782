import { describe, expect, it } from '@jest/globals';
import type { FieldProblem } from '../../src/common/errors/problem.js';
import { localRules } from '../../src/tenants/config-validator.js';
import { rewriteDomain } from '../../src/provisioning/fields/formats.js';
import { tenantConfig } from './provisioning/tenant-config.js';

/** A username rewrite that an earlier one always beats (the first matching rule wins) is named in a warning. */
describe('username rewrites that never apply', () => {
  const warningsFor = (rewrites: Array<{ from: string; to: string }>) => {
    const warnings: FieldProblem[] = [];
    localRules(tenantConfig({ usernameRewrites: rewrites }), warnings);
    return warnings.filter((w) => w.field.startsWith('usernameRewrites'));
  };
  const to = 'kentel.com';

  it('warns for a repeated source, a domain under an earlier wildcard, and a wildcard under an earlier one', () => {
    const rules = [
      { from: '*.corp.kentel.local', to }, { from: 'yvr.kentel.local', to }, { from: 'yvr.kentel.local', to },
      { from: 'a.corp.kentel.local', to }, { from: '*.b.corp.kentel.local', to }, { from: '*.corp.kentel.local', to },
    ];
    expect(warningsFor(rules)).toEqual([
      { field: 'usernameRewrites[2].from', reason: 'never applies: usernameRewrites[1] (from yvr.kentel.local) comes first and matches every address this one does (the first matching rule wins)' },
      { field: 'usernameRewrites[3].from', reason: 'never applies: usernameRewrites[0] (from *.corp.kentel.local) comes first and matches every address this one does (the first matching rule wins)' },
      { field: 'usernameRewrites[4].from', reason: 'never applies: usernameRewrites[0] (from *.corp.kentel.local) comes first and matches every address this one does (the first matching rule wins)' },
      { field: 'usernameRewrites[5].from', reason: 'never applies: usernameRewrites[0] (from *.corp.kentel.local) comes first and matches every address this one does (the first matching rule wins)' },
    ]);
    // What the warning says is what rewriting does: the later rule's addresses go by the earlier one.
    expect(rewriteDomain('x.b.corp.kentel.local', [{ from: '*.corp.kentel.local', to: 'first.com' }, { from: '*.b.corp.kentel.local', to: 'second.com' }])).toBe('first.com');
  });

  it('says nothing when each rule can apply: a wildcard does not take its own base, a specific rule before a wildcard', () => {
    expect(warningsFor([{ from: '*.corp.kentel.local', to }, { from: 'corp.kentel.local', to }])).toEqual([]);
    expect(warningsFor([{ from: 'a.corp.kentel.local', to }, { from: '*.corp.kentel.local', to }])).toEqual([]);
    expect(warningsFor([{ from: '*.b.corp.kentel.local', to }, { from: '*.corp.kentel.local', to }])).toEqual([]);
    expect(warningsFor([{ from: '*.xcorp.kentel.local', to }, { from: 'ycorp.kentel.local', to }])).toEqual([]);
  });
});

import { describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import type { AppConfig } from '../../src/config/app-config.js';
import { TenantRuntime } from '../../src/tenants/tenant-runtime.js';
import type { TenantsService } from '../../src/tenants/tenants.service.js';

/** The runtime cache's rules against a counting stand-in for its one query (the SQL itself runs in every e2e sign-in). */
function setup() {
  const reads: string[] = [];
  let failNext = false;
  const db = {
    query: async (_sql: string, [id, version]: [string, number]) => {
      reads.push(`${id}:${version}`);
      await new Promise((r) => setImmediate(r));
      if (failNext) {
        failNext = false;
        throw new Error('connection reset');
      }
      const config = { okta: { issuer: `https://${id}.example/oauth2/default`, clientSecretId: `secret-of-${id}` }, roles: { map: { Associate: `RQ-${version}` } } };
      return [{ slug: `slug-${id}`, status: 'active', config: JSON.stringify(config), secret_id: config.okta.clientSecretId }];
    },
  } as unknown as DataSource;
  const tenants = { openSecret: async (_id: string, secretId: string) => `opened:${secretId}` } as unknown as TenantsService;
  const runtime = new TenantRuntime(db, tenants, { env: { TENANT_CACHE_MAX: 1000 } } as unknown as AppConfig);
  return { runtime, reads, failNext: () => { failNext = true; } };
}

describe('TenantRuntime', () => {
  it('loads a version decoded, with its secret opened, and serves it again without reading', async () => {
    const s = setup();
    const first = await s.runtime.load({ id: 't1', version: 3 });
    expect(first).toEqual({
      id: 't1', slug: 'slug-t1', status: 'active', version: 3, clientSecret: 'opened:secret-of-t1',
      config: { okta: { issuer: 'https://t1.example/oauth2/default', clientSecretId: 'secret-of-t1' }, roles: { map: { Associate: 'RQ-3' } } },
    });
    expect(await s.runtime.load({ id: 't1', version: 3 })).toBe(first);
    expect(s.reads).toEqual(['t1:3']);
    expect((await s.runtime.load({ id: 't1', version: 4 })).config.roles.map.Associate).toBe('RQ-4');
    expect(s.reads).toEqual(['t1:3', 't1:4']);
  });

  it('concurrent first loads of one version share one read', async () => {
    const s = setup();
    const all = await Promise.all(Array.from({ length: 5 }, () => s.runtime.load({ id: 't1', version: 1 })));
    expect(s.reads).toEqual(['t1:1']);
    expect(new Set(all.map((t) => t.config.okta.issuer))).toEqual(new Set(['https://t1.example/oauth2/default']));
  });

  it('a tenant out of the decoded tier is decoded again from its stored text, not read again', async () => {
    const s = setup();
    const first = await s.runtime.load({ id: 't0', version: 1 });
    for (let i = 1; i <= 300; i++) await s.runtime.load({ id: `t${i}`, version: 1 });
    const again = await s.runtime.load({ id: 't0', version: 1 });
    expect(again).not.toBe(first);
    expect(again).toEqual(first);
    expect(s.reads.filter((r) => r === 't0:1')).toHaveLength(1);
  });

  it('a failed read is not kept: the next load reads again', async () => {
    const s = setup();
    s.failNext();
    await expect(s.runtime.load({ id: 't1', version: 1 })).rejects.toThrow('connection reset');
    expect((await s.runtime.load({ id: 't1', version: 1 })).slug).toBe('slug-t1');
    expect(s.reads).toEqual(['t1:1', 't1:1']);
  });
});

import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { World } from '../support/world.js';

/**
 * Reconciliation for tenants without SCIM: users not seen for the tenant's chosen period are flagged (not
 * deleted) and listed for the account manager; it is safe to run from several instances at once.
 */
describe('reconciliation of users not seen', () => {
  let w: World;
  let acmeId: string;

  const addUser = async (name: string, daysAgo: number | null) => {
    const id = randomUUID();
    await w.db.query(
      `INSERT INTO users (id, tenant_id, issuer, subject, username, username_key, last_login_at, created_at)
       VALUES ($1, $2, 'https://acme.example/oauth2/default', $3, $4, $4, CASE WHEN $5::int IS NULL THEN NULL ELSE now() - make_interval(days => $5::int) END, now() - interval '400 days')`,
      [id, acmeId, `00u${name}`, `${name}@acme.com`, daysAgo],
    );
    return id;
  };

  beforeAll(async () => {
    w = await World.start();
    await w.addTenant('acme', ['acme.com'], { lifecycle: { flagUnseenAfterDays: 30 } });
    await w.addTenant('plain', ['plain.com']);
    acmeId = (await w.db.query<{ id: string }>(`SELECT id FROM tenants WHERE slug = 'acme'`))[0]!.id;
  });
  afterAll(() => w?.close());

  it('flags users not seen for the period, lists them, never disables or deletes; clears the flag once they are seen', async () => {
    const stale = await addUser('stale', 45);
    const never = await addUser('never', null); // created long ago, never signed in
    await addUser('fresh', 3);
    const run = await w.service.admin('POST', '/admin/tenants/acme/reconciliation/run');
    expect(run.status).toBe(200);
    expect(run.body).toEqual({ tenantId: acmeId, ran: true, flagged: 2, cleared: 0 });

    const list = await w.service.admin('GET', '/admin/tenants/acme/reconciliation/unseen');
    expect(list.body.days).toBe(30);
    expect(list.body.users.map((u: { username: string }) => u.username)).toEqual(['never@acme.com', 'stale@acme.com']);
    expect(await w.db.query(`SELECT status FROM users WHERE id = ANY($1) ORDER BY status`, [[stale, never]])).toEqual([{ status: 'active' }, { status: 'active' }]);

    expect((await w.service.admin('POST', '/admin/tenants/acme/reconciliation/run')).body).toMatchObject({ flagged: 0, cleared: 0 });
    await w.db.query(`UPDATE users SET last_login_at = now() WHERE id = $1`, [stale]); // signs in again
    expect((await w.service.admin('GET', '/admin/tenants/acme/reconciliation/unseen')).body.users.map((u: { username: string }) => u.username)).toEqual(['never@acme.com']);
    expect((await w.service.admin('POST', '/admin/tenants/acme/reconciliation/run')).body).toMatchObject({ flagged: 0, cleared: 1 });
  });

  it('several instances at once: each user is flagged exactly once, the others skip the tenant', async () => {
    for (let i = 0; i < 20; i++) await addUser(`bulk${i}`, 60);
    const runs = await Promise.all(Array.from({ length: 4 }, () => w.service.admin('POST', '/admin/tenants/acme/reconciliation/run')));
    expect(runs.every((r) => r.status === 200)).toBe(true);
    expect(runs.reduce((n, r) => n + r.body.flagged, 0)).toBe(20);
    const [{ n }] = await w.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM users WHERE tenant_id = $1 AND username LIKE 'bulk%' AND unseen_flagged_at IS NOT NULL`, [acmeId]);
    expect(n).toBe(20);
  });

  it('a tenant that chose no period is refused with the reason', async () => {
    const r = await w.service.admin('POST', '/admin/tenants/plain/reconciliation/run');
    expect(r.status).toBe(422);
    expect(r.body.errors).toEqual([{ field: 'config.lifecycle.flagUnseenAfterDays', reason: 'is not set for this tenant, so nobody is flagged' }]);
  });
});

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { directoryMigrations } from '../../migrations/index.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { World } from '../support/world.js';

/**
 * Where training users are written is decided by operators and checked by the service: an account manager
 * cannot name a database by URL, and a database that is not a training database (this service's production
 * database, another application's) is refused before anything is created or written there.
 */
describe('training database: who names it, and what it may be', () => {
  let w: World;
  let foreign: TestDatabase;
  let empty: TestDatabase;
  let manager: string;
  const asManager = (method: string, path: string, body?: unknown) => w.service.admin(method, path, body, { 'x-admin-key': manager });
  const tablesOf = async (db: TestDatabase) =>
    (await db.query<{ t: string }>(`SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1`)).map((r) => r.t);

  beforeAll(async () => {
    w = await World.start();
    await w.addTenant('kentel', ['kentel.com'], { training: { enabled: true } });
    await w.addLocations('kentel', ['LOC-1']);
    foreign = await createTestDatabase('empty');
    await foreign.query(`CREATE TABLE orders (id int PRIMARY KEY)`);
    empty = await createTestDatabase('empty');
    const p = await w.service.admin('POST', '/admin/principals', { name: 'Mia Manager', role: 'manager', tenants: ['kentel'] });
    const c = await w.service.admin('POST', `/admin/principals/${p.body.id}/credentials`, { label: 'laptop', expiresInDays: 30 });
    manager = c.body.token;
  });
  afterAll(async () => {
    await w?.close();
    await foreign?.drop();
    await empty?.drop();
  });

  const namingUrl = async (url: string) => ({ config: { ...(await w.configOf('kentel')), training: { enabled: true, database: 'url' } }, trainingDatabaseUrl: url });

  it('an account manager cannot name a training database by URL, and changes the rest of training as before', async () => {
    const before = (await w.service.admin('GET', '/admin/tenants/kentel')).body.activeVersion;
    const body = await namingUrl(empty.url);
    for (const [method, path] of [['PUT', '/admin/tenants/kentel/config'], ['POST', '/admin/tenants/kentel/versions']] as const) {
      const res = await asManager(method, path, body);
      expect(res).toMatchObject({
        status: 403,
        body: { title: 'Forbidden', errors: [{ field: 'trainingDatabaseUrl', reason: 'only an operator may set it' }], detail: expect.stringMatching(/^Only an operator may name a training database by URL/) },
      });
    }
    const created = await asManager('POST', '/admin/tenants', {
      slug: 'newco', name: 'Newco', clientSecret: 'newco-secret', trainingDatabaseUrl: empty.url,
      config: { ...(await w.configOf('kentel')), domains: ['newco.com'], training: { enabled: true, database: 'url' } },
    });
    expect(created).toMatchObject({ status: 403, body: { errors: [{ field: 'trainingDatabaseUrl', reason: 'only an operator may set it' }] } });
    expect(await w.db.query(`SELECT 1 FROM tenants WHERE slug = 'newco'`)).toEqual([]);
    expect((await w.service.admin('GET', '/admin/tenants/kentel')).body.activeVersion).toBe(before);
    expect(await tablesOf(empty)).toEqual([]);
    // Everything else of training stays the manager's: here a training role mapping.
    const config = await w.configOf('kentel');
    const saved = await asManager('PUT', '/admin/tenants/kentel/config', { config: { ...config, training: { ...config.training, roles: { map: { Associate: 'RQ-Trainee' } } } } });
    expect(saved.status).toBe(200);
  });

  it("refuses this service's production database: nothing is created or written there", async () => {
    const tablesBefore = await tablesOf(w.db);
    const saved = await w.service.admin('PUT', '/admin/tenants/kentel/config', await namingUrl(w.db.url));
    expect(saved.status).toBe(200);
    const status = await w.service.admin('GET', '/admin/tenants/kentel/training');
    expect(status).toMatchObject({
      status: 200,
      body: { enabled: true, database: 'url', status: 'refused', detail: expect.stringMatching(/^The database this configuration names is not a training database: it holds this service's production schema\. Nothing was created or written there\./) },
    });
    const load = await w.service.admin('PUT', '/admin/tenants/kentel/training/locations', { locations: [{ externalId: 'TRN-ONLY', name: 'written via training' }] });
    expect(load).toMatchObject({ status: 409, body: { detail: expect.stringMatching(/is not a training database: it holds this service's production schema/) } });
    const reset = await w.service.admin('DELETE', '/admin/tenants/kentel/training/users');
    expect(reset.status).toBe(409);
    expect(await w.db.query(`SELECT external_id FROM locations ORDER BY 1`)).toEqual([{ external_id: 'LOC-1' }]);
    expect(await tablesOf(w.db)).toEqual(tablesBefore);
  });

  it("refuses another application's database (tables this service did not make): no table is created there", async () => {
    await w.service.admin('PUT', '/admin/tenants/kentel/config', await namingUrl(foreign.url));
    const status = await w.service.admin('GET', '/admin/tenants/kentel/training');
    expect(status.body).toMatchObject({ status: 'refused', detail: expect.stringContaining('not a training database: it holds 1 table(s) or view(s) that this service did not make.') });
    expect(await tablesOf(foreign)).toEqual(['orders']);
  });

  it("refuses a database whose schema_migrations is another tool's (no name column)", async () => {
    const rails = await createTestDatabase('empty');
    try {
      await rails.query(`CREATE TABLE schema_migrations (version text PRIMARY KEY)`);
      await w.service.admin('PUT', '/admin/tenants/kentel/config', await namingUrl(rails.url));
      const status = await w.service.admin('GET', '/admin/tenants/kentel/training');
      expect(status.body).toMatchObject({ status: 'refused', detail: expect.stringContaining("not a training database: its schema_migrations table is not this service's.") });
      expect(await tablesOf(rails)).toEqual(['schema_migrations']);
    } finally {
      await w.service.admin('PUT', '/admin/tenants/kentel/config', { config: { ...(await w.configOf('kentel')), training: { enabled: true, database: 'managed' } } });
      await rails.drop();
    }
  });

  it("refuses another application's database migrated with TypeORM too (a schema_migrations of the same shape)", async () => {
    const typeorm = await createTestDatabase('empty');
    try {
      await typeorm.query(`CREATE TABLE schema_migrations (id serial PRIMARY KEY, "timestamp" bigint NOT NULL, name varchar NOT NULL)`);
      await typeorm.query(`INSERT INTO schema_migrations ("timestamp", name) VALUES (1690000000000, 'CreateCustomers1690000000000')`);
      await typeorm.query(`CREATE TABLE customers (id int PRIMARY KEY)`);
      await w.service.admin('PUT', '/admin/tenants/kentel/config', await namingUrl(typeorm.url));
      const status = await w.service.admin('GET', '/admin/tenants/kentel/training');
      expect(status.body).toMatchObject({ status: 'refused', detail: expect.stringContaining("its schema_migrations table is not this service's") });
      expect(await tablesOf(typeorm)).toEqual(['customers', 'schema_migrations']);
      expect(await typeorm.query(`SELECT name FROM schema_migrations`)).toEqual([{ name: 'CreateCustomers1690000000000' }]);
    } finally {
      await w.service.admin('PUT', '/admin/tenants/kentel/config', { config: { ...(await w.configOf('kentel')), training: { enabled: true, database: 'managed' } } });
      await typeorm.drop();
    }
  });

  it('takes an empty database, migrates it with the directory schema only, and uses it', async () => {
    await w.service.admin('PUT', '/admin/tenants/kentel/config', await namingUrl(empty.url));
    const status = await w.service.admin('GET', '/admin/tenants/kentel/training');
    expect(status.body).toMatchObject({ status: 'available', schema: directoryMigrations.at(-1)!.name, users: 0, locations: 0 });
    expect(await tablesOf(empty)).toEqual(expect.arrayContaining(['locations', 'schema_migrations', 'user_locations', 'users']));
    expect(await tablesOf(empty)).not.toContain('tenants');
    const load = await w.service.admin('PUT', '/admin/tenants/kentel/training/locations', { locations: [{ externalId: 'TRN-1', name: 'Training store' }] });
    expect(load).toMatchObject({ status: 200, body: { added: ['TRN-1'] } });
    // Opened again after a newer version added a directory migration of its own (a rolling upgrade): still taken.
    // Named by another URL for the same database, so a new pool is opened and the database checked again.
    await empty.query(`INSERT INTO schema_migrations (timestamp, name) VALUES (1899999999999, 'FromANewerVersion1899999999999')`);
    await w.service.admin('PUT', '/admin/tenants/kentel/config', await namingUrl(`${empty.url}?sslmode=disable`));
    expect((await w.service.admin('GET', '/admin/tenants/kentel/training')).body).toMatchObject({ status: 'available', schema: 'FromANewerVersion1899999999999', locations: 1 });
  });
});

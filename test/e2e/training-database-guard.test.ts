import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { directoryMigrations } from '../../migrations/index.js';
import { managedDatabaseName } from '../../src/database/managed-database-name.js';
import { adminUrl, withDatabase } from '../support/database-urls.js';
import { startSecondPostgres, type SecondPostgres } from '../support/second-postgres.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { World } from '../support/world.js';

/** One statement on a server as its superuser, outside the database it is about (ALTER DATABASE, and the like). */
async function onServer(url: string, sql: string): Promise<Array<Record<string, unknown>>> {
  const client = new pg.Client(url);
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

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

  /** A save naming `url`, refused at the save with the reason, nothing saved: the check runs before anything is stored. */
  async function refusedAtSave(url: string, reason: string) {
    const before = (await w.service.admin('GET', '/admin/tenants/kentel')).body.activeVersion;
    const saved = await w.service.admin('PUT', '/admin/tenants/kentel/config', await namingUrl(url));
    expect([saved.status, saved.body.errors]).toEqual([422, [{ field: 'trainingDatabaseUrl', reason: `is not a training database: ${reason}; name an empty database, or one only this service's training schema is in` }]]);
    expect((await w.service.admin('GET', '/admin/tenants/kentel')).body.activeVersion).toBe(before);
  }

  it("refuses this service's production database at the save: nothing is created or written there", async () => {
    const tablesBefore = await tablesOf(w.db);
    await refusedAtSave(w.db.url, "it holds this service's production schema");
    const draft = await w.service.admin('POST', '/admin/tenants/kentel/versions', await namingUrl(w.db.url));
    expect(draft.status).toBe(422);
    expect(await w.db.query(`SELECT external_id FROM locations ORDER BY 1`)).toEqual([{ external_id: 'LOC-1' }]);
    expect(await tablesOf(w.db)).toEqual(tablesBefore);
  });

  it("refuses another application's database at the save, and again at first use if it became one after the save", async () => {
    await refusedAtSave(foreign.url, 'it holds 1 table(s) or view(s) that this service did not make');
    expect(await tablesOf(foreign)).toEqual(['orders']);
    // Empty when saved, someone else's by the time training is used: the guard before migrating refuses it.
    const later = await createTestDatabase('empty');
    try {
      expect((await w.service.admin('PUT', '/admin/tenants/kentel/config', await namingUrl(later.url))).status).toBe(200);
      await later.query(`CREATE TABLE invoices (id int PRIMARY KEY)`);
      const status = await w.service.admin('GET', '/admin/tenants/kentel/training');
      expect(status).toMatchObject({
        status: 200,
        body: { enabled: true, database: 'url', status: 'refused', detail: expect.stringMatching(/^The database this configuration names is not a training database: it holds 1 table\(s\) or view\(s\) that this service did not make\. Nothing was created or written there\./) },
      });
      const load = await w.service.admin('PUT', '/admin/tenants/kentel/training/locations', { locations: [{ externalId: 'TRN-ONLY', name: 'written via training' }] });
      expect(load).toMatchObject({ status: 409, body: { detail: expect.stringMatching(/is not a training database: it holds 1 table/) } });
      expect((await w.service.admin('DELETE', '/admin/tenants/kentel/training/users')).status).toBe(409);
      expect(await tablesOf(later)).toEqual(['invoices']);
    } finally {
      await w.service.admin('PUT', '/admin/tenants/kentel/config', { config: { ...(await w.configOf('kentel')), training: { enabled: true, database: 'managed' } } });
      await later.drop();
    }
  });

  it("refuses a database whose schema_migrations is another tool's (no name column)", async () => {
    const rails = await createTestDatabase('empty');
    try {
      await rails.query(`CREATE TABLE schema_migrations (version text PRIMARY KEY)`);
      await refusedAtSave(rails.url, "its schema_migrations table is not this service's");
      expect(await tablesOf(rails)).toEqual(['schema_migrations']);
    } finally {
      await rails.drop();
    }
  });

  it("refuses another application's database migrated with TypeORM too (a schema_migrations of the same shape)", async () => {
    const typeorm = await createTestDatabase('empty');
    try {
      await typeorm.query(`CREATE TABLE schema_migrations (id serial PRIMARY KEY, "timestamp" bigint NOT NULL, name varchar NOT NULL)`);
      await typeorm.query(`INSERT INTO schema_migrations ("timestamp", name) VALUES (1690000000000, 'CreateCustomers1690000000000')`);
      await typeorm.query(`CREATE TABLE customers (id int PRIMARY KEY)`);
      await refusedAtSave(typeorm.url, "its schema_migrations table is not this service's");
      expect(await tablesOf(typeorm)).toEqual(['customers', 'schema_migrations']);
      expect(await typeorm.query(`SELECT name FROM schema_migrations`)).toEqual([{ name: 'CreateCustomers1690000000000' }]);
    } finally {
      await typeorm.drop();
    }
  });

  it('saves a database it cannot reach now, with a warning (it may not exist yet); training says unavailable', async () => {
    const unreachable = 'postgres://postgres@127.0.0.1:1/nowhere';
    const saved = await w.service.admin('PUT', '/admin/tenants/kentel/config', await namingUrl(unreachable));
    expect(saved.status).toBe(200);
    expect(saved.body.warnings).toContainEqual({ field: 'trainingDatabaseUrl', reason: expect.stringMatching(/^could not be reached to check it now \(Error \(ECONNREFUSED\)\); training sign-ins check it again/) });
    expect(JSON.stringify(saved.body)).not.toContain('postgres://'); // the write-only URL (only its databaseTarget shows)
    expect((await w.service.admin('GET', '/admin/tenants/kentel/training')).body.status).toBe('unavailable');
    await w.service.admin('PUT', '/admin/tenants/kentel/config', { config: { ...(await w.configOf('kentel')), training: { enabled: true, database: 'managed' } } });
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

  it("refuses a template database and Postgres' own databases at the save, and a database made a template after the save at first use", async () => {
    await refusedAtSave(withDatabase('template1'), 'it is a template database (template1), copied into every database created from it');
    await refusedAtSave(withDatabase('postgres'), "it is one of Postgres' own databases (postgres)");
    const later = await createTestDatabase('empty');
    try {
      expect((await w.service.admin('PUT', '/admin/tenants/kentel/config', await namingUrl(later.url))).status).toBe(200);
      await onServer(adminUrl(), `ALTER DATABASE ${later.name} IS_TEMPLATE true`);
      const reason = `it is a template database (${later.name}), copied into every database created from it`;
      const status = await w.service.admin('GET', '/admin/tenants/kentel/training');
      expect(status).toMatchObject({ status: 200, body: { status: 'refused', detail: expect.stringContaining(`is not a training database: ${reason}. Nothing was created or written there.`) } });
      await refusedAtSave(later.url, reason);
      expect(await tablesOf(later)).toEqual([]);
    } finally {
      await w.service.admin('PUT', '/admin/tenants/kentel/config', { config: { ...(await w.configOf('kentel')), training: { enabled: true, database: 'managed' } } });
      await onServer(adminUrl(), `ALTER DATABASE ${later.name} IS_TEMPLATE false`);
      await later.drop();
    }
  });

  it("binds a training database to one tenant: another tenant's is refused at the save and at first use, for URL and managed databases alike", async () => {
    await w.addTenant('bravo', ['bravo.com'], { training: { enabled: true } });
    const tenantId = async (slug: string) => (await w.service.admin('GET', `/admin/tenants/${slug}`)).body.id as string;
    const [kentelId, bravoId] = [await tenantId('kentel'), await tenantId('bravo')];
    const bravoNaming = async (url: string) => w.service.admin('PUT', '/admin/tenants/bravo/config', { config: { ...(await w.configOf('bravo')), training: { enabled: true, database: 'url' } }, trainingDatabaseUrl: url });
    const bravoRefused = async (url: string, reason: string) => {
      const saved = await bravoNaming(url);
      expect([saved.status, saved.body.errors]).toEqual([422, [{ field: 'trainingDatabaseUrl', reason: `is not a training database: ${reason}; name an empty database, or one only this service's training schema is in` }]]);
    };
    const shared = await createTestDatabase('empty');
    try {
      // Both name it while it is nobody's; the first to use it has it.
      expect((await w.service.admin('PUT', '/admin/tenants/kentel/config', await namingUrl(shared.url))).status).toBe(200);
      expect((await bravoNaming(shared.url)).status).toBe(200);
      expect((await w.service.admin('GET', '/admin/tenants/kentel/training')).body).toMatchObject({ status: 'available' });
      expect(await shared.query(`SELECT tenant_id FROM training_owner`)).toEqual([{ tenant_id: kentelId }]);
      expect((await w.service.admin('PUT', '/admin/tenants/kentel/training/locations', { locations: [{ externalId: 'TRN-K', name: "Kentel's training store" }] })).status).toBe(200);

      const reason = 'it is the training database of another tenant';
      expect((await w.service.admin('GET', '/admin/tenants/bravo/training')).body).toMatchObject({ status: 'refused', detail: expect.stringContaining(`is not a training database: ${reason}.`) });
      expect((await w.service.admin('GET', '/admin/tenants/bravo/training/locations')).status).toBe(409);
      await bravoRefused(shared.url, reason);
      const created = await w.service.admin('POST', '/admin/tenants', {
        slug: 'newco', name: 'Newco', clientSecret: 'newco-secret', trainingDatabaseUrl: shared.url,
        config: { ...(await w.configOf('kentel')), domains: ['newco.com'], training: { enabled: true, database: 'url' } },
      });
      expect([created.status, created.body.errors]).toEqual([422, [{ field: 'trainingDatabaseUrl', reason: `is not a training database: ${reason}; name an empty database, or one only this service's training schema is in` }]]);

      // A training database from before they were marked: the tenant whose rows it holds has it, and claims it at its next use.
      await shared.query(`DROP TABLE training_owner; DELETE FROM schema_migrations WHERE name = 'TrainingOwner1796380000000'`);
      await bravoRefused(shared.url, 'it holds training users or locations of another tenant');
      await w.service.admin('PUT', '/admin/tenants/kentel/config', await namingUrl(`${shared.url}?sslmode=disable`)); // a new pool: opened and checked again
      expect((await w.service.admin('GET', '/admin/tenants/kentel/training')).body).toMatchObject({ status: 'available', locations: 1 });
      expect(await shared.query(`SELECT tenant_id FROM training_owner`)).toEqual([{ tenant_id: kentelId }]);
      expect(await shared.query(`SELECT DISTINCT tenant_id FROM locations`)).toEqual([{ tenant_id: kentelId }]);

      // A managed training database is its tenant's alone, too.
      await w.service.admin('PUT', '/admin/tenants/kentel/config', { config: { ...(await w.configOf('kentel')), training: { enabled: true, database: 'managed' } } });
      expect((await w.service.admin('GET', '/admin/tenants/kentel/training')).body).toMatchObject({ status: 'available' });
      const managed = withDatabase(managedDatabaseName(w.db.name, kentelId));
      await bravoRefused(managed, 'it is the managed training database of another tenant');
      expect((await bravoNaming(withDatabase(managedDatabaseName(w.db.name, bravoId)))).body.warnings).toContainEqual({ field: 'trainingDatabaseUrl', reason: expect.stringMatching(/^could not be reached to check it now \(error \(3D000\)\)/i) });
    } finally {
      await w.service.admin('PUT', '/admin/tenants/kentel/config', { config: { ...(await w.configOf('kentel')), training: { enabled: true, database: 'managed' } } });
      await w.service.admin('PUT', '/admin/tenants/bravo/config', { config: { ...(await w.configOf('bravo')), training: { enabled: false, database: 'managed' } } });
      await shared.drop();
    }
  });
});

/**
 * A managed training database is created from template0, never template1: whatever someone put in template1
 * (another tenant's training rows, written there before template databases were refused) is never copied into it.
 */
describe('managed training databases, on a server whose template1 is not clean', () => {
  let w: World;
  let pg2: SecondPostgres;

  beforeAll(async () => {
    pg2 = await startSecondPostgres();
    await onServer(pg2.url('template1'), `CREATE TABLE users (id uuid PRIMARY KEY, tenant_id uuid, username text); INSERT INTO users VALUES (gen_random_uuid(), gen_random_uuid(), 'leaked@bravo.com')`);
    w = await World.start({ TRAINING_DATABASES_URL: pg2.url('postgres') });
  });
  afterAll(async () => {
    await w?.close();
    await pg2?.dispose();
  });

  it("creates the tenant's training database empty, and uses it", async () => {
    await w.addTenant('kentel', ['kentel.com'], { training: { enabled: true, database: 'managed' } });
    const kentelId = (await w.service.admin('GET', '/admin/tenants/kentel')).body.id as string;
    const status = await w.service.admin('GET', '/admin/tenants/kentel/training');
    expect(status.body).toMatchObject({ status: 'available', users: 0, locations: 0 });
    const training = pg2.url(managedDatabaseName(w.db.name, kentelId));
    expect(await onServer(training, `SELECT username FROM users`)).toEqual([]);
    expect(await onServer(training, `SELECT tenant_id FROM training_owner`)).toEqual([{ tenant_id: kentelId }]);
  });
});

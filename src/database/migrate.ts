import { DataSource, type MigrationInterface } from 'typeorm';
import { controlMigrations, directoryMigrations } from '../../migrations/index.js';
import { isAnotherTenantsManagedName } from './managed-database-name.js';

type MigrationClass = new () => MigrationInterface;

/** Which schema a database holds: the production database holds both; a training database only the directory. */
export type SchemaKind = 'control' | 'directory';

export function migrationsFor(kind: SchemaKind): MigrationClass[] {
  const list = kind === 'control' ? [...controlMigrations, ...directoryMigrations] : [...directoryMigrations];
  return list.sort((a, b) => timestampOf(a) - timestampOf(b));
}

function timestampOf(m: MigrationClass): number {
  const match = /(\d{13})$/.exec(m.name);
  if (!match) throw new Error(`Migration class ${m.name} must end in a 13-digit timestamp`);
  return Number(match[1]);
}

/** A database named as a training database that is something else: nothing is created or written there. */
export class NotATrainingDatabase extends Error {
  constructor(readonly reason: string) {
    super(`Not a training database: ${reason}`);
  }
}

/**
 * Runs pending migrations under a Postgres advisory lock held on its own connection, so any number of
 * instances may start at once: the first migrates, the others wait and then find nothing to do.
 * A directory (training) database is opened for one tenant: it must first prove it is a training database that
 * tenant may use (see assertTrainingDatabase), and is then marked as that tenant's (claimTrainingDatabase).
 */
export async function migrateUnderLock(ds: DataSource, kind: SchemaKind, trainingTenant?: string): Promise<void> {
  if (kind === 'directory' && !trainingTenant) throw new Error('A training database is opened for a tenant');
  const runner = ds.createQueryRunner();
  await runner.connect();
  try {
    await runner.query(`SELECT pg_advisory_lock(hashtext('iqsso:migrations'))`);
    if (kind === 'directory') await assertTrainingDatabase(runner, trainingTenant!);
    await ds.runMigrations({ transaction: 'each' });
    if (kind === 'directory') await claimTrainingDatabase(runner, trainingTenant!);
  } finally {
    await runner.query(`SELECT pg_advisory_unlock(hashtext('iqsso:migrations'))`).catch(() => undefined);
    await runner.release();
  }
}

type Queryable = { query(sql: string, params?: unknown[]): Promise<any[]> };

const RELATIONS_OUTSIDE_CATALOGS = `SELECT count(*)::int AS n FROM pg_class c JOIN pg_namespace ns ON ns.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND ns.nspname <> 'information_schema' AND ns.nspname !~ '^pg_'`;

/** Postgres' own databases: the maintenance database and the templates every CREATE DATABASE copies. */
const SYSTEM_DATABASES = new Set(['postgres', 'template0', 'template1']);

/**
 * A training database is where this service writes one tenant's training users, so it must be one: empty
 * (nothing but Postgres' catalogs), or holding only what the directory migrations made, and no other tenant's.
 * Refused: a template database (what is written there is copied into every database created from it) and
 * Postgres' own databases; the production database of this or another deployment (its schema_migrations lists
 * control migrations); any other application's database (tables not made by this service); and the training
 * database of another tenant (marked as that tenant's, holding its users or locations, or named as its managed
 * one). `tenantId` null: a tenant not created yet, which no database belongs to. So a mistyped or hostile URL never
 * has tables created or users written in a database that is not this tenant's training database.
 */
export async function assertTrainingDatabase(runner: Queryable, tenantId: string | null): Promise<void> {
  const [db] = await runner.query(`SELECT datname AS name, datistemplate AS template FROM pg_database WHERE datname = current_database()`);
  if (db.template) throw new NotATrainingDatabase(`it is a template database (${db.name}), copied into every database created from it`);
  if (SYSTEM_DATABASES.has(db.name)) throw new NotATrainingDatabase(`it is one of Postgres' own databases (${db.name})`);
  if (isAnotherTenantsManagedName(db.name, tenantId)) throw new NotATrainingDatabase('it is the managed training database of another tenant');
  if (await holdsDirectorySchema(runner)) await assertNotAnotherTenants(runner, tenantId);
}

/** Whether the database holds this service's directory schema (false: it is empty); refused if it holds anything else. */
async function holdsDirectorySchema(runner: Queryable): Promise<boolean> {
  // schema_migrations as TypeORM finds it: through the connection's search_path (where it creates the tables).
  const [{ present }] = await runner.query(`SELECT to_regclass('schema_migrations') IS NOT NULL AS present`);
  let names: string[] = [];
  if (present) {
    try {
      names = (await runner.query(`SELECT name FROM schema_migrations`)).map((r: { name: unknown }) => String(r.name));
    } catch {
      throw new NotATrainingDatabase('its schema_migrations table is not this service\'s');
    }
  }
  if (names.length === 0) {
    // Empty: nothing but the catalogs (and at most an empty schema_migrations, left by a first migration that failed).
    const [{ n }] = await runner.query(RELATIONS_OUTSIDE_CATALOGS);
    const foreign = n - (present ? 1 : 0);
    if (foreign > 0) throw new NotATrainingDatabase(`it holds ${foreign} table(s) or view(s) that this service did not make`);
    return false;
  }
  const directory = new Set(directoryMigrations.map((m) => m.name));
  const control = new Set(controlMigrations.map((m) => m.name));
  if (names.some((n) => control.has(n))) throw new NotATrainingDatabase("it holds this service's production schema");
  // Another application migrated with TypeORM too: its table has this shape, but not this service's first migration.
  if (!names.includes(directoryMigrations[0]!.name)) throw new NotATrainingDatabase("its schema_migrations table is not this service's");
  // A name this version does not know but of this service's form is a newer version's directory migration (rolling upgrade).
  if (names.some((n) => !directory.has(n) && !/^[A-Za-z]\w*\d{13}$/.test(n))) throw new NotATrainingDatabase("its schema_migrations table is not this service's");
  return true;
}

/**
 * A training database belongs to the tenant it is marked for (training_owner). One made before databases were
 * marked belongs to the tenant whose users and locations it holds: any other tenant's rows refuse it.
 */
async function assertNotAnotherTenants(runner: Queryable, tenantId: string | null): Promise<void> {
  const [{ marked }] = await runner.query(`SELECT to_regclass('training_owner') IS NOT NULL AS marked`);
  const [owner] = marked ? await runner.query(`SELECT tenant_id FROM training_owner`) : [];
  if (owner && owner.tenant_id !== tenantId) throw new NotATrainingDatabase('it is the training database of another tenant');
  if (owner) return;
  const other = await runner.query(
    `SELECT 1 FROM (SELECT tenant_id FROM users UNION ALL SELECT tenant_id FROM locations) t WHERE t.tenant_id IS DISTINCT FROM $1::uuid LIMIT 1`,
    [tenantId],
  );
  if (other.length > 0) throw new NotATrainingDatabase('it holds training users or locations of another tenant');
}

/** Marks a training database as the tenant's, the first time the tenant opens it (under the migration lock, after assertTrainingDatabase). */
async function claimTrainingDatabase(runner: Queryable, tenantId: string): Promise<void> {
  await runner.query(`INSERT INTO training_owner (tenant_id) VALUES ($1) ON CONFLICT (singleton) DO NOTHING`, [tenantId]);
}

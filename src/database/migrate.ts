import { DataSource, type MigrationInterface } from 'typeorm';
import { controlMigrations, directoryMigrations } from '../../migrations/index.js';

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

/**
 * Runs pending migrations under a Postgres advisory lock held on its own connection, so any number of
 * instances may start at once: the first migrates, the others wait and then find nothing to do.
 */
export async function migrateUnderLock(ds: DataSource): Promise<void> {
  const runner = ds.createQueryRunner();
  await runner.connect();
  try {
    await runner.query(`SELECT pg_advisory_lock(hashtext('iqsso:migrations'))`);
    await ds.runMigrations({ transaction: 'each' });
  } finally {
    await runner.query(`SELECT pg_advisory_unlock(hashtext('iqsso:migrations'))`).catch(() => undefined);
    await runner.release();
  }
}

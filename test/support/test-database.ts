import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openDatabase } from '../../src/database/data-source.js';
import { TEMPLATE_DB, adminUrl, withDatabase } from './database-urls.js';

export interface TestDatabase {
  name: string;
  url: string;
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  drop(): Promise<void>;
}

let templateReady: Promise<void> | undefined;

/**
 * Once per test run (whichever worker gets there first, under an advisory lock): a database migrated from
 * scratch, marked with the run id, that every test clones.
 */
function ensureTemplate(): Promise<void> {
  templateReady ??= (async () => {
    const admin = new pg.Client(adminUrl());
    await admin.connect();
    try {
      await admin.query(`SELECT pg_advisory_lock(hashtext('iqsso-test-template'))`);
      const marked = await admin.query(`SELECT shobj_description(oid, 'pg_database') AS note FROM pg_database WHERE datname = $1`, [TEMPLATE_DB]);
      if (marked.rows[0]?.note !== 'migrated') {
        await admin.query(`DROP DATABASE IF EXISTS ${TEMPLATE_DB} WITH (FORCE)`);
        await admin.query(`CREATE DATABASE ${TEMPLATE_DB}`);
        const ds = await openDatabase(withDatabase(TEMPLATE_DB), 'control', 2);
        await ds.destroy();
        await admin.query(`COMMENT ON DATABASE ${TEMPLATE_DB} IS 'migrated'`);
      }
    } finally {
      await admin.query(`SELECT pg_advisory_unlock(hashtext('iqsso-test-template'))`).catch(() => undefined);
      await admin.end();
    }
  })();
  return templateReady;
}

/** A fresh, already-migrated database cloned from the run's template (fast: a file copy). */
export async function createTestDatabase(kind: 'control' | 'empty' = 'control'): Promise<TestDatabase> {
  if (kind === 'control') await ensureTemplate();
  const name = `iqsso_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client(adminUrl());
  await admin.connect();
  try {
    await admin.query(kind === 'control' ? `CREATE DATABASE ${name} TEMPLATE ${TEMPLATE_DB}` : `CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = withDatabase(name);
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  // An idle test connection terminated by the server (57P01, e.g. a test restarting a cluster) must not crash the file.
  pool.on('error', () => undefined);
  return {
    name,
    url,
    query: async (sql, params) => (await pool.query(sql, params)).rows,
    drop: async () => {
      await pool.end();
      const a = new pg.Client(adminUrl());
      await a.connect();
      try {
        // With it, the managed training databases the service created beside it (<name>_trn_<tenant>).
        const training = await a.query(`SELECT datname FROM pg_database WHERE datname LIKE $1`, [`${name}\\_trn\\_%`]);
        for (const { datname } of training.rows) await a.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(datname)} WITH (FORCE)`);
        await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await a.end();
      }
    },
  };
}

import type { DataSource } from 'typeorm';
import { isDatabaseUnavailable } from '../common/errors/database-errors.js';

interface PgClient {
  query(config: string | { name?: string; text: string; values?: unknown[] }, values?: unknown[]): Promise<{ rows: unknown[] }>;
  release(err?: Error): void;
}
interface PgPool {
  query(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: unknown[] }>;
  connect(): Promise<PgClient>;
}

/** The pg pool under a TypeORM Postgres data source; anything else (another driver, a stand-in) gets plain queries. */
function poolOf(ds: DataSource): PgPool | undefined {
  const d = ds as Partial<Pick<DataSource, 'driver' | 'options'>>;
  const pool = (d.driver as unknown as { master?: PgPool } | undefined)?.master;
  return d.options?.type === 'postgres' && pool && typeof pool.query === 'function' && typeof pool.connect === 'function' ? pool : undefined;
}

/**
 * Runs a hot-path statement as a named prepared statement on the data source's pg pool: Postgres parses and
 * plans it once per connection instead of at every sign-in (the provisioning statement is large; measured
 * prepared at a fraction of its cost sent as text, see the README). Still one round trip, no entity hydration.
 */
export async function preparedQuery<T>(ds: DataSource, name: string, text: string, values: unknown[]): Promise<T[]> {
  const pool = poolOf(ds);
  if (!pool) return ds.query(text, values);
  return (await pool.query({ name, text, values })).rows as T[];
}

/** The same statement in a transaction that first takes `lock` (a SELECT … FOR UPDATE), for reruns after a lost race. */
export async function preparedUnderLock<T>(ds: DataSource, lock: { text: string; values: unknown[] }, name: string, text: string, values: unknown[]): Promise<T[]> {
  const pool = poolOf(ds);
  if (!pool) {
    return ds.transaction(async (m) => {
      await m.query(lock.text, lock.values);
      return m.query(text, values);
    });
  }
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    await client.query(lock.text, lock.values);
    const result = await client.query({ name, text, values });
    await client.query('COMMIT');
    return result.rows as T[];
  } catch (e) {
    if (isDatabaseUnavailable(e)) broken = e as Error;
    else await client.query('ROLLBACK').catch((err: Error) => { broken = err; });
    throw e;
  } finally {
    client.release(broken);
  }
}

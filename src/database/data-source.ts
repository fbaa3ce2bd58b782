import { DataSource, type DataSourceOptions } from 'typeorm';
import { entities } from './entities.js';
import { migrateUnderLock, migrationsFor, type SchemaKind } from './migrate.js';

export function dataSourceOptions(url: string, kind: SchemaKind, poolSize = 20, applicationName = 'iqsso'): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities: kind === 'control' ? entities : [],
    migrations: migrationsFor(kind),
    migrationsTableName: 'schema_migrations',
    synchronize: false,
    migrationsRun: false,
    // Never on: TypeORM's logger prints a failed query with its parameters (nonces, PKCE verifiers, sealed
    // secrets). Failures reach the logs only through pino, whose error serializer drops them (common/logging).
    logging: false,
    extra: { max: poolSize, connectionTimeoutMillis: 5000, idleTimeoutMillis: 30000, application_name: applicationName },
  };
}

/** Connects and brings the schema up to date (under the migration lock); a directory database for its training tenant. */
export async function openDatabase(url: string, kind: SchemaKind, poolSize?: number, applicationName?: string, trainingTenant?: string): Promise<DataSource> {
  const ds = await new DataSource(dataSourceOptions(url, kind, poolSize, applicationName)).initialize();
  try {
    await migrateUnderLock(ds, kind, trainingTenant);
  } catch (e) {
    await ds.destroy();
    throw e;
  }
  return ds;
}

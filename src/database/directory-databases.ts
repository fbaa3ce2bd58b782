import { createHash } from 'node:crypto';
import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { isDatabaseUnavailable } from '../common/errors/database-errors.js';
import { AccessDenied, TemporarilyUnavailable } from '../common/errors/oauth-errors.js';
import { AppConfig } from '../config/app-config.js';
import { openDatabase } from './data-source.js';
import { managedDatabaseName } from './managed-database-name.js';
import { NotATrainingDatabase, assertTrainingDatabase } from './migrate.js';


export type Environment = 'production' | 'training';

/** The URL of the production database, as the service was started with it. */
export const PRODUCTION_DATABASE_URL = Symbol('PRODUCTION_DATABASE_URL');

/** Where a tenant's training users live, per its configuration in force. */
export type TrainingTarget =
  | { enabled: false }
  | { enabled: true; database: 'managed' }
  | { enabled: true; database: 'url'; url: string };

/** Reads a tenant's training configuration in force (registered by the training module). */
export type TrainingTargetResolver = (tenantId: string) => Promise<TrainingTarget>;

/** A training sign-in (or token) for a tenant whose training environment is off. */
export class TrainingDisabled extends AccessDenied {
  constructor() {
    super('Training sign-in is not enabled for this organization.');
  }
}

/** The tenant's training database cannot be reached or used. Production is not affected. */
export class TrainingDatabaseUnavailable extends TemporarilyUnavailable {
  /** Recognised by isDatabaseUnavailable: nothing can be read or written there now. */
  readonly databaseUnavailable = true;
  constructor() {
    super("This organization's training database is not available right now; production sign-in is not affected. Try training again later.");
  }
}

/**
 * The database a tenant's configuration names for training is not one (production's, or another
 * application's: see assertTrainingDatabase); nothing was created or written there. To the user it is
 * unavailable like any other; the account manager's status view says why.
 */
export class TrainingDatabaseRefused extends TrainingDatabaseUnavailable {
  constructor(readonly reason: string) {
    super();
  }
}

interface OpenPool {
  /** Which database this pool is for (hash of the URL): a configuration naming another one replaces the pool. */
  key: string;
  ready: Promise<DataSource>;
  lastUsed: number;
}

/**
 * A training database that cannot be used: not there right now (as for production, isDatabaseUnavailable),
 * or misconfigured in a way only its operator can fix (no such database, credentials refused).
 */
export function isConnectionFailure(e: unknown): boolean {
  if (e instanceof TrainingDatabaseUnavailable || isDatabaseUnavailable(e)) return true;
  for (let cur = e as { code?: unknown; message?: unknown; driverError?: unknown } | undefined, depth = 0; cur && depth < 4; depth++) {
    if (typeof cur.code === 'string' && /^(08|57P|3D000|28|53)|^(EHOSTUNREACH|ENETUNREACH)$/.test(cur.code)) return true;
    if (typeof cur.message === 'string' && /Cannot use a pool after calling end|Connection is not established/i.test(cur.message)) return true;
    cur = cur.driverError as typeof cur;
  }
  return false;
}

/**
 * Where a tenant's users live, per environment. Production: the main database (directory and control
 * schema together). Training: the tenant's own training database, holding the directory schema only.
 * Audits always live with production (ProvisioningService writes them to the main database).
 *
 * Training databases get one pool per tenant, bounded (TRAINING_POOL_SIZE connections per instance),
 * opened on first use with the directory migrations run under the advisory lock, closed after
 * TRAINING_POOL_IDLE_S without use, and replaced (the old one closed) as soon as the tenant's configuration
 * names another database. At most TRAINING_MAX_OPEN_DATABASES are open at once (least recently used closed).
 * A training database that is down costs only training: its failures surface as TrainingDatabaseUnavailable.
 */
@Injectable()
export class DirectoryDatabases implements OnModuleDestroy {
  private readonly log = new Logger(DirectoryDatabases.name);
  private readonly pools = new Map<string, OpenPool>();
  private readonly ensured = new Map<string, Promise<void>>();
  private resolver: TrainingTargetResolver = async () => ({ enabled: false });
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly production: DataSource,
    private readonly config: AppConfig,
    @Inject(PRODUCTION_DATABASE_URL) private readonly productionUrl: string,
  ) {
    const idleMs = this.config.env.TRAINING_POOL_IDLE_S * 1000;
    this.sweeper = setInterval(() => void this.closeIdle(idleMs), Math.min(idleMs, 60_000)).unref();
  }

  setTrainingResolver(resolver: TrainingTargetResolver): void {
    this.resolver = resolver;
  }

  async forEnvironment(tenantId: string, environment: Environment): Promise<DataSource> {
    if (environment === 'production') return this.production;
    const target = await this.locate(tenantId);
    if (!target) {
      await this.close(tenantId);
      throw new TrainingDisabled();
    }
    let pool = this.pools.get(tenantId);
    if (pool && pool.key !== target.key) {
      this.log.log({ tenantId }, 'Training database configuration changed: closing the previous pool');
      await this.close(tenantId);
      pool = undefined;
    }
    if (!pool) {
      await this.makeRoom();
      const ready = this.open(tenantId, target.url, target.managed);
      pool = { key: target.key, ready, lastUsed: Date.now() };
      this.pools.set(tenantId, pool);
      const opened = pool;
      ready.catch(() => {
        if (this.pools.get(tenantId) === opened) this.pools.delete(tenantId);
      });
    }
    pool.lastUsed = Date.now();
    return pool.ready;
  }

  /**
   * A tenant's configuration was saved: its open pool is closed at once if training is now off or names
   * another database. (Other instances notice at their next training use, or close the pool when idle.)
   */
  async configurationChanged(tenantId: string): Promise<void> {
    const pool = this.pools.get(tenantId);
    if (!pool) return;
    const target = await this.locate(tenantId).catch(() => undefined);
    if (!target || target.key !== pool.key) await this.close(tenantId);
  }

  /** Opens the directory and proves it answers now: training sign-ins check this before sending anyone to Okta. */
  async check(tenantId: string, environment: Environment): Promise<void> {
    const db = await this.forEnvironment(tenantId, environment);
    if (environment === 'training') await db.query('SELECT 1');
  }

  /** Closes training pools not used for `idleMs` (the sweeper runs this every minute at most). */
  async closeIdle(idleMs: number): Promise<number> {
    const now = Date.now();
    const idle = [...this.pools].filter(([, p]) => now - p.lastUsed >= idleMs).map(([tenantId]) => tenantId);
    await Promise.all(idle.map((t) => this.close(t)));
    return idle.length;
  }

  /** Closes a tenant's training pool, if open (in-flight queries finish first). */
  async close(tenantId: string): Promise<void> {
    const pool = this.pools.get(tenantId);
    if (!pool) return;
    this.pools.delete(tenantId);
    const ds = await pool.ready.catch(() => undefined);
    await ds?.destroy().catch((e: unknown) => this.log.warn({ err: e, tenantId }, 'Closing a training pool failed'));
  }

  /** Open training pools: which tenant, and the bound of each (for the status endpoint and tests). */
  openPools(): Array<{ tenantId: string; maxConnections: number; idleSeconds: number }> {
    const now = Date.now();
    return [...this.pools].map(([tenantId, p]) => ({
      tenantId, maxConnections: this.config.env.TRAINING_POOL_SIZE, idleSeconds: Math.floor((now - p.lastUsed) / 1000),
    }));
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.sweeper);
    await Promise.all([...this.pools.keys()].map((t) => this.close(t)));
  }

  private async makeRoom(): Promise<void> {
    const max = this.config.env.TRAINING_MAX_OPEN_DATABASES;
    while (this.pools.size >= max) {
      const [oldest] = [...this.pools].sort(([, a], [, b]) => a.lastUsed - b.lastUsed)[0]!;
      await this.close(oldest);
    }
  }

  /** The training database URL in force for a tenant (undefined: training is off), without connecting. */
  private async locate(tenantId: string): Promise<{ url: string; key: string; managed: boolean } | undefined> {
    const target = await this.resolver(tenantId);
    if (!target.enabled) return undefined;
    const url = target.database === 'url' ? target.url : this.managedUrl(tenantId);
    return { url, key: createHash('sha256').update(url).digest('base64url'), managed: target.database === 'managed' };
  }

  /**
   * Whether a URL an operator is saving names a training database of this tenant (null: a tenant being created),
   * checked now, read-only (the same rule the first sign-in applies before it migrates: migrate.ts
   * assertTrainingDatabase), so a wrong URL is refused at the save rather than found later. A database that
   * cannot be reached now is not refused: it may not exist yet.
   */
  async checkUrl(url: string, tenantId: string | null): Promise<{ refused?: string; unreachable?: string }> {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000, statement_timeout: 5000, application_name: 'iqsso-training-check' });
    client.on('error', () => undefined);
    try {
      await client.connect();
    } catch (e) {
      return { unreachable: describe(e) };
    }
    try {
      await assertTrainingDatabase({ query: async (sql: string, params?: unknown[]) => (await client.query(sql, params)).rows }, tenantId);
      return {};
    } catch (e) {
      if (e instanceof NotATrainingDatabase) return { refused: e.reason };
      return { unreachable: describe(e) };
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  private async open(tenantId: string, url: string, managed: boolean): Promise<DataSource> {
    if (managed) await this.ensureManagedDatabase(tenantId, url);
    let ds: DataSource;
    try {
      ds = await openDatabase(url, 'directory', this.config.env.TRAINING_POOL_SIZE, 'iqsso-training', tenantId);
    } catch (e) {
      if (e instanceof NotATrainingDatabase) {
        this.log.warn({ reason: e.reason }, 'A training database was refused: it is not a training database (nothing was created or written there)');
        throw new TrainingDatabaseRefused(e.reason);
      }
      this.log.warn({ reason: describe(e) }, 'A training database could not be opened');
      throw new TrainingDatabaseUnavailable();
    }
    // Every failure to reach it from now on is the same clear, retryable error for the caller.
    const query = ds.query.bind(ds);
    ds.query = (async (...args: Parameters<DataSource['query']>) => {
      try {
        return await query(...args);
      } catch (e) {
        if (isConnectionFailure(e)) {
          this.log.warn({ reason: describe(e) }, 'A training database query failed');
          throw new TrainingDatabaseUnavailable();
        }
        throw e;
      }
    }) as DataSource['query'];
    return ds;
  }

  /**
   * The database this service creates for a tenant that asked for none: on the server of
   * TRAINING_DATABASES_URL, or the production server, named after the production database and the tenant.
   */
  private managedUrl(tenantId: string): string {
    const url = new URL(this.config.env.TRAINING_DATABASES_URL ?? this.productionUrl);
    url.pathname = `/${managedDatabaseName(decodeURIComponent(new URL(this.productionUrl).pathname.slice(1)) || 'iqsso', tenantId)}`;
    return url.toString();
  }

  private async ensureManagedDatabase(tenantId: string, url: string): Promise<void> {
    const name = decodeURIComponent(new URL(url).pathname.slice(1));
    let ensured = this.ensured.get(name);
    if (!ensured) {
      ensured = this.createDatabase(name);
      this.ensured.set(name, ensured);
      ensured.catch(() => this.ensured.delete(name));
    }
    try {
      await ensured;
    } catch (e) {
      this.log.warn({ reason: describe(e), tenantId }, 'The managed training database could not be created');
      throw new TrainingDatabaseUnavailable();
    }
  }

  /**
   * CREATE DATABASE through the production connection, or a short-lived one to TRAINING_DATABASES_URL. From
   * template0, which nobody can connect to or write in, never template1: whatever someone put in template1 would be
   * copied into the new tenant's training database.
   */
  private async createDatabase(name: string): Promise<void> {
    const server = this.config.env.TRAINING_DATABASES_URL;
    const client = server ? new pg.Client({ connectionString: server, connectionTimeoutMillis: 5000, application_name: 'iqsso-training' }) : undefined;
    const run = async (sql: string, params?: unknown[]) => (client ? (await client.query(sql, params)).rows : await this.production.query(sql, params));
    try {
      await client?.connect();
      const exists = await run('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
      if (exists.length > 0) return;
      try {
        await run(`CREATE DATABASE ${pg.escapeIdentifier(name)} TEMPLATE template0`);
        this.log.log({ database: name }, 'Created a managed training database');
      } catch (e) {
        // Another instance created it first.
        if ((e as { code?: string }).code !== '42P04' && (e as { driverError?: { code?: string } }).driverError?.code !== '42P04') throw e;
      }
    } finally {
      await client?.end().catch(() => undefined);
    }
  }
}

/** A log-safe reason: an error code and class, never a connection string. */
function describe(e: unknown): string {
  const err = e as { code?: unknown; name?: unknown; driverError?: { code?: unknown } };
  const code = typeof err?.code === 'string' ? err.code : typeof err?.driverError?.code === 'string' ? err.driverError.code : undefined;
  return `${typeof err?.name === 'string' ? err.name : 'Error'}${code ? ` (${code})` : ''}`;
}

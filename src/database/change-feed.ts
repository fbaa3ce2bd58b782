import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import pg from 'pg';
import { AppConfig } from '../config/app-config.js';
import { PRODUCTION_DATABASE_URL } from './directory-databases.js';

/**
 * The channel the production database's triggers notify on (migrations: change-notifications): `u:<user id>`
 * when a user's /v1/me view changes or the user is deleted, `g:<grant id>` when a grant is revoked or deleted.
 */
export const CHANGES_CHANNEL = 'iqsso_changes';

export interface ChangeListener {
  /** One changed row, as the trigger named it. */
  changed(payload: string): void;
  /** Notifications may have been missed (the connection was lost): forget everything derived from the database. */
  reset(): void;
}

/**
 * One LISTEN connection per instance to the production database. While it is up, every committed change the
 * triggers report reaches the listeners within milliseconds; while it is down (Postgres restarting, network),
 * `live` is false, listeners have been reset, and it reconnects with back-off. Caches built on it must not
 * serve anything while it is not live.
 */
@Injectable()
export class ChangeFeed implements OnModuleInit, OnModuleDestroy {
  private readonly log = new Logger(ChangeFeed.name);
  private readonly listeners: ChangeListener[] = [];
  private client?: pg.Client;
  private retry?: NodeJS.Timeout;
  private stopped = false;
  private failures = 0;
  private isLive = false;

  constructor(
    @Inject(PRODUCTION_DATABASE_URL) private readonly url: string,
    private readonly config: AppConfig,
  ) {}

  get live(): boolean {
    return this.isLive;
  }

  subscribe(listener: ChangeListener): void {
    this.listeners.push(listener);
  }

  onModuleInit(): void {
    if (this.config.env.API_CACHE_TTL_S > 0) void this.connect();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    this.down();
    await this.client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const client = new pg.Client({ connectionString: this.url, application_name: 'iqsso-changes', connectionTimeoutMillis: 5000, keepAlive: true });
    this.client = client;
    client.on('error', () => this.lost(client)); // after connect, a lost connection also ends it: handled once in lost()
    client.on('end', () => this.lost(client));
    client.on('notification', (n) => {
      if (n.channel === CHANGES_CHANNEL && n.payload) for (const l of this.listeners) l.changed(n.payload);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANGES_CHANNEL}`);
    } catch (e) {
      this.log.warn({ code: (e as { code?: string }).code }, 'The change feed could not listen; API caches stay off until it can');
      this.lost(client);
      return;
    }
    if (this.client !== client || this.stopped) return;
    // Anything cached before this point may have missed a notification while we were not listening.
    for (const l of this.listeners) l.reset();
    this.failures = 0;
    this.isLive = true;
  }

  private lost(client: pg.Client): void {
    if (this.client !== client) return;
    this.client = undefined;
    this.down();
    void client.end().catch(() => undefined);
    if (this.stopped) return;
    const delay = Math.min(30_000, 250 * 2 ** Math.min(this.failures++, 7));
    this.retry = setTimeout(() => void this.connect(), delay);
    this.retry.unref();
  }

  private down(): void {
    if (this.isLive && !this.stopped) this.log.warn('The change feed lost its database connection; API caches are off until it is back');
    this.isLive = false;
    for (const l of this.listeners) l.reset();
  }
}

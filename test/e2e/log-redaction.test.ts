import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { ArgumentsHost } from '@nestjs/common';
import { Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AllExceptionsFilter } from '../../src/common/errors/exception.filter.js';
import { logFiles, scanLogs } from '../log-scan.mjs';
import { World } from '../support/world.js';

/** Log lines written so far, once the asynchronous log stream has caught up with `until`. */
async function logLinesUntil(file: string, until: (l: Record<string, any>) => boolean): Promise<Record<string, any>[]> {
  for (let i = 0; i < 50; i++) {
    const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, any>);
    if (lines.some(until)) return lines;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the expected log line was not written');
}

/**
 * A failed SQL statement is logged with its SQLSTATE, message and statement text, never its parameters (attack
 * finding F4: a failed login-state insert logged the upstream nonce and PKCE verifier, a failed secret insert
 * the sealed secret).
 */
describe('failed SQL in the logs', () => {
  let w: World;
  // Stand-ins for what a failing statement can carry: a PKCE verifier, and a sealed secret's bytes.
  const verifier = `pkce-verifier-${Date.now()}-Zq8xW3mN5`;
  const sealed = Buffer.from(`sealed-ciphertext-${Date.now()}`);

  beforeAll(async () => {
    w = await World.start();
  });
  afterAll(() => w?.close());

  const failingQuery = () =>
    w.service.app.get(DataSource).query('INSERT INTO no_such_table (verifier, ciphertext) VALUES ($1, $2)', [verifier, sealed]).then(() => undefined, (e: unknown) => e as Error);

  it('an unhandled query failure (the exception filter\'s log line) keeps code, message and query, not parameters', async () => {
    const error = await failingQuery();
    expect(error).toBeDefined();
    expect((error as unknown as { parameters: unknown[] }).parameters).toEqual([verifier, sealed]); // it is there to leak
    const res: any = { headersSent: false, status: () => res, set: () => res, type: () => res, send: () => res, json: () => res };
    const host = { switchToHttp: () => ({ getRequest: () => ({ path: '/admin/tenants', originalUrl: '/admin/tenants', id: 'sql-log-1' }), getResponse: () => res }) } as unknown as ArgumentsHost;
    new AllExceptionsFilter().catch(error, host);

    const lines = await logLinesUntil(w.service.logFile, (l) => l.correlationId === 'sql-log-1');
    const line = lines.find((l) => l.correlationId === 'sql-log-1')!;
    expect(line.msg).toBe('Unhandled error');
    expect(line.err).toMatchObject({
      type: 'QueryFailedError',
      message: 'relation "no_such_table" does not exist',
      sqlState: '42P01',
      query: 'INSERT INTO no_such_table (verifier, ciphertext) VALUES ($1, $2)',
      parameters: '[redacted]',
      driverError: { sqlState: '42P01', message: 'relation "no_such_table" does not exist' },
    });
    expect(JSON.stringify(line)).not.toContain('"parameters":[');
    const text = readFileSync(w.service.logFile, 'utf8');
    expect(text).not.toContain(verifier);
    expect(text).not.toContain(JSON.stringify([...sealed]).slice(1, -1));
    expect(scanLogs(logFiles(`${process.cwd()}/.test-tmp/logs`).filter((f) => f === w.service.logFile), [verifier])).toEqual([]);
  });

  it('also when the error is logged under another key, or as the message itself', async () => {
    const error = (await failingQuery())!;
    const log = new Logger('SqlLogTest');
    log.error({ error, correlationId: 'sql-log-2' }, 'Failed under another key');
    log.error(error);
    await logLinesUntil(w.service.logFile, (l) => l.correlationId === 'sql-log-2');
    await new Promise((r) => setTimeout(r, 300));
    const text = readFileSync(w.service.logFile, 'utf8');
    expect(text).toContain('Failed under another key');
    expect(text).not.toContain(verifier);
  });
});

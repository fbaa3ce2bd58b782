import 'reflect-metadata';
import { join } from 'node:path';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { AppAdapters } from '../../src/app.module.js';
import { createApp } from '../../src/bootstrap.js';
import { type AppConfig, loadConfig } from '../../src/config/app-config.js';
import { freePort } from '../../tools/ports.js';

export { freePort };

import { TEST_ADMIN_KEY, TEST_SECRETS_KEYS } from './secrets.mjs';

export { TEST_ADMIN_KEY, TEST_SECRETS_KEYS };

export interface TestService {
  url: string;
  app: NestExpressApplication;
  config: AppConfig;
  logFile: string;
  admin(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any; headers: Headers }>;
  close(): Promise<void>;
}

/** Runs the real service in this process, on a real port, against the given database. Logs go to a file the tests can read. */
export async function startService(databaseUrl: string, env: Record<string, string> = {}, adapters: AppAdapters = {}): Promise<TestService> {
  const port = Number(env.PORT ?? (await freePort()));
  const logFile = join(process.cwd(), '.test-tmp', 'logs', `service-${port}-${Date.now()}.log`);
  const config = loadConfig({
    NODE_ENV: 'test',
    PORT: String(port),
    HOST: '127.0.0.1',
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    DATA_DIR: join(process.cwd(), '.test-tmp', 'data'),
    ADMIN_API_KEY: TEST_ADMIN_KEY,
    SECRETS_KEYS: TEST_SECRETS_KEYS,
    OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'true',
    LOG_LEVEL: 'info',
    LOG_FILE: logFile,
    DATABASE_POOL_SIZE: '12',
    // Every test talks from 127.0.0.1: the abuse limits are tested on their own (test/e2e/abuse.test.ts).
    RATE_LIMIT_SIGNIN_PER_MIN: '1000000',
    RATE_LIMIT_TOKEN_PER_MIN: '1000000',
    RATE_LIMIT_ADMIN_PER_MIN: '1000000',
    ...env,
  });
  const app = await createApp(config, databaseUrl, adapters);
  await app.listen(port, '127.0.0.1');
  const url = config.publicUrl;
  return {
    url,
    app,
    config,
    logFile,
    async admin(method, path, body, headers = {}) {
      const res = await fetch(`${url}${path}`, {
        method,
        headers: { 'x-admin-key': TEST_ADMIN_KEY, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        /* not JSON */
      }
      return { status: res.status, body: parsed, headers: res.headers };
    },
    close: () => app.close(),
  };
}

import 'reflect-metadata';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { createApp } from './bootstrap.js';
import { ConfigError, loadConfig } from './config/app-config.js';
import type { EmbeddedDatabase } from './database/embedded-postgres.js';
import { ShutdownState } from './observability/shutdown.js';

async function main(): Promise<void> {
  const config = loadConfig();
  // The heap's pacing under load, when set (see HEAP_GROWING_PERCENT); read by V8 at every full collection, so it applies from here on.
  if (config.env.HEAP_GROWING_PERCENT > 0) setFlagsFromString(`--heap-growing-percent=${config.env.HEAP_GROWING_PERCENT}`);
  let embedded: EmbeddedDatabase | undefined;
  let url = config.env.DATABASE_URL;
  if (!url) {
    // Loaded only when used: embedded-postgres registers async-exit-hook, whose SIGTERM handler exits at once
    // (code 143) instead of letting in-flight requests finish. Our own handler below stops it instead.
    const signals = ['SIGINT', 'SIGTERM'] as const;
    const before = new Map(signals.map((s) => [s, process.listeners(s)]));
    const { startEmbeddedPostgres } = await import('./database/embedded-postgres.js');
    for (const s of signals) for (const l of process.listeners(s)) if (!before.get(s)!.includes(l)) process.removeListener(s, l);
    embedded = await startEmbeddedPostgres(join(config.dataDir, 'postgres'), config.env.EMBEDDED_PG_PORT);
    url = embedded.url;
  }
  const app = await createApp(config, url);
  const stopEmbedded = async () => embedded?.stop().catch(() => undefined);
  process.once('beforeExit', stopEmbedded);
  await app.listen(config.env.PORT, config.env.HOST);
  const logger = app.get((await import('nestjs-pino')).Logger);
  logger.log(`Listening on ${config.publicUrl} (database: ${embedded ? `embedded, ${join(config.dataDir, 'postgres')}` : 'DATABASE_URL'})`);

  // Graceful shutdown: report not-ready (SHUTDOWN_DRAIN_S), stop accepting, let in-flight requests — sign-ins
  // half-way through their Okta calls — finish, then close the pool and Okta connections. Bounded in time.
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, async () => {
      if (stopping) return;
      stopping = true;
      logger.log(`${signal}: shutting down (in-flight requests finish first)`);
      app.get(ShutdownState).startDraining();
      const deadline = setTimeout(() => {
        logger.error(`Shutdown took longer than ${config.env.SHUTDOWN_TIMEOUT_S} s; exiting anyway`);
        process.exit(1);
      }, config.env.SHUTDOWN_TIMEOUT_S * 1000);
      deadline.unref();
      if (config.env.SHUTDOWN_DRAIN_S > 0) await sleep(config.env.SHUTDOWN_DRAIN_S * 1000);
      // Keep-alive connections that go idle once their request is answered would hold the close for the
      // keep-alive timeout: close them as soon as they are idle.
      const server = app.getHttpServer() as import('node:http').Server;
      const idle = setInterval(() => server.closeIdleConnections(), 100);
      idle.unref();
      await app.close();
      clearInterval(idle);
      await stopEmbedded();
      process.exit(0);
    });
  }
}

main().catch((e) => {
  if (e instanceof ConfigError) console.error(e.message);
  else console.error('Failed to start:', e instanceof Error ? e.message : e);
  process.exit(1);
});

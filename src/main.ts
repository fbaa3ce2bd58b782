import 'reflect-metadata';
import { join } from 'node:path';
import { createApp } from './bootstrap.js';
import { ConfigError, loadConfig } from './config/app-config.js';
import { type EmbeddedDatabase, startEmbeddedPostgres } from './database/embedded-postgres.js';

async function main(): Promise<void> {
  const config = loadConfig();
  let embedded: EmbeddedDatabase | undefined;
  let url = config.env.DATABASE_URL;
  if (!url) {
    embedded = await startEmbeddedPostgres(join(config.dataDir, 'postgres'), config.env.EMBEDDED_PG_PORT);
    url = embedded.url;
  }
  const app = await createApp(config, url);
  const stopEmbedded = async () => embedded?.stop().catch(() => undefined);
  process.once('beforeExit', stopEmbedded);
  await app.listen(config.env.PORT, config.env.HOST);
  app.get((await import('nestjs-pino')).Logger).log(`Listening on ${config.publicUrl} (database: ${embedded ? `embedded, ${join(config.dataDir, 'postgres')}` : 'DATABASE_URL'})`);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, async () => {
      await app.close();
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

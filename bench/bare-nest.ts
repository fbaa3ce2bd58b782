/** The baseline Nest app: one route on the same adapter (Express), nothing else. */
import 'reflect-metadata';
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

const app = await NestFactory.create(BareModule, { logger: false });
await app.listen(Number(process.env.PORT), '127.0.0.1');
process.send?.({ type: 'listening' });
process.on('message', (m: { type: string }) => { if (m.type === 'stop') void app.close().then(() => process.exit(0)); });

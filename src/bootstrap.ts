import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module.js';
import { AllExceptionsFilter } from './common/errors/exception.filter.js';
import type { AppConfig } from './config/app-config.js';

/** Builds the HTTP application (used by main.ts, the tests, the demo and the benchmarks alike). */
export async function createApp(config: AppConfig, databaseUrl: string): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config, databaseUrl), { bufferLogs: true, bodyParser: false });
  app.useLogger(app.get(Logger));
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.useBodyParser('json', { limit: '2mb' });
  // extended: false keeps repeated parameters as arrays, so they can be refused (RFC 6749 §3.1, §3.2).
  app.useBodyParser('urlencoded', { extended: false, limit: '64kb', parameterLimit: 100 });
  app.useGlobalFilters(new AllExceptionsFilter());
  app.enableShutdownHooks();

  const doc = new DocumentBuilder()
    .setTitle('iQmetrix Okta SSO broker')
    .setDescription('Admin API for account managers (tenants, clients, provisioning audits) and the REST API for iQmetrix apps. OAuth 2.0 / OIDC endpoints are described by /.well-known/openid-configuration.')
    .setVersion('1')
    .addSecurity('admin-key', { type: 'apiKey', in: 'header', name: 'X-Admin-Key' })
    .addBearerAuth()
    .build();
  SwaggerModule.setup('docs', app, () => SwaggerModule.createDocument(app, doc), { jsonDocumentUrl: 'docs/openapi.json' });
  return app;
}

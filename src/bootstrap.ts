import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import express from 'express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { type AppAdapters, AppModule } from './app.module.js';
import { rateLimits } from './abuse/rate-limits.js';
import { AllExceptionsFilter } from './common/errors/exception.filter.js';
import { ROOT_LOGGER } from './common/logging/logging.js';
import { requestId } from './common/logging/request-id.js';
import { requestLog } from './common/logging/request-log.js';
import { allowedMethods } from './common/web/allowed-methods.js';
import { apiNoStore } from './common/web/api-no-store.js';
import { bodyParsers } from './common/web/body-parsers.js';
import { cors } from './common/web/cors.js';
import { HardenedExpressAdapter, hardenHttpServer } from './common/web/http-server.js';
import { inSequence } from './common/web/in-sequence.js';
import { inputGuard } from './common/web/input-guard.js';
import { securityHeaders } from './common/web/security-headers.js';
import type { AppConfig } from './config/app-config.js';
import { ClientOrigins } from './oauth/clients/client-origins.js';

/** Builds the HTTP application (used by main.ts, the tests, the demo and the benchmarks alike). */
export async function createApp(config: AppConfig, databaseUrl: string, adapters: AppAdapters = {}): Promise<NestExpressApplication> {
  // Paths match exactly as written: every path rule before the router (rate limits, the input guard, body types,
  // the error surface) reads the path as sent, so /ADMIN/… must not reach the admin routes past them. Set before
  // Nest touches the router, which Express creates with the settings of that moment.
  const server = express();
  server.set('case sensitive routing', true);
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config, databaseUrl, adapters), new HardenedExpressAdapter(server), { bufferLogs: true, bodyParser: false });
  app.useLogger(app.get(Logger));
  app.disable('x-powered-by');
  // No ETags computed over API answers (tokens, personal data, errors: nothing to revalidate); the console's assets set their own.
  app.set('etag', false);
  // Only for req.ip (rate limits). No URL is ever built from Host or X-Forwarded-*: PUBLIC_URL is the one source.
  app.set('trust proxy', config.trustProxy);
  const origins = app.get(ClientOrigins);
  // The edge, one Express layer (inSequence), in this order:
  app.use(inSequence([
    // first, before the body parsers: a correlation id even for a request refused as bad JSON or too large;
    requestId,
    requestLog(app.get(ROOT_LOGGER)),
    securityHeaders(config),
    // after helmet (the metadata's CORP is cross-origin), before anything that can refuse: errors carry CORS too;
    cors((origin) => origins.allows(origin)),
    apiNoStore,
    rateLimits(config),
    bodyParsers(),
    // after the parsers, before any handler: NUL anywhere, and control, bidi and invisible characters on the admin API, are a 400;
    inputGuard,
  ]));
  app.useGlobalFilters(new AllExceptionsFilter((path) => allowedMethods(server, path)));
  hardenHttpServer(app.getHttpServer(), config);
  // Signals are handled by main.ts (drain, then close); tests and the benchmarks call app.close() themselves.

  const doc = new DocumentBuilder()
    .setTitle('iQmetrix Okta SSO broker')
    .setDescription('Admin API for account managers (tenants, clients, provisioning audits) and the REST API for iQmetrix apps. OAuth 2.0 / OIDC endpoints are described by /.well-known/openid-configuration.')
    .setVersion('1')
    .addSecurity('admin-key', { type: 'apiKey', in: 'header', name: 'X-Admin-Key', description: 'The bootstrap operator key (ADMIN_API_KEY) or an account manager API token (iqsso_am_…).' })
    .addSecurity('admin-token', { type: 'http', scheme: 'bearer', description: 'An account manager API token (iqsso_am_…) as a Bearer token.' })
    .addBearerAuth()
    .build();
  SwaggerModule.setup('docs', app, () => SwaggerModule.createDocument(app, doc), { jsonDocumentUrl: 'docs/openapi.json' });
  return app;
}

import { type DynamicModule, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { LoggerModule } from 'nestjs-pino';
import { AdminAuthModule } from './admin-auth/admin-auth.module.js';
import { ApiModule } from './api/api.module.js';
import { AuthModule } from './auth/auth.module.js';
import { CommonModule } from './common/common.module.js';
import { ConsoleModule } from './console/console.module.js';
import { createRootLogger, loggingParams, ROOT_LOGGER } from './common/logging/logging.js';
import { AppConfig } from './config/app-config.js';
import { HostResolver, SystemHostResolver } from './common/http/host-resolver.js';
import { DatabaseModule } from './database/database.module.js';
import { OAuthModule } from './oauth/oauth.module.js';
import { ObservabilityModule } from './observability/observability.module.js';
import { ProvisioningModule } from './provisioning/provisioning.module.js';
import { ScimModule } from './scim/scim.module.js';
import { LifecycleModule } from './lifecycle/lifecycle.module.js';
import { TenantsModule } from './tenants/tenants.module.js';
import { TrainingModule } from './training/training.module.js';

/** I/O adapters a caller may replace (tests: a resolver that maps names to chosen addresses). */
export interface AppAdapters {
  hostResolver?: HostResolver;
}

/** The flow, in order: tenant configuration → sign-in (auth) → provisioning → this service's tokens (oauth) → the apps' API (api, imported first: see ApiModule). */
@Module({})
export class AppModule {
  static forRoot(config: AppConfig, databaseUrl: string, adapters: AppAdapters = {}): DynamicModule {
    const logger = createRootLogger(config.env.LOG_LEVEL, config.env.LOG_FILE);
    return {
      module: AppModule,
      global: true,
      imports: [
        ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: [() => ({ ...config.env, PUBLIC_URL: config.publicUrl })] }),
        LoggerModule.forRoot(loggingParams(logger)),
        CommonModule,
        DatabaseModule.forRoot(databaseUrl),
        // First of the feature modules: its routes are the busiest (see ApiModule).
        ApiModule,
        AdminAuthModule,
        ObservabilityModule,
        TenantsModule,
        AuthModule,
        ProvisioningModule,
        OAuthModule,
        ScimModule,
        LifecycleModule,
        TrainingModule,
        ConsoleModule,
      ],
      providers: [
        { provide: AppConfig, useValue: config }, { provide: HostResolver, useValue: adapters.hostResolver ?? new SystemHostResolver() },
        { provide: ROOT_LOGGER, useValue: logger },
      ],
      exports: [AppConfig, HostResolver, ROOT_LOGGER],
    };
  }
}

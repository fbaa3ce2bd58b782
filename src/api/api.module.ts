import { Module } from '@nestjs/common';
import { OAuthModule } from '../oauth/oauth.module.js';
import { ProvisioningModule } from '../provisioning/provisioning.module.js';
import { ApiStateCache } from './api-state-cache.js';
import { MeController, TrainingMeController } from './me.controller.js';
import { UserInfoController } from './userinfo.controller.js';

/**
 * The REST API for iQmetrix apps holding this service's access tokens (OAuthModule issues and verifies them).
 * AppModule imports it before the other feature modules on purpose: Express tries routes in the order they were
 * registered, and Nest registers them module by module, so the busiest route is tried first rather than after
 * some seventy admin routes (that walk was ~8% of a /v1/me request's CPU).
 */
@Module({
  imports: [OAuthModule, ProvisioningModule],
  controllers: [MeController, TrainingMeController, UserInfoController],
  providers: [ApiStateCache],
})
export class ApiModule {}

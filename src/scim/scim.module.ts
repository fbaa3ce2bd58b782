import { Module } from '@nestjs/common';
import { OAuthModule } from '../oauth/oauth.module.js';
import { ProvisioningModule } from '../provisioning/provisioning.module.js';
import { TenantsModule } from '../tenants/tenants.module.js';
import { AdminScimTokensController } from './admin-scim-tokens.controller.js';
import { ScimController } from './scim.controller.js';
import { ScimGuard } from './scim.guard.js';
import { ScimTokens } from './scim-tokens.service.js';
import { ScimUsers } from './scim-users.service.js';

/** SCIM 2.0 provisioning from a customer's Okta, per tenant, through the same provisioning code as sign-in. */
@Module({
  imports: [TenantsModule, ProvisioningModule, OAuthModule],
  controllers: [ScimController, AdminScimTokensController],
  providers: [ScimTokens, ScimUsers, ScimGuard],
  exports: [ScimTokens],
})
export class ScimModule {}

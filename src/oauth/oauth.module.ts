import { Module } from '@nestjs/common';
import { ProvisioningModule } from '../provisioning/provisioning.module.js';
import { AccessTokenGuard } from './access-token.guard.js';
import { AuthorizeValidator } from './authorize-validator.js';
import { AdminClientsController } from './clients/admin-clients.controller.js';
import { ClientOrigins } from './clients/client-origins.js';
import { ClientsService } from './clients/clients.service.js';
import { DiscoveryController } from './discovery.controller.js';
import { AuthorizationCodeGrant } from './grants/authorization-code.grant.js';
import { GrantRegistry } from './grants/grant-registry.js';
import { RefreshTokenGrant } from './grants/refresh-token.grant.js';
import { SigningKeys } from './keys/signing-keys.js';
import { TokenController } from './token.controller.js';
import { TokenLifecycleController } from './token-lifecycle.controller.js';
import { AuthorizationCodes } from './tokens/authorization-code.js';
import { RefreshTokens } from './tokens/refresh-tokens.js';
import { TokenIssuer } from './tokens/token-issuer.js';
import { TokenIntrospection } from './tokens/token-introspection.js';

/** This service as an OAuth 2.0 / OpenID Connect authorization server for iQmetrix apps. */
@Module({
  imports: [ProvisioningModule],
  controllers: [TokenController, TokenLifecycleController, DiscoveryController, AdminClientsController],
  providers: [ClientsService, ClientOrigins, SigningKeys, AuthorizationCodes, RefreshTokens, TokenIssuer, AuthorizeValidator, AuthorizationCodeGrant, RefreshTokenGrant, GrantRegistry, AccessTokenGuard, TokenIntrospection],
  exports: [ClientsService, ClientOrigins, SigningKeys, AuthorizationCodes, RefreshTokens, TokenIssuer, AuthorizeValidator, AccessTokenGuard, GrantRegistry, TokenIntrospection],
})
export class OAuthModule {}

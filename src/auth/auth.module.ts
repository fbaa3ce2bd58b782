import { Module } from '@nestjs/common';
import { OAuthModule } from '../oauth/oauth.module.js';
import { ProvisioningModule } from '../provisioning/provisioning.module.js';
import { TenantsModule } from '../tenants/tenants.module.js';
import { PasswordThrottle } from '../oauth/grants/password-throttle.js';
import { PasswordGrant } from '../oauth/grants/password.grant.js';
import { HomeRealm } from './home-realm.js';
import { IdTokenVerifier } from './id-token-verifier.js';
import { LoginStateStore } from './login-state.store.js';
import { LogoutController } from './logout.controller.js';
import { SignInCompletion } from './sign-in-completion.js';
import { SignInController } from './signin.controller.js';
import { UpstreamStrategies } from './upstream-strategies.js';
import { SsoSessions } from './sso-sessions.js';
import { UpstreamSignIn } from './upstream-signin.service.js';

/**
 * Sign-in: the app's authorization request, home-realm discovery, the tenant's Okta through
 * passport-openidconnect, the callback, sessions and logout; and the password grant, which needs all of the
 * sign-in and so is provided here and registers itself in the OAuth module's GrantRegistry.
 */
@Module({
  imports: [TenantsModule, ProvisioningModule, OAuthModule],
  controllers: [SignInController, LogoutController],
  providers: [SsoSessions, LoginStateStore, IdTokenVerifier, UpstreamStrategies, UpstreamSignIn, HomeRealm, SignInCompletion, PasswordThrottle, PasswordGrant],
  exports: [SsoSessions, LoginStateStore, IdTokenVerifier, UpstreamStrategies, UpstreamSignIn, HomeRealm, SignInCompletion],
})
export class AuthModule {}

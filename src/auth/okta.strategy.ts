import { PassportStrategy } from '@nestjs/passport';
import type { Request } from 'express';
import OpenIDConnectStrategy from 'passport-openidconnect';
import { pkceChallenge, randomToken } from '../common/crypto/tokens.js';
import type { LoadedTenant } from '../tenants/tenant-runtime.js';
import type { LoginStateStore, StartedLogin } from './login-state.store.js';
import type { OktaOAuthClient, UpstreamRequest } from './okta-oauth-client.js';

/**
 * @nestjs/passport's mixin registers each strategy in a Passport instance as it is constructed. Upstream
 * strategies are built per sign-in leg and handed to passport.authenticate() as instances, never registered
 * by name; this stand-in absorbs the mixin's registration.
 */
const unregistered = { use: () => unregistered };

/** What a successful upstream sign-in yields: verified ID token claims and (with auto-provisioning) UserInfo. */
export interface UpstreamIdentity {
  issuer: string;
  idToken: Record<string, unknown>;
  userinfo?: Record<string, unknown>;
}

type PerRequest = { _pkceChallenge?: string; _oauth2: unknown };

/**
 * passport-openidconnect for one tenant, through @nestjs/passport. With callback arity 10 (and
 * passReqToCallback) passport hands validate() the UserInfo profile separately instead of hiding it.
 * The gaps of passport-openidconnect 0.1.x are closed here and in OktaOAuthClient:
 * - PKCE S256: a verifier per sign-in, kept in the login state, its challenge sent to Okta;
 * - client authentication and ID token signature verification: OktaOAuthClient replaces node-oauth.
 */
export class TenantOktaStrategy extends PassportStrategy(OpenIDConnectStrategy, undefined, 10) {
  constructor(
    tenant: LoadedTenant,
    private readonly client: OktaOAuthClient,
    store: LoginStateStore,
    callbackURL: string,
  ) {
    const { okta } = tenant.config;
    super({
      issuer: okta.issuer,
      authorizationURL: okta.endpoints.authorization,
      tokenURL: okta.endpoints.token,
      userInfoURL: okta.endpoints.userinfo,
      clientID: okta.clientId,
      clientSecret: '(held by OktaOAuthClient)',
      callbackURL,
      scope: okta.scopes.filter((s) => s !== 'openid'),
      nonce: 'true',
      store: store as never,
      passReqToCallback: true,
      // A function is accepted (and called per sign-in); the type definitions only know booleans.
      skipUserProfile: (() => !okta.autoProvisioning) as unknown as boolean,
    });
  }

  getPassportInstance() {
    return unregistered;
  }

  /** A strategy serves one request (UpstreamStrategies builds one per sign-in leg), so per-request fields are safe. */
  override authenticate(this: TenantOktaStrategy, req: Request & UpstreamRequest, options: { state?: StartedLogin } & Record<string, unknown> = {}) {
    (this as unknown as PerRequest)._oauth2 = this.client.forRequest(req);
    const isCallback = Boolean(req.query?.code || req.query?.error);
    if (!isCallback && options.state) {
      const codeVerifier = randomToken(32);
      (this as unknown as PerRequest)._pkceChallenge = pkceChallenge(codeVerifier);
      options = { ...options, state: { ...options.state, codeVerifier } };
    }
    return super.authenticate(req, options);
  }

  override authorizationParams(options: { maxAge?: number } = {}): object {
    const challenge = (this as unknown as PerRequest)._pkceChallenge;
    return {
      ...(challenge ? { code_challenge: challenge, code_challenge_method: 'S256' } : {}),
      // The app's max_age goes on to Okta, so Okta's own session is held to it too.
      ...(options.maxAge !== undefined ? { max_age: String(options.maxAge) } : {}),
    };
  }

  validate(
    req: Request & UpstreamRequest,
    issuer: string,
    uiProfile: { _json?: Record<string, unknown> } | undefined,
  ): UpstreamIdentity {
    return { issuer, idToken: req.verifiedIdToken!, userinfo: uiProfile?._json };
  }
}

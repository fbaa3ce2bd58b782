import { type CanActivate, type ExecutionContext, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import { Clock } from '../common/clock.js';
import { Lru } from '../common/lru.js';
import { AppConfig } from '../config/app-config.js';
import { InvalidRequest, InvalidToken, MissingToken } from '../common/errors/oauth-errors.js';
import { bearerCredentials } from '../common/web/bearer.js';
import type { Environment } from '../database/directory-databases.js';
import { SigningKeys } from './keys/signing-keys.js';
import { apiAudience } from './tokens/audiences.js';
import { isFormType } from '../common/web/body-parsers.js';

export interface AccessTokenClaims extends JWTPayload {
  sub: string;
  /** Required by verification (seconds). */
  iat: number;
  client_id: string;
  tid: string;
  tenant: string;
  env: Environment;
  scope: string;
}

const ENVIRONMENT = 'api:environment';
/** What a route serves: one environment (the guard refuses the other's tokens), or `either` (OIDC UserInfo). */
export type RouteEnvironment = Environment | 'either';
/** Marks a route as serving one environment, or either (default: production). */
export const ForEnvironment = (env: RouteEnvironment) => SetMetadata(ENVIRONMENT, env);
const BOTH_AUDIENCES = [apiAudience.production, apiAudience.training];

/** RFC 6750 §2.1: b64token. */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

type TokenRequest = { method?: string; headers: Record<string, string | undefined>; body?: unknown; accessToken?: AccessTokenClaims };

/**
 * RFC 6750 §2.2: a POST may carry the token as `access_token` in a form body (application/x-www-form-urlencoded
 * only) instead of the Authorization header, never both (§2). Returns the Authorization header the request
 * stands for, so a token sent either way gets the same checks and the same cache entry.
 */
function withFormToken(req: TokenRequest, authorization: string): string {
  const body = req.body as Record<string, unknown> | undefined;
  if (typeof body !== 'object' || body === null || !('access_token' in body) || !isFormType(req.headers['content-type'])) return authorization;
  if (typeof body.access_token !== 'string') throw new InvalidRequest('access_token must be given once.');
  if (req.headers.authorization !== undefined) throw new InvalidRequest('Send the access token in the Authorization header or in the form body, not both.');
  return `Bearer ${body.access_token}`;
}

/**
 * Bearer access tokens on the apps' REST API (RFC 6750): our signature, our issuer, typ at+jwt, and the
 * audience of the environment the route serves — so a training token never passes a production route.
 * Revocation is not decided here but by the route (grant state: api/me.controller.ts).
 */
@Injectable()
export class AccessTokenGuard implements CanActivate {
  /**
   * Tokens this instance has verified, per environment, by Authorization header: the same checks give the same answer until the
   * token expires, unless its signing key is withdrawn (looked up again on every hit). Saves the RS256
   * verification on each repeated API call (an app calls with one token for its five minutes).
   */
  private readonly verified: Record<Environment, Lru<string, { claims: AccessTokenClaims; kid: string | undefined; exp: number }>>;
  private readonly cacheVerified: boolean;
  /** The environment each handler serves (its metadata never changes). */
  private readonly envOf = new WeakMap<object, RouteEnvironment>();

  constructor(
    private readonly keys: SigningKeys,
    private readonly config: AppConfig,
    private readonly reflector: Reflector,
    private readonly clock: Clock,
  ) {
    this.verified = { production: new Lru(config.env.API_CACHE_MAX), training: new Lru(config.env.API_CACHE_MAX) };
    this.cacheVerified = config.env.API_CACHE_TTL_S > 0;
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<TokenRequest>();
    const handler = context.getHandler();
    let env = this.envOf.get(handler);
    if (!env) {
      env = this.reflector.getAllAndOverride<RouteEnvironment>(ENVIRONMENT, [handler, context.getClass()]) ?? 'production';
      this.envOf.set(handler, env);
    }
    let authorization = req.headers.authorization ?? '';
    if (req.method === 'POST') authorization = withFormToken(req, authorization);
    // Keyed by the whole header (or the one a form token stands for): an exact repeat of one that passed every check below (the common case).
    const known = env === 'either' ? (this.verified.production.get(authorization) ?? this.verified.training.get(authorization)) : this.verified[env].get(authorization);
    if (known && known.exp > this.clock.epochSeconds() && this.keys.verificationKey(known.kid)) {
      req.accessToken = known.claims;
      return true;
    }
    const token = bearerCredentials(authorization);
    if (token === undefined) throw new MissingToken('A bearer access token is required.');
    if (!B64TOKEN.test(token)) throw new InvalidToken('The access token is malformed.');
    try {
      let kid: string | undefined;
      const { payload } = await jwtVerify(token, (header) => {
        const key = this.keys.verificationKey(header.kid);
        if (!key) throw new InvalidToken('The access token is signed with an unknown key.');
        kid = header.kid;
        return key;
      }, { issuer: this.config.publicUrl, audience: env === 'either' ? BOTH_AUDIENCES : apiAudience[env], typ: 'at+jwt', algorithms: ['RS256', 'ES256'], requiredClaims: ['sub', 'exp', 'iat', 'client_id', 'tid', 'env'] });
      // The environment a token is for is its audience and its env claim, which must agree.
      const tokenEnv = payload.env === 'production' || payload.env === 'training' ? payload.env : undefined;
      if (env !== 'either' && tokenEnv !== env) throw new InvalidToken(`This is not a ${env} access token.`);
      if (!tokenEnv || ![payload.aud].flat().includes(apiAudience[tokenEnv])) throw new InvalidToken('The access token is invalid.');
      req.accessToken = payload as AccessTokenClaims;
      if (this.cacheVerified) this.verified[tokenEnv].set(authorization, { claims: req.accessToken, kid, exp: payload.exp! });
      return true;
    } catch (e) {
      if (e instanceof InvalidToken) throw e;
      if (e instanceof joseErrors.JWTExpired) throw new InvalidToken('The access token has expired.');
      if (e instanceof joseErrors.JWTClaimValidationFailed && e.claim === 'aud') throw new InvalidToken(env === 'either' ? 'The access token is not for this API.' : `The access token is not for the ${env} API.`);
      throw new InvalidToken('The access token is invalid.');
    }
  }
}

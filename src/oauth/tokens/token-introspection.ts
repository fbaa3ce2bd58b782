import { Injectable } from '@nestjs/common';
import { jwtVerify } from 'jose';
import { InvalidRequest } from '../../common/errors/oauth-errors.js';
import { AppConfig } from '../../config/app-config.js';
import type { Environment } from '../../database/directory-databases.js';
import { DirectoryUsers } from '../../provisioning/directory-users.js';
import type { AccessTokenClaims } from '../access-token.guard.js';
import type { OAuthClientEntity } from '../clients/client.entity.js';
import { SigningKeys } from '../keys/signing-keys.js';
import { apiAudience } from './audiences.js';
import { RefreshTokens } from './refresh-tokens.js';

export type TokenTypeHint = 'access_token' | 'refresh_token';

/** RFC 7662 §2.2. An inactive token is only ever {active: false}: nothing about why. */
export type IntrospectionResponse = { active: false } | ({ active: true } & Record<string, unknown>);

const INACTIVE = { active: false } as const;

/**
 * What a token is worth right now, for introspection (RFC 7662), revocation (RFC 7009) and this service's
 * own API. Access tokens are self-contained JWTs (short-lived), so "right now" adds two live checks to the
 * signature and expiry: the user is still active, and the grant the token came from is not revoked
 * (logout, deprovisioning, refresh-token reuse, revocation by the app all revoke grants).
 */
@Injectable()
export class TokenIntrospection {
  constructor(
    private readonly keys: SigningKeys,
    private readonly config: AppConfig,
    private readonly refresh: RefreshTokens,
    private readonly users: DirectoryUsers,
  ) {}

  /** Our signature, issuer, typ and either environment's audience; undefined for anything else (expired included). */
  async verifyAccessToken(token: string): Promise<AccessTokenClaims | undefined> {
    if (token.split('.').length !== 3) return undefined;
    try {
      const { payload } = await jwtVerify(token, (header) => {
        const key = this.keys.verificationKey(header.kid);
        if (!key) throw new Error('unknown key');
        return key;
      }, { issuer: this.config.publicUrl, audience: Object.values(apiAudience), typ: 'at+jwt', algorithms: ['RS256', 'ES256'], requiredClaims: ['sub', 'exp', 'iat', 'client_id', 'tid', 'env'] });
      if (payload.aud !== apiAudience[payload.env as Environment]) return undefined;
      return payload as AccessTokenClaims;
    } catch {
      return undefined;
    }
  }

  /** The live checks an access token must pass beyond its signature and expiry. */
  async accessTokenLive(claims: AccessTokenClaims): Promise<boolean> {
    const gid = typeof claims.gid === 'string' ? claims.gid : undefined;
    const [user, grant] = await Promise.all([
      this.users.find(claims.env, claims.tid, claims.sub).catch(() => null),
      gid ? this.refresh.grantActive(gid) : Promise.resolve(true),
    ]);
    return grant && user?.status === 'active';
  }

  async introspect(token: string, hint: string | undefined, caller: OAuthClientEntity): Promise<IntrospectionResponse> {
    const order: TokenTypeHint[] = hint === 'refresh_token' ? ['refresh_token', 'access_token'] : ['access_token', 'refresh_token'];
    for (const type of order) {
      const answer = type === 'access_token' ? await this.introspectAccess(token, caller) : await this.introspectRefresh(token, caller);
      if (answer) return answer;
    }
    return INACTIVE;
  }

  /**
   * RFC 7009 §2.1: revoking either kind of token revokes its grant (the refresh family and its access tokens). A token
   * issued to another client is refused, and the caller told (invalid_request, as oidc-provider answers), while it
   * still stands; a token that is not ours (unknown, expired) or no longer stands (used, revoked) is nothing to
   * revoke (§2.2: invalid tokens get 200), whoever sends it.
   */
  async revoke(token: string, hint: string | undefined, caller: OAuthClientEntity): Promise<void> {
    const refreshFirst = hint !== 'access_token';
    const viaRefresh = async () => {
      const rt = await this.refresh.find(token);
      if (!rt) return false;
      if (rt.clientId !== caller.clientId && !rt.active) return true;
      refuseUnlessIssuedTo(caller, rt.clientId);
      await this.refresh.revokeFamily(rt.familyId, 'revoked-by-client');
      return true;
    };
    const viaAccess = async () => {
      const at = await this.verifyAccessToken(token);
      if (!at) return false;
      if (at.client_id !== caller.clientId && !(await this.accessTokenLive(at))) return true;
      refuseUnlessIssuedTo(caller, at.client_id);
      if (typeof at.gid === 'string') await this.refresh.revokeFamily(at.gid, 'revoked-by-client');
      return true;
    };
    if (refreshFirst) (await viaRefresh()) || (await viaAccess());
    else (await viaAccess()) || (await viaRefresh());
  }

  /** undefined: not an access token of ours (try the other kind); INACTIVE: ours, but not usable now. */
  private async introspectAccess(token: string, caller: OAuthClientEntity): Promise<IntrospectionResponse | undefined> {
    const c = await this.verifyAccessToken(token);
    if (!c) return undefined;
    // A production resource server never learns about training tokens, and the other way round.
    if (c.env !== caller.environment || !(await this.accessTokenLive(c))) return INACTIVE;
    return {
      active: true,
      token_type: 'Bearer',
      scope: c.scope,
      client_id: c.client_id,
      username: c.username,
      sub: c.sub,
      aud: c.aud,
      iss: c.iss,
      exp: c.exp,
      iat: c.iat,
      jti: c.jti,
      auth_time: c.auth_time,
      tenant: c.tenant,
      env: c.env,
      ...(c.sid ? { sid: c.sid } : {}),
    };
  }

  private async introspectRefresh(token: string, caller: OAuthClientEntity): Promise<IntrospectionResponse | undefined> {
    const rt = await this.refresh.find(token);
    if (!rt) return undefined;
    if (!rt.active || rt.environment !== caller.environment) return INACTIVE;
    const user = await this.users.find(rt.environment, rt.tenantId, rt.userId).catch(() => null);
    if (user?.status !== 'active') return INACTIVE;
    // No token_type: RFC 7662 §2.2 means a type of RFC 6749 §7.1 (how the token is presented, e.g. Bearer), which a
    // refresh token, only ever sent to the token endpoint, has not.
    return {
      active: true,
      scope: rt.scope,
      client_id: rt.clientId,
      username: user.username,
      sub: rt.userId,
      iss: this.config.publicUrl,
      exp: rt.expiresAt,
      iat: rt.issuedAt,
      tenant: rt.tenantSlug,
      env: rt.environment,
    };
  }
}

/** RFC 7009 §2.1: "verifies whether the token was issued to the client making the revocation request". */
function refuseUnlessIssuedTo(caller: OAuthClientEntity, clientId: string): void {
  if (clientId !== caller.clientId) throw new InvalidRequest('This token was issued to another client: a client may revoke only its own tokens.');
}

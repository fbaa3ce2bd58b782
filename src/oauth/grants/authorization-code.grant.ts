import { Injectable } from '@nestjs/common';
import { AppConfig } from '../../config/app-config.js';
import { pkceChallenge, safeEqual } from '../../common/crypto/tokens.js';
import { InvalidGrant, InvalidRequest } from '../../common/errors/oauth-errors.js';
import { DirectoryUsers } from '../../provisioning/directory-users.js';
import type { OAuthClientEntity } from '../clients/client.entity.js';
import { AuthorizationCodes } from '../tokens/authorization-code.js';
import { RefreshTokens } from '../tokens/refresh-tokens.js';
import { TokenIssuer } from '../tokens/token-issuer.js';
import { required, type TokenResponse } from '../token-request.js';

const verifierFormat = /^[A-Za-z0-9\-._~]{43,128}$/;

/** grant_type=authorization_code (RFC 6749 §4.1.3 with PKCE, RFC 7636 §4.6). */
@Injectable()
export class AuthorizationCodeGrant {
  constructor(
    private readonly codes: AuthorizationCodes,
    private readonly refresh: RefreshTokens,
    private readonly users: DirectoryUsers,
    private readonly issuer: TokenIssuer,
    private readonly config: AppConfig,
  ) {}

  async handle(client: OAuthClientEntity, params: Record<string, string>): Promise<TokenResponse> {
    const code = required(params, 'code');
    const redirectUri = required(params, 'redirect_uri');
    const verifier = required(params, 'code_verifier');
    if (!verifierFormat.test(verifier)) throw new InvalidRequest('code_verifier must be 43-128 characters of [A-Za-z0-9-._~] (RFC 7636).');

    const grant = await this.codes.open(code);
    if (!grant) throw new InvalidGrant('The authorization code is invalid or has expired.');
    if (grant.clientId !== client.clientId) throw new InvalidGrant('The authorization code was issued to another client.');
    if (grant.redirectUri !== redirectUri) throw new InvalidGrant('redirect_uri does not match the one of the authorization request.');
    if (!safeEqual(pkceChallenge(verifier), grant.codeChallenge)) throw new InvalidGrant('The code_verifier does not match the code_challenge.');

    const user = await this.users.find(grant.environment, grant.tenantId, grant.userId);
    if (!user || user.status !== 'active') throw new InvalidGrant('The user is not active.');

    const wantsRefresh = client.grantTypes.includes('refresh_token');
    const { ACCESS_TOKEN_TTL_S, REFRESH_TOKEN_TTL_S } = this.config.env;
    const redeemed = await this.refresh.consumeCode(
      grant,
      {
        clientId: client.clientId, tenantId: grant.tenantId, userId: grant.userId, environment: grant.environment, sessionId: grant.sessionId,
        ttl: wantsRefresh ? Math.max(REFRESH_TOKEN_TTL_S, ACCESS_TOKEN_TTL_S) : ACCESS_TOKEN_TTL_S,
      },
      wantsRefresh ? { scope: grant.scope, authTime: grant.authTime, ttl: REFRESH_TOKEN_TTL_S } : undefined,
    );
    if (!redeemed.consumed) {
      // RFC 6749 §4.1.2: a code used twice revokes what was issued from it.
      await this.refresh.revokeFamily(grant.familyId, 'code-replay');
      throw new InvalidGrant('The authorization code has already been used.');
    }
    if (redeemed.sessionEnded) throw new InvalidGrant('The user signed out after this code was issued.');
    const subject = { user, tenantSlug: grant.tenantSlug, environment: grant.environment, authTime: grant.authTime, grantId: grant.familyId, sessionId: redeemed.sessionId };
    return this.issuer.response(client.clientId, subject, grant.scope, redeemed.token, grant.nonce);
  }
}

import { createHash, randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { SignJWT } from 'jose';
import { AppConfig } from '../../config/app-config.js';
import { Clock } from '../../common/clock.js';
import type { Environment } from '../../database/directory-databases.js';
import type { DirectoryUser } from '../../provisioning/directory-users.js';
import { SigningKeys } from '../keys/signing-keys.js';
import type { TokenResponse } from '../token-request.js';
import { apiAudience } from './audiences.js';
import { standardClaims } from './standard-claims.js';

export interface TokenSubject {
  user: DirectoryUser;
  tenantSlug: string;
  environment: Environment;
  /** Absent when unknown: the tokens then carry no auth_time (see auth/auth-time.ts). */
  authTime?: number;
  /** The grant (refresh token family) the tokens belong to: revoking it makes the access token inactive. */
  grantId?: string;
  /** The SSO session (OIDC sid) the tokens were issued in. */
  sessionId?: string;
}

/** Apps get at most this many location ids in the access token; /v1/me always has them all. */
const MAX_TOKEN_LOCATIONS = 100;

/** Mints this service's tokens: RFC 9068 JWT access tokens and OIDC ID tokens, signed with jose. */
@Injectable()
export class TokenIssuer {
  constructor(
    private readonly keys: SigningKeys,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

  get accessTokenTtl(): number {
    return this.config.env.ACCESS_TOKEN_TTL_S;
  }

  /** A token endpoint answer (RFC 6749 §5.1): the access token, an ID token when `openid` is granted, the refresh token if any. */
  async response(clientId: string, s: TokenSubject, scope: string[], refreshToken: string | undefined, nonce?: string): Promise<TokenResponse> {
    const accessToken = await this.accessToken(clientId, s, scope);
    return {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: this.accessTokenTtl,
      scope: scope.join(' '),
      ...(scope.includes('openid') ? { id_token: await this.idToken(clientId, s, scope, nonce, accessToken) } : {}),
      ...(refreshToken ? { refresh_token: refreshToken } : {}),
    };
  }

  async accessToken(clientId: string, s: TokenSubject, scope: string[]): Promise<string> {
    const { kid, alg, privateKey } = this.keys.signingKey();
    const now = this.clock.epochSeconds();
    return new SignJWT({
      client_id: clientId,
      scope: scope.join(' '),
      tid: s.user.tenantId,
      tenant: s.tenantSlug,
      env: s.environment,
      username: s.user.username,
      role: s.user.securityRole,
      locations: s.user.locations.slice(0, MAX_TOKEN_LOCATIONS),
      ...(s.user.locations.length > MAX_TOKEN_LOCATIONS ? { locations_truncated: true } : {}),
      ...(s.authTime !== undefined ? { auth_time: s.authTime } : {}),
      ...(s.grantId ? { gid: s.grantId } : {}),
      ...(s.sessionId ? { sid: s.sessionId } : {}),
    })
      .setProtectedHeader({ alg, kid, typ: 'at+jwt' })
      .setIssuer(this.config.publicUrl)
      .setSubject(s.user.id)
      .setAudience(apiAudience[s.environment])
      .setIssuedAt(now)
      .setExpirationTime(now + this.accessTokenTtl)
      .setJti(randomUUID())
      .sign(privateKey);
  }

  async idToken(clientId: string, s: TokenSubject, scope: string[], nonce: string | undefined, accessToken: string): Promise<string> {
    const { kid, alg, privateKey } = this.keys.signingKey();
    const now = this.clock.epochSeconds();
    const u = s.user;
    return new SignJWT({
      ...(nonce ? { nonce } : {}),
      ...(s.authTime !== undefined ? { auth_time: s.authTime } : {}),
      at_hash: atHash(accessToken, alg),
      tenant: s.tenantSlug,
      env: s.environment,
      ...(s.sessionId ? { sid: s.sessionId } : {}),
      ...standardClaims(u, scope),
    })
      .setProtectedHeader({ alg, kid, typ: 'JWT' })
      .setIssuer(this.config.publicUrl)
      .setSubject(u.id)
      .setAudience(clientId)
      .setIssuedAt(now)
      .setExpirationTime(now + this.accessTokenTtl)
      .sign(privateKey);
  }
}

/** OIDC Core §3.1.3.6: left half of the hash of the access token. */
function atHash(token: string, alg: string): string {
  const bits = alg.endsWith('384') ? 'sha384' : alg.endsWith('512') ? 'sha512' : 'sha256';
  const digest = createHash(bits).update(token).digest();
  return digest.subarray(0, digest.length / 2).toString('base64url');
}

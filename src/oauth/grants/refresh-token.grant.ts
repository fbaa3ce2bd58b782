import { Injectable } from '@nestjs/common';
import { InvalidGrant, InvalidScope } from '../../common/errors/oauth-errors.js';
import { DirectoryDatabases } from '../../database/directory-databases.js';
import { DirectoryUsers } from '../../provisioning/directory-users.js';
import type { OAuthClientEntity } from '../clients/client.entity.js';
import { scopeTokens } from '../scope.js';
import { RefreshTokens } from '../tokens/refresh-tokens.js';
import { TokenIssuer } from '../tokens/token-issuer.js';
import { required, type TokenResponse } from '../token-request.js';

const reasons = {
  unknown: 'The refresh token is invalid.',
  expired: 'The refresh token has expired.',
  revoked: 'The refresh token has been revoked.',
  reused: 'The refresh token was already used; every token of this sign-in has been revoked.',
  'other-client': 'The refresh token was issued to another client.',
} as const;

/** grant_type=refresh_token (RFC 6749 §6), rotated on every use with reuse detection. */
@Injectable()
export class RefreshTokenGrant {
  constructor(
    private readonly refresh: RefreshTokens,
    private readonly directories: DirectoryDatabases,
    private readonly users: DirectoryUsers,
    private readonly issuer: TokenIssuer,
  ) {}

  async handle(client: OAuthClientEntity, params: Record<string, string>): Promise<TokenResponse> {
    const presented = required(params, 'refresh_token');
    // RFC 6749 §6: scope left out means the scope granted at sign-in; an empty one is malformed (§3.3), and is
    // refused before the refresh token is used, as a wider one is (inside the rotation).
    const asked = params.scope === undefined ? undefined : scopeTokens(params.scope);
    if (params.scope !== undefined && !asked) throw new InvalidScope('scope is empty: leave it out to keep the scope granted at sign-in, or name the scopes to narrow it to.');
    const rotated = await this.rotate(presented, client.clientId, asked);
    if (!rotated.ok) {
      if (rotated.reason === 'wider-scope') throw new InvalidScope('A refresh may only narrow the originally granted scope.');
      throw new InvalidGrant(reasons[rotated.reason]);
    }
    const g = rotated.grant;
    const scope = asked ?? g.scope;
    const user = await this.users.find(g.environment, g.tenantId, g.userId);
    if (!user || user.status !== 'active') {
      await this.refresh.revokeFamily(g.familyId, 'user-inactive');
      throw new InvalidGrant('The user is no longer active.');
    }
    const subject = { user, tenantSlug: g.tenantSlug!, environment: g.environment, authTime: g.authTime, grantId: g.familyId, sessionId: g.sessionId };
    return this.issuer.response(client.clientId, subject, scope, rotated.token);
  }

  /**
   * The rotation, with a training grant's environment checked before its token is used (training still on for the
   * tenant, its database answering), so that a refusal, or a 503 to retry, leaves the client a refresh token that
   * works once training is back. A production grant's directory is the rotation's own database: one statement.
   */
  private async rotate(presented: string, clientId: string, asked: string[] | undefined) {
    const first = await this.refresh.rotate(presented, clientId, asked);
    if (first.ok || first.reason !== 'unchecked-environment') return first;
    await this.directories.check(first.tenantId, first.environment);
    const second = await this.refresh.rotate(presented, clientId, asked, [first.environment]);
    // A token's environment never changes, so this answer is never 'unchecked-environment' (narrowed for the types).
    return second.ok || second.reason !== 'unchecked-environment' ? second : { ok: false as const, reason: 'unknown' as const };
  }
}

import { Controller, Get, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Clock } from '../common/clock.js';
import { InsufficientScope } from '../common/errors/oauth-errors.js';
import { type AccessTokenClaims, AccessTokenGuard, ForEnvironment } from '../oauth/access-token.guard.js';
import { standardClaims } from '../oauth/tokens/standard-claims.js';
import { RefreshTokens } from '../oauth/tokens/refresh-tokens.js';
import { DirectoryUsers } from '../provisioning/directory-users.js';
import { ApiStateCache } from './api-state-cache.js';
import { ByPost, tokenUser } from './me.controller.js';

/**
 * OIDC UserInfo (Core §5.3), the discovery document's userinfo_endpoint: the standard claims the token's scopes
 * release (§5.4), nothing more, for a token that was granted `openid`. The provisioned user whole (role,
 * locations, ID number, phones, RQ fields) is the apps' own API, /v1/me. Either environment's token: the claims
 * come from that environment's directory.
 */
@ApiTags('apps')
@ApiBearerAuth()
@Controller('oauth2')
@UseGuards(AccessTokenGuard)
@ForEnvironment('either')
export class UserInfoController {
  constructor(
    private readonly users: DirectoryUsers,
    private readonly grants: RefreshTokens,
    private readonly cache: ApiStateCache,
    private readonly clock: Clock,
  ) {}

  @Get('userinfo')
  @ApiOperation({ summary: 'OIDC UserInfo: sub, and the standard claims of the scopes granted (profile, email). Needs a token granted openid.' })
  @ApiOkResponse({ description: 'The claims.' })
  async userinfo(@Req() req: { accessToken: AccessTokenClaims }) {
    const t = req.accessToken;
    const scope = typeof t.scope === 'string' ? t.scope.split(' ') : [];
    if (!scope.includes('openid')) throw new InsufficientScope('UserInfo needs an access token granted the openid scope.');
    const user = await tokenUser(this.users, this.grants, t.env === 'production' ? this.cache : undefined, this.clock, t);
    const claims = standardClaims(user, scope);
    return { sub: user.id, ...claims, ...(scope.includes('profile') ? { updated_at: Math.floor(new Date(user.updatedAt).getTime() / 1000) } : {}) };
  }

  @ByPost('OIDC UserInfo by POST (Core §5.3.1): the same answer.', 'userinfo')
  @ApiOkResponse({ description: 'The claims.' })
  userinfoByPost(@Req() req: { accessToken: AccessTokenClaims }) {
    return this.userinfo(req);
  }
}

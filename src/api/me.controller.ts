import { Controller, Get, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { InvalidToken } from '../common/errors/oauth-errors.js';
import { type AccessTokenClaims, AccessTokenGuard, ForEnvironment } from '../oauth/access-token.guard.js';
import { DirectoryUsers } from '../provisioning/directory-users.js';
import { RefreshTokens } from '../oauth/tokens/refresh-tokens.js';

/** The user an access token was issued to, from the directory of the token's environment. */
async function me(users: DirectoryUsers, grants: RefreshTokens, t: AccessTokenClaims) {
  const [user, grantActive] = await Promise.all([users.find(t.env, t.tid, t.sub), typeof t.gid === 'string' ? grants.grantActive(t.gid) : true]);
  if (!user || user.status !== 'active') throw new InvalidToken('The user of this token is no longer active.');
  // Access tokens are short-lived JWTs; this API also honours revocation before they expire (logout, deprovisioning).
  if (!grantActive) throw new InvalidToken('The access token has been revoked.');
  return {
    sub: user.id,
    tenant: t.tenant,
    environment: t.env,
    username: user.username,
    preferred_username: user.username,
    given_name: user.firstName,
    family_name: user.lastName,
    email: user.email,
    securityRole: user.securityRole,
    locations: user.locations,
    ...user.profile,
    updated_at: Math.floor(new Date(user.updatedAt).getTime() / 1000),
  };
}

/** The signed-in user, for iQmetrix apps holding one of our production access tokens. */
@ApiTags('apps')
@ApiBearerAuth()
@Controller('v1')
@UseGuards(AccessTokenGuard)
@ForEnvironment('production')
export class MeController {
  constructor(
    private readonly users: DirectoryUsers,
    private readonly grants: RefreshTokens,
  ) {}

  @Get('me')
  @ApiOperation({ summary: 'The user the access token was issued to, with role and locations (also the OIDC UserInfo endpoint). Production tokens only.' })
  @ApiOkResponse({ description: 'The provisioned user.' })
  me(@Req() req: { accessToken: AccessTokenClaims }) {
    return me(this.users, this.grants, req.accessToken);
  }
}

/** The training counterpart: only training access tokens (aud urn:iqmetrix:api:training), users from the training database. */
@ApiTags('apps')
@ApiBearerAuth()
@Controller('v1/training')
@UseGuards(AccessTokenGuard)
@ForEnvironment('training')
export class TrainingMeController {
  constructor(
    private readonly users: DirectoryUsers,
    private readonly grants: RefreshTokens,
  ) {}

  @Get('me')
  @ApiOperation({ summary: 'The training user the access token was issued to, from the tenant\'s training database. Training tokens only.' })
  @ApiOkResponse({ description: 'The training user.' })
  me(@Req() req: { accessToken: AccessTokenClaims }) {
    return me(this.users, this.grants, req.accessToken);
  }
}

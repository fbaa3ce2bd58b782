import { Controller, Get, HttpCode, Post, Req, UseGuards, applyDecorators } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Clock } from '../common/clock.js';
import { InvalidToken } from '../common/errors/oauth-errors.js';
import { TrainingDisabled } from '../database/directory-databases.js';
import { type AccessTokenClaims, AccessTokenGuard, ForEnvironment } from '../oauth/access-token.guard.js';
import { ApiStateCache } from './api-state-cache.js';
import { DirectoryUsers } from '../provisioning/directory-users.js';
import { RefreshTokens } from '../oauth/tokens/refresh-tokens.js';

/**
 * The user an access token was issued to, from the directory of the token's environment, if the token still
 * stands: the user active, its grant not revoked (access tokens are short-lived JWTs; this API also honours
 * revocation before they expire: logout, deprovisioning). Production reads go through ApiStateCache (every change
 * reaches it at commit through Postgres NOTIFY); training reads do not.
 */
export async function tokenUser(users: DirectoryUsers, grants: RefreshTokens, cache: ApiStateCache | undefined, clock: Clock, t: AccessTokenClaims) {
  // A token of an environment its tenant has turned off (training) is a token that no longer stands: invalid_token
  // (RFC 6750 §3.1 has no access_denied), like a revoked one.
  const readUser = () => users.find(t.env, t.tid, t.sub).catch((e: unknown) => {
    throw e instanceof TrainingDisabled ? new InvalidToken(e.description) : e;
  });
  const gid = typeof t.gid === 'string' ? t.gid : undefined;
  const readGrant = () => grants.grantState(gid!);
  const [user, grant] = await Promise.all([
    cache ? cache.user(t.tid, t.sub, t.iat, readUser) : readUser(),
    gid ? (cache ? cache.grant(gid, t.iat, readGrant) : readGrant()) : undefined,
  ]);
  if (!user || user.status !== 'active') throw new InvalidToken('The user of this token is no longer active.');
  if (gid && (!grant || grant.revoked || grant.expiresAt <= clock.now().getTime())) throw new InvalidToken('The access token has been revoked.');
  return user;
}

/** The provisioned user whole, for iQmetrix apps: role, locations and every profile field. */
async function me(users: DirectoryUsers, grants: RefreshTokens, cache: ApiStateCache | undefined, clock: Clock, t: AccessTokenClaims) {
  const user = await tokenUser(users, grants, cache, clock, t);
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

/**
 * OIDC Core §5.3.1: UserInfo answers POST as it answers GET. The token goes in the Authorization header, or
 * (RFC 6750 §2.2) as access_token in a form body: AccessTokenGuard reads either, never both.
 */
export const ByPost = (summary: string, path = 'me') =>
  applyDecorators(
    Post(path),
    HttpCode(200),
    ApiOperation({ summary }),
    ApiConsumes('application/x-www-form-urlencoded'),
    ApiBody({ required: false, schema: { type: 'object', properties: { access_token: { type: 'string', description: 'The access token, if it is not in the Authorization header (never both).' } } } }),
  );

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
    private readonly cache: ApiStateCache,
    private readonly clock: Clock,
  ) {}

  @Get('me')
  @ApiOperation({ summary: 'The user the access token was issued to, with role and locations (also the OIDC UserInfo endpoint). Production tokens only.' })
  @ApiOkResponse({ description: 'The provisioned user.' })
  me(@Req() req: { accessToken: AccessTokenClaims }) {
    return me(this.users, this.grants, this.cache, this.clock, req.accessToken);
  }

  @ByPost('GET /v1/me by POST (OIDC Core §5.3.1): the same answer.')
  @ApiOkResponse({ description: 'The provisioned user.' })
  meByPost(@Req() req: { accessToken: AccessTokenClaims }) {
    return this.me(req);
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
    private readonly clock: Clock,
  ) {}

  @Get('me')
  @ApiOperation({ summary: 'The training user the access token was issued to, from the tenant\'s training database. Training tokens only.' })
  @ApiOkResponse({ description: 'The training user.' })
  me(@Req() req: { accessToken: AccessTokenClaims }) {
    return me(this.users, this.grants, undefined, this.clock, req.accessToken);
  }

  @ByPost('GET /v1/training/me by POST: the same answer.')
  @ApiOkResponse({ description: 'The training user.' })
  meByPost(@Req() req: { accessToken: AccessTokenClaims }) {
    return this.me(req);
  }
}

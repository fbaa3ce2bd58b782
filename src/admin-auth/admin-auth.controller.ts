import { applyDecorators, Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, Req } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiParam, ApiQuery, ApiResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { ProblemError } from '../common/errors/problem.js';
import { jsonSchema } from '../common/validation/openapi.js';
import { cursorParam } from '../common/validation/keyset-cursor.js';
import { decimalInt, isoInstant, parseOrProblem } from '../common/validation/zod.js';
import { AdminActionLog } from './admin-action-log.js';
import { createPrincipalSchema, AdminCredentials, type IssuedCredential, issueCredentialSchema, updatePrincipalSchema } from './admin-credentials.service.js';
import { Actor, AdminAccess, type AdminActor, AdminTenant, type AdminTenantRef, noteAdminAction } from './admin.guard.js';
import { AdminApi } from './admin-api.decorator.js';

const actionsQuery = z.strictObject({
  limit: decimalInt(1, 500).default(100),
  cursor: cursorParam.optional(),
  before: isoInstant('2026-11-01T00:00:00Z').optional(),
  principal: z.uuid().optional(),
});

/** The action log's query parameters in the OpenAPI document (both routes take the same ones). */
function ActionsQueryDocs(): MethodDecorator {
  return applyDecorators(
    ApiQuery({ name: 'limit', required: false, example: 100, description: '1 to 500; default 100.' }),
    ApiQuery({ name: 'cursor', required: false, description: 'nextCursor of the previous page (the next page: older entries, none skipped or repeated).' }),
    ApiQuery({ name: 'before', required: false, example: '2026-11-01T00:00:00Z', description: 'Only entries recorded before this instant (exclusive), ISO 8601. A filter: page with cursor (entries can share an instant).' }),
    ApiQuery({ name: 'principal', required: false, description: 'Only the requests of this admin user (an id from GET /admin/principals).' }),
  );
}

const exampleActions = {
  items: [{
    id: '0b6f1c2e-4d5a-4e6f-8a7b-9c0d1e2f3a4b', at: '2026-12-01T12:00:00.123456Z', actor: 'principal:3f0a8c1e-5b6d-4e7f-8a9b-0c1d2e3f4a5b', actorName: 'Jane Manager', role: 'manager',
    method: 'PUT', route: '/admin/tenants/:slug/config', path: '/admin/tenants/kentel/config', tenant: 'kentel', status: 200, outcome: 'ok', detail: { version: 4 }, correlationId: 'b1c2d3e4',
  }],
  nextCursor: 'WyIyMDI2LTEyLTAxVDEyOjAwOjAwLjEyMzQ1NloiLCIwYjZmMWMyZS00ZDVhLTRlNmYtOGE3Yi05YzBkMWUyZjNhNGIiXQ',
};

const exampleToken = {
  credential: {
    id: '7d1c9f0e-2a4b-4c55-9e61-0b8f4a1d2c3e', principalId: '3f0a8c1e-5b6d-4e7f-8a9b-0c1d2e3f4a5b', kind: 'api-token', parentId: null, label: 'laptop',
    hint: 'iqsso_am_Xy3k…', expiresAt: '2027-03-01T12:00:00.000Z', revokedAt: null, lastUsedAt: null, createdBy: 'operator:bootstrap-key', createdAt: '2026-12-01T12:00:00.000Z', status: 'active',
  },
  token: 'iqsso_am_(shown once: 52 characters)',
  warnings: [],
};

/** Issuing a token takes the API token itself: a console session's cookie alone is refused. */
const sessionRefused = {
  status: 403,
  description: 'The request was made with a console session: issuing a token needs the API token itself (Authorization: Bearer).',
  schema: { example: {
    type: '/problems/api-token-required', title: 'API token required', status: 403,
    detail: 'A console session cannot issue API tokens: send this request with your API token (Authorization: Bearer iqsso_am_…), which proves again who you are.',
    errors: [{ field: '(credential)', reason: 'a console session; issuing a token needs the API token itself' }],
  } },
};

/**
 * The action log entry of an issue names the new credential, its parent, the credential it was issued with (also
 * for a token issued to someone else, which has no parent: found by it, should that one be stolen) and whether its
 * expiry was capped.
 */
function noteIssued<T extends IssuedCredential>(req: unknown, actor: AdminActor, issued: T): T {
  noteAdminAction(req, {
    credential: issued.credential.id, parent: issued.credential.parentId, issuedWith: actor.credentialId, expiresAt: issued.credential.expiresAt,
    ...(issued.warnings.length ? { capped: true } : {}),
  });
  return issued;
}

/**
 * Who may use the admin API: operators create account managers, give them tenants, and issue their API tokens.
 * The bootstrap ADMIN_API_KEY is the first operator credential: it creates the first people.
 */
@ApiTags('admin access')
@ApiSecurity('admin-key')
@ApiSecurity('admin-token')
@Controller('admin')
@AdminApi()
export class AdminAuthController {
  constructor(
    private readonly credentials: AdminCredentials,
    private readonly actions: AdminActionLog,
  ) {}

  @Get('me')
  @AdminAccess('any')
  @ApiOperation({ summary: 'Who the credential belongs to, its role and the tenants it may touch.' })
  async me(@Actor() actor: AdminActor) {
    const person = actor.principalId ? await this.credentials.principal(actor.principalId) : null;
    return { actor: actor.id, name: actor.name, role: actor.role, via: actor.via, credentialId: actor.credentialId, tenants: actor.role === 'operator' ? 'all' : person?.tenants ?? [] };
  }

  @Post('me/credentials')
  @AdminAccess('any')
  @ApiOperation({
    summary: 'Issue yourself another API token (e.g. for another device). The token is in this answer only. It expires no later than the API token you call with, and revoking that one revokes it; a shortened expiry is a warning on expiresInDays. Not with a console session (403): send your API token.',
  })
  @ApiBody({ schema: { ...jsonSchema(issueCredentialSchema), example: { label: 'new laptop', expiresInDays: 90 } } })
  @ApiResponse({ status: 201, schema: { example: exampleToken } })
  @ApiResponse(sessionRefused)
  async issueOwn(@Body() body: unknown, @Actor() actor: AdminActor, @Req() req: unknown) {
    this.credentials.refuseSession(actor);
    if (!actor.principalId) throw ProblemError.validation([{ field: '(credential)', reason: 'the bootstrap key belongs to no one; create an admin user and issue their token' }]);
    return noteIssued(req, actor, await this.credentials.issue(actor.principalId, parseOrProblem(issueCredentialSchema, body), actor));
  }

  @Get('me/credentials')
  @AdminAccess('any')
  @ApiOperation({ summary: 'Your credentials (never the tokens: only a hint of each).' })
  ownCredentials(@Actor() actor: AdminActor) {
    return actor.principalId ? this.credentials.credentialsOf(actor.principalId) : [];
  }

  @Delete('credentials/:id')
  @AdminAccess('any')
  @HttpCode(200)
  @ApiOperation({ summary: 'Revoke a credential at once (operators: any; managers: their own), with every credential issued with it and the console sessions opened with them (alsoRevoked).' })
  revoke(@Param('id') id: string, @Actor() actor: AdminActor) {
    return this.credentials.revoke(id, actor);
  }

  @Post('principals')
  @ApiOperation({ summary: 'Operators: add an account manager (or another operator) with the tenants they look after.' })
  @ApiBody({ schema: { ...jsonSchema(createPrincipalSchema), example: { name: 'Jane Manager', email: 'jane@iqmetrix.com', role: 'manager', tenants: ['kentel'] } } })
  createPrincipal(@Body() body: unknown, @Actor() actor: AdminActor) {
    return this.credentials.createPrincipal(parseOrProblem(createPrincipalSchema, body), actor);
  }

  @Get('principals')
  @ApiOperation({ summary: 'Operators: everyone with admin access.' })
  principals() {
    return this.credentials.listPrincipals();
  }

  @Get('principals/:id')
  @ApiOperation({ summary: 'Operators: one admin user, with their credentials (hints only).' })
  async principal(@Param('id') id: string) {
    return { ...(await this.credentials.principal(id)), credentials: await this.credentials.credentialsOf(id) };
  }

  @Patch('principals/:id')
  @ApiOperation({
    summary: 'Operators: rename, disable or enable an admin user, change their role, or replace the tenants they look after. Made operator, a manager\'s tenant list is dropped (operators look after every tenant); made manager, they look after the tenants given with it (none without). The last enabled operator cannot be demoted or disabled (409).',
  })
  @ApiBody({ schema: { ...jsonSchema(updatePrincipalSchema), example: { role: 'manager', tenants: ['kentel', 'other'] } } })
  async updatePrincipal(@Param('id') id: string, @Body() body: unknown, @Actor() actor: AdminActor, @Req() req: unknown) {
    noteAdminAction(req, { principal: id });
    const { principal, changes } = await this.credentials.updatePrincipal(id, parseOrProblem(updatePrincipalSchema, body), actor);
    noteAdminAction(req, { changes });
    return principal;
  }

  @Post('principals/:id/credentials')
  @ApiOperation({ summary: 'Operators: issue an API token for an admin user. The token is in this answer only; it is stored as a hash. For your own id, the rules of POST /admin/me/credentials apply. Not with a console session (403): send your API token.' })
  @ApiBody({ schema: { ...jsonSchema(issueCredentialSchema), example: { label: 'onboarding laptop', expiresInDays: 30 } } })
  @ApiResponse({ status: 201, schema: { example: exampleToken } })
  @ApiResponse(sessionRefused)
  async issue(@Param('id') id: string, @Body() body: unknown, @Actor() actor: AdminActor, @Req() req: unknown) {
    this.credentials.refuseSession(actor);
    return noteIssued(req, actor, await this.credentials.issue(id, parseOrProblem(issueCredentialSchema, body), actor));
  }

  @Get('actions')
  @ApiOperation({ summary: 'Operators: the admin action log (every admin request: who, what, which tenant, outcome; denials included), newest first; cursor paging (pass nextCursor back as cursor).' })
  @ActionsQueryDocs()
  @ApiResponse({ status: 200, schema: { example: exampleActions } })
  actionsLog(@Query() query: unknown) {
    const q = parseOrProblem(actionsQuery, query, 'query');
    return this.actions.list({ limit: q.limit, cursor: q.cursor, before: q.before, principalId: q.principal });
  }

  @Get('tenants/:slug/actions')
  @ApiParam({ name: 'slug', example: 'kentel' })
  @ApiOperation({ summary: 'The admin action log of one tenant, newest first; cursor paging (pass nextCursor back as cursor).' })
  @ActionsQueryDocs()
  @ApiResponse({ status: 200, schema: { example: exampleActions } })
  tenantActions(@AdminTenant() tenant: AdminTenantRef, @Query() query: unknown) {
    const q = parseOrProblem(actionsQuery, query, 'query');
    return this.actions.list({ tenantId: tenant.id, limit: q.limit, cursor: q.cursor, before: q.before, principalId: q.principal });
  }
}

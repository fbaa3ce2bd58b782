import { Body, Controller, Delete, Get, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { refuseConsoleSession } from '../admin-auth/admin-actor.js';
import { Actor, type AdminActor, AdminTenant, type AdminTenantRef } from '../admin-auth/admin.guard.js';
import { ProblemError } from '../common/errors/problem.js';
import { jsonSchema } from '../common/validation/openapi.js';
import { oneLine, parseOrProblem } from '../common/validation/zod.js';
import { ScimTokens } from './scim-tokens.service.js';
import { AdminApi } from '../admin-auth/admin-api.decorator.js';

// Strict, as every admin body but a configuration's: a key that is no field ("expiresIndays") is a 422, never a
// token that silently never expires.
const issueSchema = z.strictObject({
  label: oneLine().default('Okta SCIM provisioning'),
  expiresInDays: z.number().int().min(1).max(3650).optional(),
});

/**
 * Account managers issue and revoke the bearer tokens a customer's Okta uses for SCIM provisioning of the
 * tenant. Rotation: issue a new token, set it in the Okta app's Provisioning > Integration, revoke the old one.
 */
@ApiTags('scim')
@ApiSecurity('admin-key')
@Controller('admin/tenants/:slug/scim-tokens')
@AdminApi()
export class AdminScimTokensController {
  constructor(private readonly tokens: ScimTokens) {}

  @Post()
  @ApiOperation({ summary: 'Issue a SCIM bearer token for this tenant. The token is returned once, here only; only its hash is stored.' })
  @ApiBody({ schema: { ...jsonSchema(issueSchema), example: { label: 'Kentel Okta', expiresInDays: 365 } } })
  issue(@AdminTenant() tenant: AdminTenantRef, @Body() body: unknown, @Actor() actor: AdminActor) {
    refuseConsoleSession(actor, 'issue SCIM tokens', 'issuing a SCIM token');
    const input = parseOrProblem(issueSchema, body);
    return this.tokens.issue(tenant.id, input.label, input.expiresInDays, actor.id);
  }

  @Get()
  @ApiOperation({ summary: 'The tenant\'s SCIM tokens (never the token itself): label, who issued it, last use, revocation.' })
  list(@AdminTenant() tenant: AdminTenantRef) {
    return this.tokens.list(tenant.id);
  }

  @Delete(':id')
  @ApiOperation({ summary: 'Revoke a SCIM token (immediately refused afterwards).' })
  revoke(@AdminTenant() tenant: AdminTenantRef, @Param('id', new ParseUUIDPipe({ exceptionFactory: () => ProblemError.notFound('SCIM token') })) id: string, @Actor() actor: AdminActor) {
    return this.tokens.revoke(tenant.id, id, actor.id);
  }
}

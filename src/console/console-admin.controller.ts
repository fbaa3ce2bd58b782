import { Body, Controller, Get, HttpCode, Post, UseGuards } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { Actor, AdminAccess, type AdminActor, AdminGuard } from '../admin-auth/admin.guard.js';
import { ProblemError } from '../common/errors/problem.js';
import { jsonSchema } from '../common/validation/openapi.js';
import { parseOrProblem } from '../common/validation/zod.js';
import { OktaDiscovery } from '../tenants/okta-discovery.js';
import { httpsIssuer } from '../tenants/tenant-config.schema.js';

const discoverySchema = z.object({ okta: z.object({ issuer: httpsIssuer }) });

/**
 * Two read-only additions the console needs and the tenant API does not offer: the status of every tenant in
 * the caller's scope in one call (the tenant list screen), and a discovery preview before a tenant exists
 * (onboarding step 1). Neither changes anything; saving still goes through the tenant API and its validation.
 */
@ApiTags('console')
@ApiSecurity('admin-key')
@ApiSecurity('admin-token')
@Controller('admin/console')
@UseGuards(AdminGuard)
export class ConsoleAdminController {
  constructor(
    private readonly db: DataSource,
    private readonly discovery: OktaDiscovery,
  ) {}

  @Get('status')
  @AdminAccess('any')
  @ApiOperation({ summary: 'Status at a glance of every tenant the caller may see: last successful sign-in, last failure and its reason.' })
  async status(@Actor() actor: AdminActor) {
    const rows: Array<Record<string, any>> = await this.db.query(
      `SELECT t.slug,
              (SELECT json_build_object('at', a.created_at, 'username', a.username, 'outcome', a.outcome, 'environment', a.environment, 'auditId', a.id)
                 FROM provisioning_audit a WHERE a.tenant_id = t.id AND a.outcome IN ('created', 'updated', 'unchanged')
                ORDER BY a.created_at DESC, a.id DESC LIMIT 1) AS "lastSuccess",
              (SELECT json_build_object('at', a.created_at, 'username', a.username, 'outcome', a.outcome, 'environment', a.environment, 'auditId', a.id, 'reason', a.reasons -> 0)
                 FROM provisioning_audit a WHERE a.tenant_id = t.id AND a.outcome IN ('refused', 'failed')
                ORDER BY a.created_at DESC, a.id DESC LIMIT 1) AS "lastFailure"
         FROM tenants t
        WHERE $1::boolean OR t.id = ANY($2::uuid[])
        ORDER BY t.slug`,
      [actor.role === 'operator', [...actor.tenantIds]],
    );
    return rows;
  }

  @Post('discovery')
  @AdminAccess('any')
  @HttpCode(200)
  @ApiOperation({ summary: 'Fetch and check an Okta issuer\'s discovery document (as a save would), without saving anything: the endpoints a tenant would get.' })
  @ApiBody({ schema: { ...jsonSchema(discoverySchema), example: { okta: { issuer: 'https://kentel.okta.com/oauth2/ausahmkfuuR7FgsLi0h7' } } } })
  async discover(@Body() body: unknown) {
    const { okta } = parseOrProblem(discoverySchema, body);
    const result = await this.discovery.discover(okta.issuer);
    if (!result.ok) throw ProblemError.validation([result.problem], 'The Okta issuer could not be verified.');
    return { issuer: okta.issuer, endpoints: result.endpoints };
  }
}

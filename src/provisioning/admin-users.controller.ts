import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post, Put, Query } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiQuery, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { Actor, type AdminActor, AdminTenant, type AdminTenantRef } from '../admin-auth/admin.guard.js';
import { ProblemError } from '../common/errors/problem.js';
import { jsonSchema } from '../common/validation/openapi.js';
import { decimalInt, parseOrProblem } from '../common/validation/zod.js';
import { TenantsService } from '../tenants/tenants.service.js';
import { type AdminContext, AdminUsers } from './admin-users.service.js';
import { RequestId } from './request-id.js';
import { AdminApi } from '../admin-auth/admin-api.decorator.js';

const userId = () => new ParseUUIDPipe({ exceptionFactory: () => ProblemError.notFound('User') });
const fieldName = z.string().regex(/^([A-Za-z]{1,40}|custom\.[A-Za-z0-9_]{1,64})$/, 'must be a field name such as firstName or custom.Region');

export const editSchema = z
  .object({
    set: z.record(fieldName, z.string().max(4000).nullable()).optional().describe('Field → value set by hand (null clears it by hand).'),
    handBack: z.array(fieldName).max(40).optional().describe('Fields handed back to the identity provider.'),
  })
  .strict()
  .refine((e) => Object.keys(e.set ?? {}).length + (e.handBack?.length ?? 0) > 0, { message: 'give set, handBack, or both' });

const listQuery = z.object({
  username: z.string().trim().min(1).max(254).optional(),
  cursor: z.string().max(400).optional(),
  limit: decimalInt(1, 200).default(50),
}).strict();

const externalId = z.string().trim().min(1).max(100).regex(/^[^\p{Cc}\p{Cf}]+$/u, 'must not contain control characters');

/**
 * Provisioned users for account managers, with provenance: set fields by hand, assign and unassign locations
 * by hand, and hand either back to the identity provider. Every change is attributed and audited.
 */
@ApiTags('users')
@ApiSecurity('admin-key')
@ApiSecurity('admin-token')
@Controller('admin/tenants/:slug/users')
@AdminApi()
export class AdminUsersController {
  constructor(
    private readonly tenants: TenantsService,
    private readonly users: AdminUsers,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Users of the tenant in username order; username filters by case-insensitive prefix; cursor paging (pass nextCursor back as cursor).' })
  @ApiQuery({ name: 'username', required: false })
  @ApiQuery({ name: 'cursor', required: false })
  @ApiQuery({ name: 'limit', required: false })
  list(@AdminTenant() tenant: AdminTenantRef, @Query() query: unknown) {
    return this.users.list(tenant.id, parseOrProblem(listQuery, query, 'query'));
  }

  @Get(':id')
  @ApiOperation({ summary: 'A user: every field with its value and provenance (idp, manual, none), and every location assignment with its source.' })
  user(@AdminTenant() tenant: AdminTenantRef, @Param('id', userId()) id: string) {
    return this.users.get(tenant.id, id);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Set fields by hand (sign-in then leaves them alone) and/or hand fields back to the identity provider.' })
  @ApiBody({ schema: { ...jsonSchema(editSchema), example: { set: { firstName: 'Alexandra', 'custom.Region': 'West' }, handBack: ['homePhone'] } } })
  async edit(@AdminTenant() tenant: AdminTenantRef, @Param('id', userId()) id: string, @Body() body: unknown, @Actor() actor: AdminActor, @RequestId() rid?: string) {
    const edit = parseOrProblem(editSchema, body);
    return this.users.editFields(await this.context(tenant, actor, rid), id, edit);
  }

  @Put(':id/locations/:externalId')
  @HttpCode(200)
  @ApiOperation({ summary: 'Assign a location by hand (sign-in never removes it; an IdP-sourced assignment becomes manual).' })
  async assign(@AdminTenant() tenant: AdminTenantRef, @Param('id', userId()) id: string, @Param('externalId') ext: string, @Actor() actor: AdminActor, @RequestId() rid?: string) {
    return this.users.assignLocation(await this.context(tenant, actor, rid), id, this.location(ext));
  }

  @Delete(':id/locations/:externalId')
  @HttpCode(200)
  @ApiOperation({ summary: 'Unassign a location by hand; sign-in will not assign it again until it is handed back.' })
  async unassign(@AdminTenant() tenant: AdminTenantRef, @Param('id', userId()) id: string, @Param('externalId') ext: string, @Actor() actor: AdminActor, @RequestId() rid?: string) {
    return this.users.unassignLocation(await this.context(tenant, actor, rid), id, this.location(ext));
  }

  @Post(':id/locations/:externalId/hand-back')
  @HttpCode(200)
  @ApiOperation({ summary: 'Hand a location back to the identity provider: the next sign-in assigns or removes it as Okta says.' })
  async handBack(@AdminTenant() tenant: AdminTenantRef, @Param('id', userId()) id: string, @Param('externalId') ext: string, @Actor() actor: AdminActor, @RequestId() rid?: string) {
    return this.users.handBackLocation(await this.context(tenant, actor, rid), id, this.location(ext));
  }

  private location(raw: string): string {
    return parseOrProblem(z.object({ externalId }), { externalId: raw }, 'path').externalId;
  }

  private async context(tenant: AdminTenantRef, actor: AdminActor, correlationId?: string): Promise<AdminContext> {
    const active = await this.tenants.storedVersion(tenant.id);
    return { tenantId: tenant.id, configVersion: active.version, config: active.config, actor: actor.id, correlationId };
  }
}

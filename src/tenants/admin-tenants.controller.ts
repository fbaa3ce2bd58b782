import { Body, Controller, Get, HttpCode, Param, Post, Put, UseGuards } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { Actor, AdminAccess, type AdminActor, AdminGuard, AdminTenant, type AdminTenantRef } from '../admin-auth/admin.guard.js';
import { AdminCredentials } from '../admin-auth/admin-credentials.service.js';
import { jsonSchema } from '../common/validation/openapi.js';
import { parseOrProblem } from '../common/validation/zod.js';
import { CompanyTree } from './company-tree.service.js';
import { createTenantSchema, locationsSchema, updateConfigSchema } from './tenant-inputs.js';
import { TenantsService } from './tenants.service.js';

const exampleConfig = {
  okta: { issuer: 'https://kentel.okta.com/oauth2/ausahmkfuuR7FgsLi0h7', clientId: '0oa1b2c3d4e5f6g7h8i9', tokenEndpointAuthMethod: 'client_secret_basic', autoProvisioning: true },
  domains: ['kentel.com'],
  usernameRewrites: [{ from: 'yvr.kentel.local', to: 'kentel.com' }],
  roles: { map: { 'Store Manager': 'RQ-StoreManager', Associate: 'RQ-Associate' } },
};

@ApiTags('tenants')
@ApiSecurity('admin-key')
@Controller('admin/tenants')
@UseGuards(AdminGuard)
export class AdminTenantsController {
  constructor(
    private readonly tenants: TenantsService,
    private readonly tree: CompanyTree,
    private readonly credentials: AdminCredentials,
  ) {}

  @Post()
  @AdminAccess('any')
  @ApiOperation({ summary: 'Create a tenant with its Okta settings (the discovery document is fetched and checked).' })
  @ApiBody({ schema: { ...jsonSchema(createTenantSchema), example: { slug: 'kentel', name: 'Kentel', clientSecret: '(write-only)', config: exampleConfig } } })
  async create(@Body() body: unknown, @Actor() actor: AdminActor) {
    const tenant = await this.tenants.create(parseOrProblem(createTenantSchema, body), actor.id);
    // A manager looks after the tenants they onboard.
    if (actor.role === 'manager' && actor.principalId) await this.credentials.grantTenant(actor.principalId, tenant.id, actor);
    return tenant;
  }

  @Get()
  @AdminAccess('any')
  @ApiOperation({ summary: 'The tenants the caller may see (operators: all), each with its configuration in force (never the client secret).' })
  async list(@Actor() actor: AdminActor) {
    const all = await this.tenants.list();
    return actor.role === 'operator' ? all : all.filter((t) => actor.tenantIds.has(t.id));
  }

  @Get(':slug')
  @ApiOperation({ summary: 'One tenant (never the client secret).' })
  get(@Param('slug') slug: string) {
    return this.tenants.get(slug);
  }

  @Put(':slug/config')
  @ApiOperation({ summary: 'Save a new configuration version (the client secret is optional: omitted keeps the current one).' })
  @ApiBody({ schema: { ...jsonSchema(updateConfigSchema), example: { config: exampleConfig } } })
  updateConfig(@Param('slug') slug: string, @Body() body: unknown, @Actor() actor: AdminActor) {
    return this.tenants.updateConfig(slug, parseOrProblem(updateConfigSchema, body), actor.id);
  }

  @Put(':slug/locations')
  @HttpCode(200)
  @ApiOperation({ summary: 'Load the company tree (External Node Identifiers): adds and changes; reports what changed.' })
  @ApiBody({ schema: { ...jsonSchema(locationsSchema), example: { locations: [{ externalId: 'LOC-1', name: 'Vancouver Downtown' }] } } })
  async putLocations(@AdminTenant() tenant: AdminTenantRef, @Body() body: unknown) {
    return this.tree.load(tenant.id, parseOrProblem(locationsSchema, body).locations);
  }

  @Get(':slug/locations')
  async locations(@AdminTenant() tenant: AdminTenantRef) {
    return this.tree.list(tenant.id);
  }
}

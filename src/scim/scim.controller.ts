import { Body, Controller, Delete, Get, Header, HttpCode, Param, Patch, Post, Put, Query, Req, Res, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { AppConfig } from '../config/app-config.js';
import { ScimError } from '../common/errors/scim-error.js';
import { parseUserFilter } from './scim-filter.js';
import { listResponse, MAX_RESULTS, schemaDocuments, SCIM_CONTENT_TYPE, serviceProviderConfig, userResourceType } from './scim-schemas.js';
import { Scim, ScimGuard } from './scim.guard.js';
import type { ScimCaller } from './scim-tokens.service.js';
import { fromPatch, fromResource, toResource } from './scim-user.js';
import { ScimUsers } from './scim-users.service.js';
import { clipName } from '../common/validation/field-path.js';

type Req = Request & { id?: string };

/**
 * A paging integer as given, any size: RFC 7644 §3.4.2.4 has the caller clamp it (a startIndex below 1 is 1, a
 * negative count is 0, a count above maxResults is maxResults), so every integer is taken, clamped here to
 * -1…2^31-1 (no tenant has more users; a huge startIndex is just past the end). Non-integers are refused.
 */
function pagingInt(v: unknown, name: string, fallback: number): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'string' || !/^[-+]?\d+$/.test(v)) throw ScimError.invalidValue(`${name} must be an integer.`);
  return Math.max(Math.min(Number(v), 2_147_483_647), -1);
}

/**
 * SCIM 2.0 service provider (RFC 7643 / RFC 7644) for one tenant at /scim/v2/{tenant}: Users (create, read,
 * list with `userName eq`, replace, patch, delete) and the discovery endpoints. Bearer-authenticated per tenant.
 */
@ApiExcludeController()
@Controller('scim/v2/:tenant')
@UseGuards(ScimGuard)
export class ScimController {
  constructor(
    private readonly users: ScimUsers,
    private readonly config: AppConfig,
  ) {}

  private base(slug: string): string {
    return `${this.config.publicUrl}/scim/v2/${slug}`;
  }

  @Get('ServiceProviderConfig')
  @Header('Content-Type', SCIM_CONTENT_TYPE)
  spc(@Scim() caller: ScimCaller) {
    return serviceProviderConfig(this.base(caller.tenantSlug));
  }

  @Get('ResourceTypes')
  @Header('Content-Type', SCIM_CONTENT_TYPE)
  resourceTypes(@Scim() caller: ScimCaller) {
    return listResponse([userResourceType(this.base(caller.tenantSlug))], 1, 1);
  }

  @Get('ResourceTypes/:id')
  @Header('Content-Type', SCIM_CONTENT_TYPE)
  resourceType(@Scim() caller: ScimCaller, @Param('id') id: string) {
    if (id !== 'User') throw ScimError.notFound(`Resource type ${clipName(id)} not found.`);
    return userResourceType(this.base(caller.tenantSlug));
  }

  @Get('Schemas')
  @Header('Content-Type', SCIM_CONTENT_TYPE)
  schemas(@Scim() caller: ScimCaller) {
    const docs = schemaDocuments(this.base(caller.tenantSlug));
    return listResponse(docs, docs.length, 1);
  }

  @Get('Schemas/:id')
  @Header('Content-Type', SCIM_CONTENT_TYPE)
  schema(@Scim() caller: ScimCaller, @Param('id') id: string) {
    const doc = schemaDocuments(this.base(caller.tenantSlug)).find((d) => d.id === id);
    if (!doc) throw ScimError.notFound(`Schema ${clipName(id, 100)} not found.`);
    return doc;
  }

  @Get('Users')
  @Header('Content-Type', SCIM_CONTENT_TYPE)
  async list(@Scim() caller: ScimCaller, @Query() query: Record<string, unknown>) {
    if (Array.isArray(query.filter)) throw ScimError.invalidFilter('Give one filter parameter.');
    const filter = typeof query.filter === 'string' ? parseUserFilter(query.filter) : undefined;
    const startIndex = Math.max(pagingInt(query.startIndex, 'startIndex', 1), 1);
    const count = Math.min(Math.max(pagingInt(query.count, 'count', 100), 0), MAX_RESULTS);
    const tenant = await this.users.tenant(caller);
    const { total, users } = await this.users.list(tenant, filter, startIndex, count);
    return listResponse(users.map((u) => toResource(u, this.base(caller.tenantSlug))), total, startIndex);
  }

  @Get('Users/:id')
  @Header('Content-Type', SCIM_CONTENT_TYPE)
  async get(@Scim() caller: ScimCaller, @Param('id') id: string) {
    return toResource(await this.users.get(caller.tenantId, id), this.base(caller.tenantSlug));
  }

  @Post('Users')
  @HttpCode(201)
  async create(@Scim() caller: ScimCaller, @Body() body: unknown, @Req() req: Req, @Res({ passthrough: true }) res: Response) {
    const tenant = await this.users.tenant(caller);
    const user = await this.users.create(tenant, fromResource(body, tenant.config), req.id);
    const resource = toResource(user, this.base(caller.tenantSlug));
    res.set({ 'Content-Type': SCIM_CONTENT_TYPE, Location: resource.meta.location });
    return resource;
  }

  @Put('Users/:id')
  @Header('Content-Type', SCIM_CONTENT_TYPE)
  async replace(@Scim() caller: ScimCaller, @Param('id') id: string, @Body() body: unknown, @Req() req: Req) {
    const tenant = await this.users.tenant(caller);
    const user = await this.users.update(tenant, id, fromResource(body, tenant.config), req.id);
    return toResource(user, this.base(caller.tenantSlug));
  }

  @Patch('Users/:id')
  @Header('Content-Type', SCIM_CONTENT_TYPE)
  async patch(@Scim() caller: ScimCaller, @Param('id') id: string, @Body() body: unknown, @Req() req: Req) {
    const tenant = await this.users.tenant(caller);
    await this.users.get(tenant.id, id);
    const user = await this.users.update(tenant, id, fromPatch(body, tenant.config), req.id);
    return toResource(user, this.base(caller.tenantSlug));
  }

  @Delete('Users/:id')
  @HttpCode(204)
  async remove(@Scim() caller: ScimCaller, @Param('id') id: string, @Req() req: Req): Promise<void> {
    const tenant = await this.users.tenant(caller);
    await this.users.remove(tenant, id, req.id);
  }
}

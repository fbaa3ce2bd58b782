import { Controller, Get, Param, ParseUUIDPipe, Query, UseGuards } from '@nestjs/common';
import { ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { AdminGuard } from '../admin-auth/admin.guard.js';
import { ProblemError } from '../common/errors/problem.js';
import { parseOrProblem } from '../common/validation/zod.js';
import { TenantsService } from '../tenants/tenants.service.js';
import { DirectoryUsers } from './directory-users.js';

const listQuery = z.object({ limit: z.coerce.number().int().min(1).max(200).default(50) });

/** Account managers' view of what provisioning did: users and audit rows of a tenant. */
@ApiTags('directory')
@ApiSecurity('admin-key')
@Controller('admin/tenants/:slug')
@UseGuards(AdminGuard)
export class AdminDirectoryController {
  constructor(
    private readonly tenants: TenantsService,
    private readonly users: DirectoryUsers,
    private readonly db: DataSource,
  ) {}

  @Get('users/:id')
  @ApiOperation({ summary: 'A provisioned user with their locations.' })
  async user(@Param('slug') slug: string, @Param('id', new ParseUUIDPipe({ exceptionFactory: () => ProblemError.notFound('User') })) id: string) {
    const tenant = await this.tenants.bySlug(slug);
    const user = await this.users.find('production', tenant.id, id);
    if (!user) throw ProblemError.notFound('User');
    return user;
  }

  @Get('audits')
  @ApiOperation({ summary: 'Most recent provisioning attempts.' })
  async audits(@Param('slug') slug: string, @Query() query: unknown) {
    const { limit } = parseOrProblem(listQuery, query, 'query');
    const tenant = await this.tenants.bySlug(slug);
    return this.db.query(
      `SELECT id, environment, source, config_version AS "configVersion", issuer, subject, username, user_id AS "userId", outcome, changes, sources,
              reasons, warnings, claims, correlation_id AS "correlationId", created_at AS "createdAt"
         FROM provisioning_audit WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2`,
      [tenant.id, limit],
    );
  }
}

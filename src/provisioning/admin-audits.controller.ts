import { Controller, Get, Param, ParseUUIDPipe, Query } from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { AdminTenant, type AdminTenantRef } from '../admin-auth/admin.guard.js';
import { ProblemError } from '../common/errors/problem.js';
import { parseOrProblem } from '../common/validation/zod.js';
import { auditListQuery, AuditQuery } from './audit-query.js';
import { AdminApi } from '../admin-auth/admin-api.decorator.js';

const notFound = () => new ParseUUIDPipe({ exceptionFactory: () => ProblemError.notFound('Audit record') });

/** Account managers' view of what provisioning did: one audit row per attempt (sign-in, password, SCIM, hand edit). */
@ApiTags('audits')
@ApiSecurity('admin-key')
@ApiSecurity('admin-token')
@Controller('admin/tenants/:slug/audits')
@AdminApi()
export class AdminAuditsController {
  constructor(private readonly audits: AuditQuery) {}

  @Get()
  @ApiOperation({ summary: 'Provisioning attempts, newest first, filtered; cursor paging (pass nextCursor back as cursor).' })
  @ApiQuery({ name: 'user', required: false, description: 'A user id, a username (case-insensitive) or an identity-provider subject.' })
  @ApiQuery({ name: 'outcome', required: false, example: 'refused,failed', description: 'created, updated, unchanged, refused, failed (comma-separated).' })
  @ApiQuery({ name: 'environment', required: false, enum: ['production', 'training'] })
  @ApiQuery({ name: 'source', required: false, enum: ['sign-in', 'password', 'scim', 'admin'] })
  @ApiQuery({ name: 'from', required: false, example: '2026-11-01T00:00:00Z', description: 'Inclusive.' })
  @ApiQuery({ name: 'to', required: false, example: '2026-11-02T00:00:00Z', description: 'Exclusive.' })
  @ApiQuery({ name: 'limit', required: false, example: 50, description: '1 to 200.' })
  @ApiQuery({ name: 'cursor', required: false })
  list(@AdminTenant() tenant: AdminTenantRef, @Query() query: unknown) {
    return this.audits.list(tenant.id, parseOrProblem(auditListQuery, query, 'query'));
  }

  @Get(':id')
  @ApiOperation({ summary: 'One attempt whole: field diff, source of each value, configuration version, reasons, warnings, redacted claims.' })
  one(@AdminTenant() tenant: AdminTenantRef, @Param('id', notFound()) id: string) {
    return this.audits.get(tenant.id, id);
  }
}

import { Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { AdminTenant, type AdminTenantRef } from '../admin-auth/admin.guard.js';
import { ProblemError } from '../common/errors/problem.js';
import { decimalInt, parseOrProblem } from '../common/validation/zod.js';
import { Reconciliation } from './reconciliation.service.js';
import { AdminApi } from '../admin-auth/admin-api.decorator.js';

const listQuery = z.strictObject({ limit: decimalInt(1, 1000).default(200) });

/** Account managers' list of users not seen for the tenant's chosen period (flagged, never deleted). */
@ApiTags('lifecycle')
@ApiSecurity('admin-key')
@Controller('admin/tenants/:slug/reconciliation')
@AdminApi()
export class AdminReconciliationController {
  constructor(
    private readonly reconciliation: Reconciliation,
    private readonly db: DataSource,
  ) {}

  @Get('unseen')
  @ApiOperation({ summary: 'Users flagged as not signed in for the tenant\'s lifecycle.flagUnseenAfterDays, oldest first.' })
  async unseen(@AdminTenant() tenant: AdminTenantRef, @Query() query: unknown) {
    const { limit } = parseOrProblem(listQuery, query, 'query');
    return { days: await this.days(tenant.id), users: await this.reconciliation.unseen(tenant.id, limit) };
  }

  @Post('run')
  @HttpCode(200)
  @ApiOperation({ summary: 'Run this tenant\'s reconciliation now (the periodic run does the same): flags and clears, bounded by RECONCILE_BATCH.' })
  async run(@AdminTenant() tenant: AdminTenantRef) {
    const days = await this.days(tenant.id);
    if (days === null) throw ProblemError.validation([{ field: 'config.lifecycle.flagUnseenAfterDays', reason: 'is not set for this tenant, so nobody is flagged' }], 'The tenant has not chosen a period.');
    return this.reconciliation.runTenant(tenant.id, days);
  }

  private async days(tenantId: string): Promise<number | null> {
    const rows = await this.db.query(
      `SELECT (v.config->'lifecycle'->>'flagUnseenAfterDays')::int AS days FROM tenants t JOIN tenant_config_versions v ON v.tenant_id = t.id AND v.version = t.active_version WHERE t.id = $1`,
      [tenantId],
    );
    return rows[0]?.days ?? null;
  }
}

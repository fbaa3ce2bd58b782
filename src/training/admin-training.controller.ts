import { Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Put, Req } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { z } from 'zod';
import { AdminTenant, type AdminTenantRef, noteAdminAction } from '../admin-auth/admin.guard.js';
import { ProblemError } from '../common/errors/problem.js';
import { jsonSchema } from '../common/validation/openapi.js';
import { DirectoryDatabases, TrainingDatabaseRefused, TrainingDatabaseUnavailable, TrainingDisabled } from '../database/directory-databases.js';
import { DirectoryUsers } from '../provisioning/directory-users.js';
import { loadOptions, readBulkBody } from '../tenants/bulk/bulk-body.js';
import { CompanyTree, LOCATION_COLUMNS } from '../tenants/company-tree.service.js';
import { locationsSchema } from '../tenants/tenant-inputs.js';
import { TenantsService } from '../tenants/tenants.service.js';
import { AdminApi } from '../admin-auth/admin-api.decorator.js';

/** A training tree load's one option: a one-time copy of production's tree instead of rows (JSON only). */
const trainingLoadOptions = z.strictObject({ copyFromProduction: z.boolean().optional() });

/**
 * Account managers' side of a tenant's training environment. Its configuration is the `training` section of
 * the versioned tenant configuration (PUT /admin/tenants/{slug}/config); this is its data: the training
 * company tree (loaded separately from production, or copied from it on request), its users, and whether
 * its database answers.
 */
@ApiTags('training')
@ApiSecurity('admin-key')
@Controller('admin/tenants/:slug/training')
@AdminApi()
export class AdminTrainingController {
  constructor(
    private readonly tenants: TenantsService,
    private readonly directories: DirectoryDatabases,
    private readonly tree: CompanyTree,
    private readonly users: DirectoryUsers,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Training status: on or off, which database, whether it answers, how many users and locations it holds.' })
  async status(@Param('slug') slug: string) {
    const view = await this.tenants.get(slug);
    const training = view.config?.training ?? { enabled: false, database: 'managed' as const };
    const base = { enabled: training.enabled, database: training.database, databaseTarget: training.databaseTarget ?? null };
    if (!training.enabled) return { ...base, status: 'disabled' };
    try {
      const db = await this.directories.forEnvironment(view.id, 'training');
      const [counts] = await db.query(
        `SELECT (SELECT count(*)::int FROM users WHERE tenant_id = $1) AS users, (SELECT count(*)::int FROM locations WHERE tenant_id = $1) AS locations,
                (SELECT name FROM schema_migrations ORDER BY id DESC LIMIT 1) AS schema`,
        [view.id],
      );
      const pool = this.directories.openPools().find((p) => p.tenantId === view.id);
      return { ...base, status: 'available', schema: counts.schema, users: counts.users, locations: counts.locations, pool: pool ? { maxConnections: pool.maxConnections } : null };
    } catch (e) {
      if (e instanceof TrainingDatabaseRefused) return { ...base, status: 'refused', detail: refusedDetail(e) };
      if (e instanceof TrainingDatabaseUnavailable) return { ...base, status: 'unavailable', detail: e.description };
      throw e;
    }
  }

  @Put('locations')
  @HttpCode(200)
  @ApiConsumes('application/json', 'text/csv')
  @ApiOperation({ summary: 'Bulk load the training company tree, as JSON or CSV exactly like production\'s (PUT /admin/tenants/{slug}/locations), or copy production\'s once with {"copyFromProduction": true}. Adds and changes, never deletes; reports what was added, changed and rejected.' })
  @ApiBody({ schema: { ...jsonSchema(locationsSchema), example: { locations: [{ externalId: 'TRN-1', name: 'Training Store' }] } } })
  async putLocations(@AdminTenant() tenant: AdminTenantRef, @Req() req: Request) {
    const load = await readBulkBody(req, 'locations', 20000, LOCATION_COLUMNS);
    const copy = loadOptions(trainingLoadOptions, load).copyFromProduction === true;
    if (copy && load.rows.length) throw ProblemError.validation([{ field: 'copyFromProduction', reason: 'give either locations or copyFromProduction, not both' }]);
    const rows = copy
      ? (await this.tree.list(tenant.id, 'production')).map((l: { externalId: string; name: string; parentExternalId: string | null }, row: number) => ({
          row, record: { externalId: l.externalId, name: l.name, ...(l.parentExternalId ? { parentExternalId: l.parentExternalId } : {}) },
        }))
      : load.rows;
    const report = await this.inTraining(() => this.tree.loadRows(tenant.id, rows, 'training'));
    noteAdminAction(req, { environment: 'training', copyFromProduction: copy, added: report.added.length, changed: report.changed.length, rejected: report.rejected.length });
    return report;
  }

  @Get('locations')
  @ApiOperation({ summary: 'The training company tree.' })
  async locations(@AdminTenant() tenant: AdminTenantRef) {
    return this.inTraining(() => this.tree.list(tenant.id, 'training'));
  }

  @Get('users/:id')
  @ApiOperation({ summary: 'A training user with their locations.' })
  async user(@AdminTenant() tenant: AdminTenantRef, @Param('id', new ParseUUIDPipe({ exceptionFactory: () => ProblemError.notFound('User') })) id: string) {
    const user = await this.inTraining(() => this.users.find('training', tenant.id, id));
    if (!user) throw ProblemError.notFound('User');
    return user;
  }

  @Delete('users')
  @ApiOperation({ summary: 'Reset training: delete every training user of the tenant and their location assignments (the training company tree stays). Production is not touched.' })
  async reset(@AdminTenant() tenant: AdminTenantRef) {
    return this.inTraining(async () => {
      const db = await this.directories.forEnvironment(tenant.id, 'training');
      const rows = await db.query(`WITH d AS (DELETE FROM users WHERE tenant_id = $1 RETURNING 1) SELECT count(*)::int AS deleted FROM d`, [tenant.id]);
      return { deleted: rows[0].deleted as number };
    });
  }

  private async inTraining<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (e) {
      if (e instanceof TrainingDisabled) throw ProblemError.conflict('Training is not enabled for this tenant: turn it on in the configuration (training.enabled) first.');
      if (e instanceof TrainingDatabaseRefused) throw ProblemError.conflict(refusedDetail(e));
      if (e instanceof TrainingDatabaseUnavailable) throw new ProblemError(503, 'Service Unavailable', "The tenant's training database is not available right now.");
      throw e;
    }
  }
}

function refusedDetail(e: TrainingDatabaseRefused): string {
  return `The database this configuration names is not a training database: ${e.reason}. Nothing was created or written there. Name an empty database (or one this service made for training), or use "database": "managed".`;
}

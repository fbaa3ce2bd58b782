import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { Actor, AdminAccess, type AdminActor } from '../admin-auth/admin.guard.js';
import { AdminApi } from '../admin-auth/admin-api.decorator.js';

/**
 * The one read-only addition the console needs that the tenant API does not offer: the status of every tenant
 * in the caller's scope in one call (the tenant list screen), from the provisioning audit and the admin action
 * log (the last troubleshooting run and its result). It changes nothing.
 * The last success and failure are sign-ins only (audit source `sign-in` or `password`): a SCIM push or an
 * account manager's hand edit is audited in the same table but says nothing about whether users can sign in.
 */
@ApiTags('console')
@ApiSecurity('admin-key')
@ApiSecurity('admin-token')
@Controller('admin/console')
@AdminApi()
export class ConsoleAdminController {
  constructor(private readonly db: DataSource) {}

  @Get('status')
  @AdminAccess('any')
  @ApiOperation({ summary: 'Status at a glance of every tenant the caller may see: last successful sign-in, last failed sign-in and its reason (sign-ins and password grants only, not SCIM pushes or hand edits), last troubleshooting result.' })
  async status(@Actor() actor: AdminActor) {
    const rows: Array<Record<string, any>> = await this.db.query(
      `SELECT t.slug,
              (SELECT json_build_object('at', a.created_at, 'username', a.username, 'outcome', a.outcome, 'environment', a.environment, 'auditId', a.id)
                 FROM provisioning_audit a WHERE a.tenant_id = t.id AND a.source IN ('sign-in', 'password')
                  AND a.outcome IN ('created', 'updated', 'unchanged')
                ORDER BY a.created_at DESC, a.id DESC LIMIT 1) AS "lastSuccess",
              (SELECT json_build_object('at', a.created_at, 'username', a.username, 'outcome', a.outcome, 'environment', a.environment, 'auditId', a.id, 'reason', a.reasons -> 0)
                 FROM provisioning_audit a WHERE a.tenant_id = t.id AND a.source IN ('sign-in', 'password')
                  AND a.outcome IN ('refused', 'failed')
                ORDER BY a.created_at DESC, a.id DESC LIMIT 1) AS "lastFailure",
              (SELECT json_build_object('at', x.at, 'result', x.detail ->> 'result')
                 FROM admin_actions x WHERE x.tenant_id = t.id AND x.route = '/admin/tenants/:slug/troubleshoot' AND x.outcome = 'ok' AND x.detail ? 'result'
                ORDER BY x.at DESC LIMIT 1) AS "lastTroubleshooting"
         FROM tenants t
        WHERE $1::boolean OR t.id = ANY($2::uuid[])
        ORDER BY t.slug`,
      [actor.role === 'operator', [...actor.tenantIds]],
    );
    return rows;
  }
}

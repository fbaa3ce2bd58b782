import { type CanActivate, type ExecutionContext, Injectable, createParamDecorator } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config.js';
import { safeEqual, sha256 } from '../common/crypto/tokens.js';
import { ProblemError } from '../common/errors/problem.js';
import { oneHeaderCredential } from '../common/web/bearer.js';
import { ADMIN_ACCESS, ADMIN_CHALLENGE, ADMIN_TENANT_PARAM, type AdminActor, type AdminTenantRef, mayTouchTenant } from './admin-actor.js';
import { AdminActionLog, type AdminRequest } from './admin-action-log.js';
import { AdminCredentials } from './admin-credentials.service.js';
import { assertConsoleRequest, consoleSessionToken } from '../console/console-session.js';

export type { AdminActor, AdminTenantRef } from './admin-actor.js';
export { AdminAccess, AdminTenantParam } from './admin-actor.js';

const BOOTSTRAP: Omit<AdminActor, 'tenantIds'> = { id: 'operator:bootstrap-key', name: 'Bootstrap operator key', role: 'operator', principalId: null, credentialId: null, via: 'bootstrap-key' };


const refusals = {
  unknown: 'The admin credential is not valid.',
  expired: 'The admin credential has expired; ask an operator for a new one.',
  revoked: 'The admin credential has been revoked.',
  disabled: 'The admin user of this credential is disabled.',
} as const;

/**
 * Every admin route's gate, deny by default:
 * 1. authenticates the caller (X-Admin-Key or Authorization: Bearer, never both: the bootstrap operator key from the
 *    environment, or an account manager's API token; or, with neither header, the console's session cookie,
 *    whose state-changing requests must carry the console's anti-forgery token and Origin: src/console);
 * 2. a route with a tenant parameter (`:slug`, or the name given by @AdminTenantParam) is answered only for a
 *    tenant in the caller's scope; any other tenant, existing or not, is 404 (never 403, so tenants cannot be
 *    enumerated) and the attempt is logged. The resolved tenant is available through @AdminTenant();
 * 3. a route without a tenant parameter is for operators unless it says @AdminAccess('any').
 */
@Injectable()
export class AdminGuard implements CanActivate {
  private readonly keyHash: string;

  constructor(
    private readonly config: AppConfig,
    private readonly credentials: AdminCredentials,
    private readonly actions: AdminActionLog,
    private readonly reflector: Reflector,
    private readonly db: DataSource,
  ) {
    this.keyHash = sha256(config.adminApiKey);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<AdminRequest>();
    const route = `${req.baseUrl ?? ''}${(req.route as { path?: string } | undefined)?.path ?? req.path}`;
    req.actor = await this.authenticate(req, route);

    const targets = [context.getHandler(), context.getClass()];
    const access = this.reflector.getAllAndOverride<'any' | 'operator' | undefined>(ADMIN_ACCESS, targets);
    const param = this.reflector.getAllAndOverride<string | undefined>(ADMIN_TENANT_PARAM, targets) ?? 'slug';
    const slug = (req.params as Record<string, string | undefined>)[param];

    if (access === 'operator' || (slug === undefined && access !== 'any')) {
      if (req.actor.role !== 'operator') {
        await this.actions.record({ actor: req.actor, method: req.method, route, path: req.path, status: 403, outcome: 'denied', detail: { reason: 'operators only' }, correlationId: req.id });
        throw new ProblemError(403, 'Forbidden', 'Only operators may do this.');
      }
    }
    if (slug !== undefined) req.adminTenant = await this.tenantInScope(req, slug, route);
    return true;
  }

  private async authenticate(req: AdminRequest, route: string): Promise<AdminActor> {
    let key: string | undefined;
    try {
      key = oneHeaderCredential(req.headers);
    } catch (e) {
      await this.actions.record({ actor: null, method: req.method, route, path: req.path, status: 400, outcome: 'refused', detail: { reason: 'two credentials: X-Admin-Key and Authorization: Bearer' }, correlationId: req.id });
      throw e;
    }
    const session = key ? undefined : consoleSessionToken(req, this.config);
    if (!key && !session) throw ProblemError.unauthorized('An admin credential is required (X-Admin-Key header or Authorization: Bearer).', ADMIN_CHALLENGE);
    if (key && safeEqual(sha256(key), this.keyHash)) return { ...BOOTSTRAP, tenantIds: new Set() };
    if (session) {
      try {
        assertConsoleRequest(req, this.config, session);
      } catch (e) {
        await this.actions.record({ actor: null, method: req.method, route, path: req.path, status: 403, outcome: 'denied', detail: { reason: 'console request without its anti-forgery proof' }, correlationId: req.id });
        throw e;
      }
    }
    const result = session ? await this.credentials.authenticate(session, 'session') : await this.credentials.authenticate(key!);
    if (!result.ok) {
      await this.actions.record({ actor: null, method: req.method, route, path: req.path, status: 401, outcome: 'denied', detail: { reason: result.reason }, correlationId: req.id });
      throw ProblemError.unauthorized(refusals[result.reason], ADMIN_CHALLENGE);
    }
    return result.actor;
  }

  private async tenantInScope(req: AdminRequest, slug: string, route: string): Promise<AdminTenantRef> {
    const notFound = ProblemError.notFound(`Tenant "${slug.slice(0, 63)}"`);
    if (!/^[a-z0-9][a-z0-9-]{1,62}$/.test(slug)) throw notFound;
    const rows: AdminTenantRef[] = await this.db.query(`SELECT id, slug FROM tenants WHERE slug = $1`, [slug]);
    const tenant = rows[0];
    if (!tenant) throw notFound;
    if (!mayTouchTenant(req.actor!, tenant.id)) {
      await this.actions.denied(req, tenant, route);
      throw notFound;
    }
    return tenant;
  }
}

export const Actor = createParamDecorator((_: unknown, ctx: ExecutionContext): AdminActor => ctx.switchToHttp().getRequest().actor);

/** The tenant named by the route's tenant parameter, already checked against the caller's scope by AdminGuard. */
export const AdminTenant = createParamDecorator((_: unknown, ctx: ExecutionContext): AdminTenantRef => {
  const tenant = ctx.switchToHttp().getRequest<AdminRequest>().adminTenant;
  if (!tenant) throw new Error('@AdminTenant() used on a route without a tenant parameter or without AdminGuard');
  return tenant;
});

/** Adds a note to the admin action log entry of this request (e.g. the configuration version it created). */
export function noteAdminAction(req: unknown, detail: Record<string, unknown>): void {
  const r = req as AdminRequest;
  r.adminActionDetail = { ...r.adminActionDetail, ...detail };
}

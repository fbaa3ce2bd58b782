import { SetMetadata } from '@nestjs/common';
import { ProblemError } from '../common/errors/problem.js';

export type AdminRole = 'operator' | 'manager';

/** Every admin 401's challenge (RFC 9110 §15.5.2). X-Admin-Key has no scheme to name; Bearer is accepted too. */
export const ADMIN_CHALLENGE = 'Bearer realm="iqsso-admin"';

/**
 * Who is calling the admin API, however they authenticated (the bootstrap key, an API token, and later a
 * console session built on a token). `id` is what is recorded as the author of every change.
 */
export interface AdminActor {
  /** Stable author label: `principal:<uuid>`, or `operator:bootstrap-key`. */
  id: string;
  name: string;
  role: AdminRole;
  principalId: string | null;
  credentialId: string | null;
  via: 'bootstrap-key' | 'api-token' | 'session';
  /** Tenant ids a manager may touch; operators may touch every tenant. */
  tenantIds: ReadonlySet<string>;
}

/** The tenant a route's `:slug` named, resolved and checked against the actor's scope by AdminGuard. */
export interface AdminTenantRef {
  id: string;
  slug: string;
}

export function mayTouchTenant(actor: AdminActor, tenantId: string): boolean {
  return actor.role === 'operator' || actor.tenantIds.has(tenantId);
}

export const ADMIN_ACCESS = 'iqsso:admin-access';
export const ADMIN_TENANT_PARAM = 'iqsso:admin-tenant-param';

/**
 * Who may call a route that names no tenant. Deny by default: without this, such a route is for operators only.
 * Routes with a tenant parameter (`:slug`) are checked against the caller's tenant scope whatever this says.
 * - 'any': every authenticated admin (the handler must itself limit what it shows to the actor's scope);
 * - 'operator': operators only (also on routes with a tenant parameter).
 */
export const AdminAccess = (access: 'any' | 'operator') => SetMetadata(ADMIN_ACCESS, access);

/** The route parameter naming the tenant, when it is not `slug`. */
export const AdminTenantParam = (name: string) => SetMetadata(ADMIN_TENANT_PARAM, name);

/**
 * What makes a lasting credential (an admin API token, a SCIM token, an OAuth client and its secret) is never done
 * with a console session alone: the request must carry the API token itself (a "sudo" step), so a stolen session
 * cookie (8 hours) cannot become a credential that outlives it. 403 /problems/api-token-required otherwise.
 */
export function refuseConsoleSession(actor: AdminActor, what: string, doing: string): void {
  if (actor.via !== 'session') return;
  throw new ProblemError(
    403,
    'API token required',
    `A console session cannot ${what}: send this request with your API token (Authorization: Bearer iqsso_am_…), which proves again who you are.`,
    [{ field: '(credential)', reason: `a console session; ${doing} needs the API token itself` }],
    '/problems/api-token-required',
  );
}

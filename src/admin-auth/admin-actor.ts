import { SetMetadata } from '@nestjs/common';

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

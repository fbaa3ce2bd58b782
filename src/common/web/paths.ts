/** The admin API's paths (exact case: routing is case-sensitive, see bootstrap.ts). */
export function isAdminPath(path: string): boolean {
  return path === '/admin' || path.startsWith('/admin/');
}

/** The apps' Bearer-protected API (src/api): /v1/me, /v1/training/me, and OIDC UserInfo at /oauth2/userinfo. */
export function isAppApiPath(path: string): boolean {
  return path === '/v1' || path.startsWith('/v1/') || path === '/oauth2/userinfo' || path === '/oauth2/userinfo/';
}

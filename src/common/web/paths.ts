/** The admin API's paths (exact case: routing is case-sensitive, see bootstrap.ts). */
export function isAdminPath(path: string): boolean {
  return path === '/admin' || path.startsWith('/admin/');
}

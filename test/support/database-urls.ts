/** Tests create their databases on the server of DATABASE_URL (set by test/run-tests.mjs). */
/** One migrated template per test run (named by the run id), so parallel runs on one server do not collide. */
export const TEMPLATE_DB = `iqsso_tpl_${(process.env.TEST_RUN_ID ?? 'adhoc').replace(/[^a-z0-9]/gi, '_').toLowerCase()}`;

export function adminUrl(): string {
  return withDatabase('postgres');
}

export function withDatabase(name: string): string {
  const url = new URL(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
  url.pathname = `/${name}`;
  return url.toString();
}

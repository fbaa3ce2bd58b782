import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { INTERCEPTORS_METADATA, GUARDS_METADATA } from '@nestjs/common/constants.js';
import { AdminActionInterceptor } from '../../src/admin-auth/admin-action-log.js';
import { AdminApi } from '../../src/admin-auth/admin-api.decorator.js';
import { AdminGuard } from '../../src/admin-auth/admin.guard.js';

const sources = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));

/** The admin action log records every admin request only if every admin controller gets its interceptor with its guard. */
describe('admin API controllers', () => {
  it('@AdminApi() puts both the guard and the action-log interceptor on a controller', () => {
    @AdminApi()
    class Probe {}
    expect(Reflect.getMetadata(GUARDS_METADATA, Probe)).toEqual([AdminGuard]);
    expect(Reflect.getMetadata(INTERCEPTORS_METADATA, Probe)).toEqual([AdminActionInterceptor]);
  });

  it('every controller under /admin says @AdminApi(), and AdminGuard is applied nowhere else', () => {
    const files = sources(join(process.cwd(), 'src'));
    const admin = files.filter((f) => /@Controller\('admin/.test(readFileSync(f, 'utf8')));
    expect(admin.length).toBeGreaterThanOrEqual(10);
    for (const f of admin) expect({ f, marked: readFileSync(f, 'utf8').includes('@AdminApi()') }).toEqual({ f, marked: true });
    const bare = files.filter((f) => !f.endsWith('admin-api.decorator.ts') && /UseGuards\([^)]*\bAdminGuard\b/.test(readFileSync(f, 'utf8')));
    expect(bare).toEqual([]);
  });
});

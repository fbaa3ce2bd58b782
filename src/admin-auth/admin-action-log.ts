import { type CallHandler, type ExecutionContext, Injectable, Logger, type NestInterceptor } from '@nestjs/common';
import type { Request } from 'express';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants.js';
import { type Observable, catchError, from, mergeMap, throwError } from 'rxjs';
import { DataSource } from 'typeorm';
import { ProblemError } from '../common/errors/problem.js';
import { failedPrecondition, IF_NONE_MATCH_STAR_FAILS } from '../common/web/preconditions.js';
import { decodeCursor, encodeCursor, microsecondsUtc } from '../common/validation/keyset-cursor.js';
import type { AdminActor, AdminTenantRef } from './admin-actor.js';

export type AdminRequest = Request & { id?: string; actor?: AdminActor; adminTenant?: AdminTenantRef; adminActionDetail?: Record<string, unknown> };

export interface AdminActionEntry {
  actor: AdminActor | null;
  method: string;
  route: string;
  path: string;
  tenant?: AdminTenantRef | null;
  status: number;
  outcome: 'ok' | 'refused' | 'denied' | 'error';
  detail?: Record<string, unknown>;
  correlationId?: string;
}

/** The admin action log: every admin request, attributed, with how it ended. Never a secret in it. */
@Injectable()
export class AdminActionLog {
  private readonly log = new Logger('AdminActions');

  constructor(private readonly db: DataSource) {}

  async record(e: AdminActionEntry): Promise<void> {
    try {
      await this.db.query(
        `INSERT INTO admin_actions (actor, actor_name, principal_id, credential_id, role, method, route, path, tenant_id, tenant_slug, status, outcome, detail, correlation_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
        [
          e.actor?.id ?? 'anonymous', e.actor?.name ?? null, e.actor?.principalId ?? null, e.actor?.credentialId ?? null, e.actor?.role ?? null,
          e.method, e.route.slice(0, 300), e.path.slice(0, 500), e.tenant?.id ?? null, e.tenant?.slug ?? null, e.status, e.outcome,
          JSON.stringify(e.detail ?? {}), e.correlationId ?? null,
        ],
      );
    } catch (err) {
      this.log.error({ err, correlationId: e.correlationId }, 'Could not record an admin action');
    }
  }

  /** A caller asked for a tenant outside their scope: answered 404, logged here and in the log stream. */
  async denied(req: AdminRequest, tenant: AdminTenantRef, route: string): Promise<void> {
    this.log.warn(
      { actor: req.actor?.id, role: req.actor?.role, tenant: tenant.slug, method: req.method, route, correlationId: req.id },
      'Admin request for a tenant outside the caller\'s scope was refused (answered 404)',
    );
    await this.record({ actor: req.actor ?? null, method: req.method, route, path: req.path, tenant, status: 404, outcome: 'denied', detail: { reason: 'tenant outside the caller\'s scope' }, correlationId: req.id });
  }

  /**
   * Newest first, a page at a time: keyset on (at, id) through `cursor` (keyset-cursor.ts, as the provisioning
   * audits page). `at` is given to the microsecond, as stored; `before` only filters by time.
   */
  async list(filter: { tenantId?: string; principalId?: string; limit: number; before?: string; cursor?: string }) {
    const [afterAt, afterId] = filter.cursor ? decodeCursor(filter.cursor) : [null, null];
    const rows: Array<Record<string, any>> = await this.db.query(
      `SELECT id, ${microsecondsUtc('at')} AS at, actor, actor_name AS "actorName", role, method, route, path, tenant_slug AS tenant, status, outcome, detail, correlation_id AS "correlationId"
         FROM admin_actions
        WHERE ($1::uuid IS NULL OR tenant_id = $1) AND ($2::uuid IS NULL OR principal_id = $2) AND ($3::timestamptz IS NULL OR at < $3)
          AND ($5::timestamptz IS NULL OR (at, id) < ($5::timestamptz, $6::uuid))
        ORDER BY at DESC, id DESC LIMIT $4`,
      [filter.tenantId ?? null, filter.principalId ?? null, filter.before ?? null, filter.limit + 1, afterAt, afterId],
    );
    const items = rows.slice(0, filter.limit);
    const last = items.at(-1);
    return { items, nextCursor: rows.length > filter.limit && last ? encodeCursor(last.at, last.id) : null };
  }
}

/**
 * Records every request that passed AdminGuard once it has been answered. Applied with the guard by
 * @AdminApi() (admin-api.decorator.ts), which every admin controller carries (test/unit/admin-api.test.ts).
 * Requests refused by the guard itself are recorded there. It also evaluates If-Match, here, once the guard has
 * authenticated the caller and checked the tenant's scope (common/web/preconditions.ts says why not before).
 */
@Injectable()
export class AdminActionInterceptor implements NestInterceptor {
  constructor(private readonly actions: AdminActionLog) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const req = context.switchToHttp().getRequest<AdminRequest>();
    if (!req.actor) return next.handle();
    const route = `${req.baseUrl ?? ''}${(req.route as { path?: string } | undefined)?.path ?? req.path}`;
    const entry = (status: number, outcome: AdminActionEntry['outcome'], extra: Record<string, unknown> = {}) =>
      this.actions.record({
        actor: req.actor!, method: req.method, route, path: req.path, tenant: req.adminTenant ?? null, status, outcome,
        detail: { ...req.adminActionDetail, ...extra }, correlationId: req.id,
      });
    // Recorded before the answer is sent, so whoever reads the log after an answer finds the entry.
    const declared: number | undefined = Reflect.getMetadata(HTTP_CODE_METADATA, context.getHandler());
    const failed = failedPrecondition(req.method, req.headers);
    const handled = failed ? throwError(() => preconditionFailed(failed)) : next.handle();
    return handled.pipe(
      mergeMap(async (value) => {
        await entry(declared ?? (req.method === 'POST' ? 201 : 200), 'ok');
        return value;
      }),
      catchError((e: unknown) =>
        from(
          (async () => {
            const status = statusOf(e);
            await entry(status, status >= 500 ? 'error' : 'refused', e instanceof ProblemError ? { problem: e.title, errors: e.errors?.slice(0, 20) } : {});
            throw e;
          })(),
        ),
      ),
    );
  }
}

/** The admin API gives no entity tags (failedPrecondition): what cannot hold, and what to use instead. */
function preconditionFailed(header: 'If-Match' | 'If-None-Match'): ProblemError {
  if (header === 'If-None-Match') {
    return new ProblemError(412, 'Precondition Failed', IF_NONE_MATCH_STAR_FAILS, [
      { field: 'If-None-Match', reason: 'the resource exists, so "*" does not hold' },
    ]);
  }
  return new ProblemError(412, 'Precondition Failed', 'The admin API gives no entity tags, so If-Match cannot match; make a change conditional with "baseVersion" (the version in force it was made from), which answers 409 if another version was put in force since.', [
    { field: 'If-Match', reason: 'no entity tag of this API can match it' },
  ]);
}

function statusOf(e: unknown): number {
  if (e instanceof ProblemError) return e.status;
  const x = e as { getStatus?: () => number; status?: unknown };
  if (typeof x?.getStatus === 'function') return x.getStatus();
  if (typeof x?.status === 'number') return x.status;
  return 500;
}

import { Controller, Get, Header, Query, UseGuards } from '@nestjs/common';
import { ApiExcludeEndpoint, ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { ProblemError } from '../common/errors/problem.js';
import { MetadataCache } from '../common/http/metadata-cache.js';
import { OktaBackoff } from '../common/http/okta-backoff.js';
import { parseOrProblem } from '../common/validation/zod.js';
import { SLUG, SLUG_RULE } from '../tenants/tenant-inputs.js';
import { OpsGuard } from './ops.guard.js';
import { ShutdownState } from './shutdown.js';

/** How many tenants one IdP report probes (the rest are listed as not checked). */
const MAX_TENANTS = 500;
const CONCURRENCY = 8;
/** A tenant's discovery document younger than this counts as a fresh probe (so polling never hammers Okta). */
const PROBE_MAX_AGE_MS = 30_000;
/**
 * Strict, as every query here: a repeated `tenant` (an array) or an unknown parameter is refused, not ignored; an
 * empty `?tenant=` is no slug, not a tenant that does not exist.
 */
const idpQuery = z.strictObject({ tenant: z.string({ error: 'must be one tenant slug, given once' }).regex(SLUG, SLUG_RULE).optional() });

/**
 * Liveness (the process answers), readiness (Postgres answers and we are not draining; a load balancer
 * routes on this), and, separately and never fatal, whether each tenant's Okta answers its discovery
 * document (one tenant's Okta being down must not take this service out of rotation for everyone).
 */
@ApiTags('operations')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly db: TypeOrmHealthIndicator,
    private readonly indicators: HealthIndicatorService,
    private readonly dataSource: DataSource,
    private readonly shutdown: ShutdownState,
    private readonly metadata: MetadataCache,
    private readonly backoff: OktaBackoff,
  ) {}

  @Get('live')
  @HealthCheck()
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: 'Liveness: the process is up and its event loop answers.' })
  live() {
    return this.health.check([]);
  }

  @Get('ready')
  @HealthCheck()
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: 'Readiness: the database answers and the instance is not shutting down (503 otherwise).' })
  ready() {
    return this.health.check([
      () => {
        const i = this.indicators.check('instance');
        return this.shutdown.isDraining ? i.down({ message: 'shutting down' }) : i.up();
      },
      () => this.db.pingCheck('database', { connection: this.dataSource, timeout: 1500 }),
    ]);
  }

  @Get('idp')
  @UseGuards(OpsGuard)
  @HealthCheck()
  @Header('Cache-Control', 'no-store')
  @ApiExcludeEndpoint()
  async idp(@Query() query: unknown) {
    const slug = parseOrProblem(idpQuery, query, 'query').tenant;
    const tenants: Array<{ id: string; slug: string; issuer: string }> = await this.dataSource.query(
      `SELECT t.id, t.slug, v.config->'okta'->>'issuer' AS issuer FROM tenants t
         JOIN tenant_config_versions v ON v.tenant_id = t.id AND v.version = t.active_version
        WHERE t.status = 'active' AND ($1::text IS NULL OR t.slug = $1) ORDER BY t.slug LIMIT ${MAX_TENANTS + 1}`,
      [slug ?? null],
    );
    if (slug !== undefined && tenants.length === 0) throw await this.notChecked(slug);
    const checked = tenants.slice(0, MAX_TENANTS);
    const results: Array<() => unknown> = [];
    const probes = await mapLimit(checked, CONCURRENCY, (t) => this.probe(t));
    checked.forEach((t, n) => results.push(() => probes[n]));
    if (tenants.length > MAX_TENANTS) results.push(() => this.indicators.check('more-tenants').degraded({ message: `only the first ${MAX_TENANTS} tenants were checked; ask for one with ?tenant=slug` }));
    return this.health.check(results as never);
  }

  /** Why `?tenant=slug` names no tenant this report checks: an empty report would read as "all is well". */
  private async notChecked(slug: string): Promise<ProblemError> {
    const name = `Tenant "${slug}"`; // a slug (idpQuery): at most 63 ASCII characters
    const [t]: Array<{ status: string; active_version: number | null }> = await this.dataSource.query(`SELECT status, active_version FROM tenants WHERE slug = $1`, [slug]);
    if (!t) return ProblemError.notFound(name);
    const why = t.status !== 'active' ? 'is disabled' : 'has no configuration version in force';
    return new ProblemError(404, 'Not Found', `${name} ${why}, so its Okta is not checked.`);
  }

  private async probe(t: { id: string; slug: string; issuer: string }) {
    const i = this.indicators.check(`tenant:${t.slug}`);
    const wait = this.backoff.remainingS(t.id);
    if (wait > 0) return i.degraded({ message: `rate-limited by Okta (HTTP 429) for another ${wait} s` });
    const url = `${t.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
    try {
      const doc = await this.metadata.get(url, { tenant: t, endpoint: 'discovery', maxAgeMs: PROBE_MAX_AGE_MS });
      if (doc.doc.issuer !== t.issuer) return i.degraded({ message: 'the discovery document names another issuer' });
      return i.up({ checkedAt: new Date(doc.fetchedAt).toISOString() });
    } catch (e) {
      return i.degraded({ message: e instanceof Error ? e.message : 'unreachable' });
    }
  }
}

async function mapLimit<T, R>(items: T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const n = next++;
      out[n] = await fn(items[n]!);
    }
  }));
  return out;
}

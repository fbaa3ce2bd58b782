import { Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { TenantRef } from '../tenants/tenant-runtime.js';

export type HomeRealmResult =
  | { kind: 'found'; tenant: TenantRef; domain: string }
  /** Not an address of the form name@domain. */
  | { kind: 'invalid' }
  /** No tenant has this domain, or the domains of several tenants' rewrite rules overlap on it. */
  | { kind: 'unknown' | 'ambiguous'; domain: string };

const domainFormat = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{1,63}$/;

/** The domain of a work email or username, lower-cased; undefined when it is not name@domain. */
export function emailDomain(value: string): string | undefined {
  const v = value.normalize('NFKC').trim();
  const at = v.lastIndexOf('@');
  if (at < 1 || at === v.length - 1 || /\s/.test(v)) return undefined;
  const domain = v.slice(at + 1).toLowerCase();
  return domainFormat.test(domain) ? domain : undefined;
}

/**
 * Home-realm discovery: which tenant a work email (a login_hint, the address typed on our page, or a
 * password grant's username) belongs to. A verified domain wins; then a domain the tenant's username
 * rewrite rules map from (`yvr.kentel.local`), then a wildcard rule (`*.kentel.local`, longest suffix first).
 * Two tenants claiming the same domain at the same rank is a configuration conflict: nobody is picked.
 */
@Injectable()
export class HomeRealm {
  private readonly log = new Logger(HomeRealm.name);

  constructor(private readonly db: DataSource) {}

  async find(email: string): Promise<HomeRealmResult> {
    const domain = emailDomain(email);
    if (!domain) return { kind: 'invalid' };
    const verified: Row[] = await this.db.query(
      `SELECT t.id, t.slug, t.status, t.active_version, 0 AS rank FROM tenant_domains d JOIN tenants t ON t.id = d.tenant_id
        WHERE d.domain = $1 AND t.active_version IS NOT NULL`,
      [domain],
    );
    const rows = verified.length ? verified : await this.byRewriteRules(domain);
    if (rows.length === 0) return { kind: 'unknown', domain };
    const best = rows.filter((r) => r.rank === rows[0]!.rank);
    if (new Set(best.map((r) => r.id)).size > 1) {
      this.log.warn({ domain, tenants: best.map((r) => r.slug) }, 'Home-realm discovery: several tenants claim this domain');
      return { kind: 'ambiguous', domain };
    }
    const r = best[0]!;
    return { kind: 'found', domain, tenant: { id: r.id, slug: r.slug, status: r.status, version: r.active_version } };
  }

  /** Rewrite rules of the configuration in force, exact source domains before wildcards, longer suffix first. */
  private byRewriteRules(domain: string): Promise<Row[]> {
    return this.db.query(
      `SELECT DISTINCT t.id, t.slug, t.status, t.active_version,
              CASE WHEN r->>'from' = $1 THEN 1 ELSE 1000 - length(r->>'from') END AS rank
         FROM tenants t
         JOIN tenant_config_versions v ON v.tenant_id = t.id AND v.version = t.active_version
         CROSS JOIN LATERAL jsonb_array_elements(COALESCE(v.config->'usernameRewrites', '[]'::jsonb)) r
        WHERE r->>'from' = $1
           OR (left(r->>'from', 2) = '*.' AND right($1, length(r->>'from') - 1) = substr(r->>'from', 2))
        ORDER BY rank`,
      [domain],
    );
  }
}

interface Row {
  id: string;
  slug: string;
  status: 'active' | 'disabled';
  active_version: number;
  rank: number;
}

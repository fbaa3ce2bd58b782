import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { preparedQuery } from '../database/prepared.js';
import { lookupCandidates } from '../tenants/domain-claims.js';
import type { TenantRef } from '../tenants/tenant-runtime.js';

export type HomeRealmResult =
  | { kind: 'found'; tenant: TenantRef; domain: string }
  /** Not an address of the form name@domain. */
  | { kind: 'invalid' }
  /** No tenant claims this domain. */
  | { kind: 'unknown'; domain: string };

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
 * The claims are the rows of tenant_domains for each tenant's version in force (see domain-claims.ts).
 */
@Injectable()
export class HomeRealm {
  constructor(private readonly db: DataSource) {}

  async find(email: string): Promise<HomeRealmResult> {
    const domain = emailDomain(email);
    if (!domain) return { kind: 'invalid' };
    // One index lookup: the domain itself (verified, or a rewrite source) and the wildcards of its parents.
    const rows: Row[] = await preparedQuery<Row>(this.db, 'iqsso_home_realm',
      `SELECT t.id, t.slug, t.status, t.active_version,
              CASE WHEN d.kind = 'verified' THEN 0 WHEN d.domain = $1 THEN 1 ELSE 1000 - length(d.domain) END AS rank
         FROM tenant_domains d JOIN tenants t ON t.id = d.tenant_id
        WHERE d.domain = ANY($2::text[]) AND t.active_version IS NOT NULL
        ORDER BY rank`,
      [domain, lookupCandidates(domain)],
    );
    // Each candidate is one row (the domain is the key) and claims of two tenants never overlap
    // (domain-claims.ts), so the best-ranked row is the one owner.
    const r = rows[0];
    if (!r) return { kind: 'unknown', domain };
    return { kind: 'found', domain, tenant: { id: r.id, slug: r.slug, status: r.status, version: r.active_version } };
  }
}

interface Row {
  id: string;
  slug: string;
  status: 'active' | 'disabled';
  active_version: number;
  rank: number;
}

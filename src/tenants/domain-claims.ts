import { createRequire } from 'node:module';
import type { EntityManager } from 'typeorm';

/**
 * tldts (the Public Suffix List, ~1 MiB resident once loaded) is needed only when a configuration is validated
 * (an account manager's write), never on a sign-in: loaded on first use.
 */
let tldts: typeof import('tldts') | undefined;
const getDomain = (domain: string, options: { allowPrivateDomains: boolean }) => (tldts ??= createRequire(import.meta.url)('tldts') as typeof import('tldts')).getDomain(domain, options);

/**
 * Which email domains a tenant's configuration in force claims, for home-realm discovery and the password
 * grant: its verified domains, and the source domains of its username rewrites (`yvr.kentel.local`, or a
 * wildcard `*.kentel.local`). The claims of the version in force are rows of `tenant_domains`.
 *
 * No two tenants may claim overlapping sets of addresses, or one tenant's configuration could capture (or
 * block) another's sign-ins. What each claim covers:
 * - a domain `d`, verified or a rewrite source: `d` and every domain under it (its subdomains are its claimant's);
 * - a wildcard rewrite source `*.x`: every domain under `x`, not `x` itself.
 * Two tenants' verified domains may nest (`kentel.com` and `us.kentel.com` can be two customers): each address
 * goes to the exact verified match, so nothing is captured. Every other overlap is refused.
 * Nobody may claim a public suffix (`co.uk`, `*.github.io`) or a public email provider's domain (`gmail.com`):
 * their addresses belong to individuals, not to one company.
 */
export type DomainClaimKind = 'verified' | 'rewrite';
export interface DomainClaim {
  kind: DomainClaimKind;
  /** Lower-case; a wildcard rewrite source keeps its `*.` prefix. */
  domain: string;
}

/** The claims of a configuration document. */
export function claimsOf(config: { domains: string[]; usernameRewrites: Array<{ from: string }> }): DomainClaim[] {
  const verified = [...new Set(config.domains)].map((domain) => ({ kind: 'verified' as const, domain }));
  const own = new Set(config.domains);
  const rewrites = [...new Set(config.usernameRewrites.map((r) => r.from))].filter((d) => !own.has(d)).map((domain) => ({ kind: 'rewrite' as const, domain }));
  return [...verified, ...rewrites];
}

const isWildcard = (c: DomainClaim) => c.domain.startsWith('*.');
const base = (c: DomainClaim) => (isWildcard(c) ? c.domain.slice(2) : c.domain);
/** `a` is strictly under `b` (`x.kentel.com` under `kentel.com`). */
const under = (a: string, b: string) => a.endsWith(`.${b}`);

/** Whether two claims (of two different tenants) cover a common address. */
export function overlaps(a: DomainClaim, b: DomainClaim): boolean {
  const [x, y] = [base(a), base(b)];
  if (isWildcard(a) && isWildcard(b)) return x === y || under(x, y) || under(y, x);
  if (isWildcard(a) || isWildcard(b)) {
    // Everything under the wildcard's base, against a domain and everything under it.
    const [w, o] = isWildcard(a) ? [x, y] : [y, x];
    return under(o, w) || o === w || under(w, o);
  }
  if (x === y) return true;
  return !(a.kind === 'verified' && b.kind === 'verified') && (under(x, y) || under(y, x));
}

/** Public email providers: their addresses are individuals', never one tenant's. */
const PUBLIC_MAIL = new Set([
  'gmail.com', 'googlemail.com', 'outlook.com', 'hotmail.com', 'live.com', 'msn.com', 'yahoo.com', 'ymail.com', 'aol.com',
  'icloud.com', 'me.com', 'mac.com', 'proton.me', 'protonmail.com', 'pm.me', 'gmx.com', 'gmx.net', 'gmx.de', 'web.de', 'mail.com',
  'yandex.com', 'yandex.ru', 'zoho.com', 'fastmail.com', 'hey.com', 'tutanota.com', 'qq.com', '163.com', '126.com',
  'hotmail.co.uk', 'yahoo.co.uk', 'outlook.fr', 'hotmail.fr', 'orange.fr', 'free.fr', 'shaw.ca', 'rogers.com', 'telus.net',
  'sympatico.ca', 'comcast.net', 'verizon.net', 'att.net', 'sbcglobal.net',
]);

/** Why no tenant may claim this at all, or undefined. */
export function unclaimable(claim: DomainClaim): string | undefined {
  const b = base(claim);
  const registrable = getDomain(b, { allowPrivateDomains: true });
  if (registrable === null) {
    return `${claim.domain} is ${isWildcard(claim) ? 'a wildcard over ' : ''}a public suffix (${b}), shared by many unrelated owners; claim your own domain under it`;
  }
  if (PUBLIC_MAIL.has(b) || PUBLIC_MAIL.has(registrable)) return `${claim.domain} belongs to a public email provider: its addresses are individuals', not one company's`;
  return undefined;
}

/** The rows of `tenant_domains` that could overlap a claim: its base, its parents, their wildcards, and what is under it. */
function candidates(claims: DomainClaim[]): { exact: string[]; suffixes: string[] } {
  const exact = new Set<string>();
  const suffixes = new Set<string>();
  for (const c of claims) {
    const labels = base(c).split('.');
    for (let i = 0; i < labels.length - 1; i++) {
      const s = labels.slice(i).join('.');
      exact.add(s);
      exact.add(`*.${s}`);
    }
    suffixes.add(`%.${base(c)}`);
  }
  return { exact: [...exact], suffixes: [...suffixes] };
}

export interface ClaimConflict {
  claim: DomainClaim;
  other: DomainClaim;
  tenantSlug: string;
}

/** Other tenants' claims (of their versions in force) that overlap these. */
export async function conflictingClaims(db: Pick<EntityManager, 'query'>, claims: DomainClaim[], tenantId: string | undefined): Promise<ClaimConflict[]> {
  if (claims.length === 0) return [];
  const { exact, suffixes } = candidates(claims);
  const rows: Array<{ domain: string; kind: DomainClaimKind; slug: string }> = await db.query(
    `SELECT d.domain, d.kind, t.slug FROM tenant_domains d JOIN tenants t ON t.id = d.tenant_id
      WHERE ($1::uuid IS NULL OR d.tenant_id <> $1) AND (d.domain = ANY($2::text[]) OR d.domain LIKE ANY($3::text[]))`,
    [tenantId ?? null, exact, suffixes],
  );
  const out: ClaimConflict[] = [];
  for (const claim of claims) {
    for (const row of rows) {
      const other = { kind: row.kind, domain: row.domain };
      if (overlaps(claim, other)) out.push({ claim, other, tenantSlug: row.slug });
    }
  }
  return out;
}

/** A sentence for an account manager; names the other claim but not which tenant holds it (tenants cannot be enumerated). */
export function conflictReason(c: ClaimConflict): string {
  if (c.claim.kind === 'verified' && c.other.kind === 'verified') return `${c.claim.domain} is already a verified domain of another tenant`;
  const what = c.other.kind === 'verified' ? `the verified domain ${c.other.domain}` : `the username rewrite from ${c.other.domain}`;
  return `${c.claim.domain} overlaps ${what} of another tenant; two tenants cannot claim the same addresses`;
}

/**
 * Home-realm discovery's lookup: the rows that could answer for an address's domain, best first (an exact
 * verified domain, then an exact rewrite source, then the wildcard with the longest suffix).
 */
export function lookupCandidates(domain: string): string[] {
  const labels = domain.split('.');
  const out = [domain];
  for (let i = 1; i < labels.length - 1; i++) out.push(`*.${labels.slice(i).join('.')}`);
  return out;
}

/** The field of a configuration document a claim comes from, for a per-field reason. */
export function fieldOfClaim(config: { domains: string[]; usernameRewrites: Array<{ from: string }> }, claim: DomainClaim): string {
  if (claim.kind === 'verified') return `domains[${config.domains.indexOf(claim.domain)}]`;
  return `usernameRewrites[${config.usernameRewrites.findIndex((r) => r.from === claim.domain)}].from`;
}

/** Advisory lock (transaction scope) held while a version's domain claims are checked and put in force. */
export const DOMAIN_CLAIMS_LOCK = `hashtext('iqsso:domain-claims')`;

/**
 * The origin (scheme, host, port) of an issuer: its Okta org. Okta user ids (`sub`) are the same across the
 * authorization servers of one org (https://org.okta.com, https://org.okta.com/oauth2/default,
 * https://org.okta.com/oauth2/aus…), and differ between orgs (a custom domain counts as another origin).
 */
export function issuerOrigin(issuer: string): string | null {
  try {
    const u = new URL(issuer);
    return u.protocol === 'https:' || u.protocol === 'http:' ? u.origin : null;
  } catch {
    return null;
  }
}

/**
 * Which stored user an attempt through `issuer` for `sub` is about, as SQL over `users` with the caller's
 * placeholders: (tenant, issuer, sub), or, when the tenant's issuer changed within one Okta org (same origin: Okta
 * user ids are the same across an org's authorization servers), the tenant's user with this sub under an earlier
 * issuer of that origin (the write then moves it to the new issuer). Only a tenant's own issuers ever key its users,
 * so this never reaches into another tenant or another Okta org. `preferExact`: the exact identity wins if both
 * exist. `origin` is issuerOrigin(issuer) (identityValues gives the four values). Index: users_tenant_subject.
 * The one rule for the provisioning statement, its row lock, sign-in without provisioning and the dry run.
 */
export function identityMatchSql(p: { tenant: string; issuer: string; subject: string; origin: string }): { where: string; preferExact: string } {
  const sameOrg = `(${p.origin} IS NOT NULL AND (issuer = ${p.origin} OR starts_with(issuer, ${p.origin} || '/')))`;
  return {
    where: `tenant_id = ${p.tenant} AND subject = ${p.subject} AND (issuer = ${p.issuer} OR ${sameOrg})`,
    preferExact: `ORDER BY (issuer = ${p.issuer}) DESC LIMIT 1`,
  };
}

/** identityMatchSql as $1..$4 (tenant, issuer, subject, origin), and the values in that order. */
export const identityMatch = identityMatchSql({ tenant: '$1::uuid', issuer: '$2::text', subject: '$3::text', origin: '$4::text' });
export function identityValues(tenantId: string, issuer: string, subject: string): [string, string, string, string | null] {
  return [tenantId, issuer, subject, issuerOrigin(issuer)];
}

/** The warning of an attempt matched under an earlier issuer of the same Okta org (the statement writes it through movedReasonSql). */
export function issuerMovedReason(from: string, to: string): string {
  return `signed in before through ${from}, an earlier issuer of this tenant in the same Okta org; matched by the Okta user id and moved to ${to}`;
}

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

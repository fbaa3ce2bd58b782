/** The user fields OIDC's standard claims are made of. */
export interface ClaimsUser {
  username: string;
  firstName: string | null;
  lastName: string | null;
  email: string | null;
}

/**
 * OIDC Core §5.4: the standard claims a set of granted scopes releases, the same in the ID token and at UserInfo
 * (`profile`: names and preferred_username; `email`: email). Claims with no value are left out, never null.
 */
export function standardClaims(u: ClaimsUser, scope: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  if (scope.includes('profile')) {
    const name = [u.firstName, u.lastName].filter(Boolean).join(' ');
    if (name) out.name = name;
    if (u.firstName) out.given_name = u.firstName;
    if (u.lastName) out.family_name = u.lastName;
    out.preferred_username = u.username;
  }
  if (scope.includes('email') && u.email) out.email = u.email;
  return out;
}

/**
 * A scope parameter's tokens (RFC 6749 §3.3: `scope-token *( SP scope-token )`), each once, in the order first given:
 * §3.3 makes the scope a set, so `openid openid email` asks for, and is granted, `openid email`. An empty value, or only spaces,
 * is not "no scope requested": it is no scope-token at all, malformed, and refused with invalid_scope by every
 * endpoint that reads one (undefined here). Leaving the parameter out is the way to ask for the default: openid at
 * the authorization endpoint and the password grant, the scope granted at sign-in at a refresh (§6).
 */
export function scopeTokens(value: string): string[] | undefined {
  const tokens = [...new Set(value.split(' ').filter(Boolean))];
  return tokens.length > 0 ? tokens : undefined;
}

/** What an empty scope is told where leaving it out means openid. */
export const EMPTY_SCOPE = 'scope is empty: leave it out to sign in with openid, or name the scopes.';

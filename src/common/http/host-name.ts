/**
 * Whether a URL's host (as `new URL()` writes it: lower case, IDNs in punycode) is a plain host name: DNS labels of
 * letters, digits and hyphens (RFC 1123 §2.1), a dotted IPv4 address, or a bracketed IPv6 literal. The URL parser
 * lets much more through in an http(s) host (`;`, `,`, `'`, `*`, `_`…), which no real host has and which would
 * change the meaning of any header or policy the host is written into (a CSP source list, for one).
 */
export function isPlainHost(hostname: string): boolean {
  if (hostname.startsWith('[')) return /^\[[0-9a-f:.]+\]$/.test(hostname);
  return /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*\.?$/.test(hostname);
}

/**
 * Whether a URL is a loopback IP redirect URI (http://127.0.0.1…, http://[::1]…): a native app's, which matches
 * with any port (RFC 8252 §7.3; clients.service.ts isRegisteredUri matches it as text). `localhost` is not one
 * (§8.3: a name, whose resolution the server cannot vouch for).
 */
export function isLoopbackIpRedirect(u: URL): boolean {
  return u.protocol === 'http:' && (u.hostname === '127.0.0.1' || u.hostname === '[::1]');
}

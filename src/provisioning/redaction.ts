/**
 * What of the asserted claims an audit row keeps (documented in the README):
 * protocol values (nonce, at_hash, c_hash, sid, jti) are dropped; any claim whose name mentions a token,
 * secret or password is replaced by "[redacted]"; strings are cut to 200 characters; lists to 50 entries.
 * Tokens themselves are never passed here.
 */
const dropped = new Set(['nonce', 'at_hash', 'c_hash', 'sid', 'jti']);
const sensitive = /token|secret|password|passwd|credential/i;

function trim(v: unknown, depth = 0): unknown {
  if (typeof v === 'string') return v.length > 200 ? `${v.slice(0, 200)}…(${v.length} chars)` : v;
  if (Array.isArray(v)) return v.slice(0, 50).map((x) => trim(x, depth + 1));
  if (v && typeof v === 'object') return depth > 2 ? '[object]' : Object.fromEntries(Object.entries(v).slice(0, 50).map(([k, x]) => [k, trim(x, depth + 1)]));
  return v;
}

export function redactClaims(claims: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(claims).slice(0, 200)) {
    if (dropped.has(k)) continue;
    out[k.slice(0, 100)] = sensitive.test(k) ? '[redacted]' : trim(v);
  }
  return out;
}

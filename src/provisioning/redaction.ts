import type { TenantConfig } from '../tenants/tenant-config.schema.js';
import { sensitiveClaims } from './fields/field-table.js';
import type { ClaimSet, ProvisioningPlan } from './mapper.js';

/**
 * What of the asserted claims an audit row keeps (the README's "Audit redaction policy" describes this):
 * - tokens are never passed here (provisioning only sees verified claims), so none can be stored;
 * - protocol values (nonce, at_hash, c_hash, s_hash, sid, jti) are dropped;
 * - a claim whose name mentions a token, secret, password, passcode, credential or OTP becomes "[redacted]";
 * - claims feeding sensitive fields (the ID number) are masked to their last two characters;
 * - strings are cut to 200 characters (with the original length noted), lists to 50 entries, objects to 50
 *   keys and depth 3, at most 200 claims per source, claim names to 100 characters;
 * - when UserInfo is about another subject, only its `sub` is kept (its claims are someone else's);
 * - characters PostgreSQL cannot store in JSON (NUL, lone surrogates) become U+FFFD.
 * Claims are then kept for AUDIT_CLAIMS_RETENTION_DAYS and the row for AUDIT_RETENTION_DAYS (AuditRetention).
 */
const dropped = new Set(['nonce', 'at_hash', 'c_hash', 's_hash', 'sid', 'jti']);
const secretName = /token|secret|password|passwd|passcode|credential|otp/i;
const MAX_STRING = 200;

/** Strings PostgreSQL's jsonb can hold: no NUL, no lone surrogate. */
export function jsonbSafe<T>(value: T): T {
  if (typeof value === 'string') return value.replace(/\u0000|\p{Cs}/gu, '\uFFFD') as T;
  if (Array.isArray(value)) return value.map(jsonbSafe) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [jsonbSafe(k), jsonbSafe(v)])) as T;
  }
  return value;
}

export function mask(value: string): string {
  return [...value].length >= 6 ? `•••${[...value].slice(-2).join('')}` : '•••';
}

function trim(v: unknown, depth: number): unknown {
  if (typeof v === 'string') {
    const cps = [...v];
    return cps.length > MAX_STRING ? `${cps.slice(0, MAX_STRING).join('')}…(${cps.length} characters)` : v;
  }
  if (Array.isArray(v)) return depth >= 3 ? '[list]' : v.slice(0, 50).map((x) => trim(x, depth + 1));
  if (v && typeof v === 'object') return depth >= 3 ? '[object]' : Object.fromEntries(Object.entries(v).slice(0, 50).map(([k, x]) => [k.slice(0, 100), trim(x, depth + 1)]));
  return v;
}

export function redactClaims(claims: Record<string, unknown>, sensitive: ReadonlySet<string> = new Set()): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(claims).slice(0, 200)) {
    if (dropped.has(k)) continue;
    const name = k.slice(0, 100);
    if (secretName.test(k)) out[name] = '[redacted]';
    else if (sensitive.has(k)) out[name] = typeof v === 'string' ? mask(v) : '[redacted]';
    else out[name] = trim(v, 0);
  }
  return jsonbSafe(out);
}

/** The claims an audit row stores, per source, so a dry run can replay them (lossy where redacted). */
export function auditClaims(input: ClaimSet, plan: ProvisioningPlan, config: TenantConfig): { idToken: Record<string, unknown>; userinfo?: Record<string, unknown> } {
  const sensitive = new Set(sensitiveClaims(config));
  const idToken = redactClaims(input.idToken, sensitive);
  if (!input.userinfo) return { idToken };
  const mismatch = plan.subject === '' || input.userinfo.sub !== plan.subject;
  return { idToken, userinfo: mismatch ? redactClaims({ sub: input.userinfo.sub }) : redactClaims(input.userinfo, sensitive) };
}

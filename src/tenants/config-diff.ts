import { ownValue } from '../common/own.js';
import { fieldPath, under } from '../common/validation/field-path.js';

/**
 * A readable difference between two configuration documents: one entry per changed setting, with a sentence
 * an account manager can read ("domains: added kentel.ca"). Pure; the client secret is never shown, only
 * that it was replaced.
 */
export interface ConfigChange {
  path: string;
  change: 'added' | 'removed' | 'changed';
  from?: unknown;
  to?: unknown;
  /** For lists of plain values: what was added and removed. */
  added?: unknown[];
  removed?: unknown[];
  text: string;
}

/** References to sealed secrets: a change is reported as "replaced", never with the reference itself. */
const SECRET_PATHS: Record<string, string> = { 'okta.clientSecretId': 'okta.clientSecret', 'training.databaseUrlSecretId': 'training.databaseUrl' };

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const isObject = (v: unknown): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isPlain = (v: unknown) => v === null || ['string', 'number', 'boolean'].includes(typeof v);
const show = (v: unknown) => (v === undefined ? '(not set)' : JSON.stringify(v));
const key = (path: string, k: string) => (path ? under(path, fieldPath([k])) : fieldPath([k]));

export function diffConfigs(before: unknown, after: unknown): ConfigChange[] {
  const out: ConfigChange[] = [];
  walk(before as Json | undefined, after as Json | undefined, '', out);
  return out;
}

function walk(a: Json | undefined, b: Json | undefined, path: string, out: ConfigChange[]): void {
  const secret = ownValue(SECRET_PATHS, path);
  if (secret) {
    if (a !== b) out.push({ path: secret, change: a === undefined ? 'added' : b === undefined ? 'removed' : 'changed', text: `${secret}: ${b === undefined ? 'removed' : 'replaced by another secret'} (never shown)` });
    return;
  }
  if (JSON.stringify(a) === JSON.stringify(b)) return;
  if (isObject(a) && isObject(b)) {
    // Own members only: a key named like an inherited one ("constructor") is added or removed, not changed from a function.
    for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) walk(ownValue(a, k), ownValue(b, k), key(path, k), out);
    return;
  }
  if (a === undefined) {
    out.push({ path, change: 'added', to: b, text: `${path}: set to ${show(b)}` });
    return;
  }
  if (b === undefined) {
    out.push({ path, change: 'removed', from: a, text: `${path}: removed (was ${show(a)})` });
    return;
  }
  if (Array.isArray(a) && Array.isArray(b) && [...a, ...b].every(isPlain)) {
    const added = b.filter((x) => !a.includes(x));
    const removed = a.filter((x) => !b.includes(x));
    const parts = [added.length && `added ${added.map((x) => show(x)).join(', ')}`, removed.length && `removed ${removed.map((x) => show(x)).join(', ')}`].filter(Boolean);
    out.push({ path, change: 'changed', added, removed, text: `${path}: ${parts.length ? parts.join('; ') : 'reordered'}` });
    return;
  }
  out.push({ path, change: 'changed', from: a, to: b, text: `${path}: changed from ${show(a)} to ${show(b)}` });
}

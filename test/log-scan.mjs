/**
 * Scans the service logs a test run wrote (.test-tmp/logs) for what must never be logged: the test secrets,
 * any JWT or JWE (ID, access and refresh tokens, our authorization codes), any OAuth `code` or `state`
 * value in a URL, bearer credentials, and secret-named fields with a value. Used by test/run-tests.mjs after
 * jest (the run fails on a finding) and tested by test/unit/log-scan.test.ts.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const REDACTED = /^(%5Bredacted%5D|\[redacted\])$/i;

/** Patterns: [what, regex, value group (optional; the finding only counts when that group is not a redaction)]. */
const PATTERNS = [
  ['a JWT/JWE', /eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]{8,}/g],
  ['an OAuth parameter in a URL', /[?&](code|state|nonce|code_verifier|refresh_token|access_token|id_token|client_secret|password|token)=([^&"\s\\]+)/g, 2],
  ['a bearer or basic credential', /\b(Bearer|Basic) ([A-Za-z0-9._~+/=-]{16,})/g, 2],
  ['a secret-named field', /"(password|client_secret|clientSecret|access_token|refresh_token|id_token|code_verifier|secret|authorization|cookie|x-admin-key)"\s*:\s*"([^"]+)"/gi, 2],
];

/** Every log file under `dir` modified at or after `sinceMs`. */
export function logFiles(dir, sinceMs = 0) {
  let names = [];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.map((n) => join(dir, n)).filter((f) => statSync(f).isFile() && statSync(f).mtimeMs >= sinceMs);
}

/** Findings in `files`: {file, line, what, excerpt} — the excerpt never shows the value itself. */
export function scanLogs(files, secrets = []) {
  const findings = [];
  const known = secrets.filter((s) => s && s.length >= 6).flatMap((s) => [...new Set([s, encodeURIComponent(s), JSON.stringify(s).slice(1, -1)])]);
  for (const file of files) {
    const lines = readFileSync(file, 'utf8').split('\n');
    lines.forEach((text, i) => {
      const add = (what, at) => findings.push({ file, line: i + 1, what, excerpt: `${text.slice(Math.max(0, at - 60), at).replace(/\s+/g, ' ')}…` });
      for (const s of known) {
        const at = text.indexOf(s);
        if (at >= 0) add('a known test secret', at);
      }
      for (const [what, re, group] of PATTERNS) {
        for (const m of text.matchAll(re)) {
          if (group && REDACTED.test(m[group])) continue;
          add(what, m.index);
        }
      }
    });
  }
  return findings;
}

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { logFiles, scanLogs } from '../log-scan.mjs';

/** The scan run after every full test run must be able to fail: each kind of leak is found, redactions are not. */
describe('log scan', () => {
  const dir = mkdtempSync(join(tmpdir(), 'log-scan-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const scan = (line: string, secrets: string[] = []) => {
    const file = join(dir, `${Math.random()}.log`);
    writeFileSync(file, `${line}\n`);
    return scanLogs([file], secrets).map((f) => f.what);
  };

  it('finds JWTs, JWEs, code and state values, bearer credentials, secret fields and known secrets', () => {
    expect(scan('{"msg":"x","t":"eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJlc2lnbmF0dXJl"}')).toEqual(['a JWT/JWE']);
    expect(scan('"code":"eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0..aXZpdml2aXZpdg.Y2lwaGVydGV4dA.dGFndGFn"')).toContain('a JWT/JWE');
    expect(scan('{"url":"/oauth2/callback?code=Zx81kQ-abc&state=%5Bredacted%5D"}')).toEqual(['an OAuth parameter in a URL']);
    expect(scan('{"url":"/oauth2/callback?code=%5Bredacted%5D&state=%5Bredacted%5D"}')).toEqual([]);
    expect(scan('{"hdr":"Bearer abcdefghijklmnopqrstuvwxyz0123"}')).toEqual(['a bearer or basic credential']);
    expect(scan('{"client_secret":"s3cr3t-value"}')).toEqual(['a secret-named field']);
    expect(scan('{"client_secret":"[redacted]"}')).toEqual([]);
    expect(scan('{"msg":"se+cr%et:with spaces"}', ['se+cr%et:with spaces'])).toEqual(['a known test secret']);
    expect(scan('{"msg":"se%2Bcr%25et%3Awith%20spaces"}', ['se+cr%et:with spaces'])).toEqual(['a known test secret']);
    expect(scan('{"level":30,"msg":"request completed","res":{"statusCode":200}}', ['se+cr%et:with spaces'])).toEqual([]);
  });

  it('only looks at the files of this run', () => {
    const future = Date.now() + 60_000;
    expect(logFiles(dir, future)).toEqual([]);
    expect(logFiles(join(dir, 'missing'))).toEqual([]);
  });
});

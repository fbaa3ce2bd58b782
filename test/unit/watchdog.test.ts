import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { nodeOptions, watch } from '../watchdog.mjs';

/**
 * The watchdog is what keeps a hung run from holding CI until its own limit: it must name the stuck file, say
 * what every process was doing (an idle one through its diagnostic report, one spinning in JavaScript through
 * its inspector), and kill the whole tree. A stand-in "jest" with two children, one of each, proves all three.
 */
describe('test-run watchdog', () => {
  const dir = mkdtempSync(join(tmpdir(), 'watchdog-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Alive and not a zombie (a killed child of the stand-in stays one until it is reaped). */
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
    } catch {
      return false;
    }
    try {
      return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    } catch {
      return false; // reaped meanwhile
    }
  };

  it('names the stuck file, prints the stack of a spinning worker and the handles of an idle one, and kills them all', async () => {
    const reportDir = join(dir, 'reports');
    const progressFile = join(dir, 'progress.json');
    writeFileSync(progressFile, JSON.stringify({ '/repo/test/e2e/stuck.test.ts': Date.now() - 60_000 }));
    const pidsFile = join(dir, 'pids');
    // Each child says when it is in the state the test is about (on a loaded machine Node can take seconds to start).
    const idleReady = join(dir, 'idle-ready');
    const busyReady = join(dir, 'busy-ready');
    // The stand-in for jest: one child idle on a timer, one spinning in a named function; it writes their pids.
    const script = `
      const { spawn } = require('node:child_process');
      const idle = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000); require("node:fs").writeFileSync(process.argv[1], "")', ${JSON.stringify(idleReady)}], { stdio: 'ignore' });
      const busy = spawn(process.execPath, ['-e', 'function spinsForEver() { for (;;) {} } setTimeout(() => { require("node:fs").writeFileSync(process.argv[1], ""); spinsForEver(); }, 200)', ${JSON.stringify(busyReady)}], { stdio: 'ignore' });
      require('node:fs').writeFileSync(${JSON.stringify(pidsFile)}, JSON.stringify([idle.pid, busy.pid]));
      setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ['-e', script], {
      detached: true, stdio: 'ignore', env: { ...process.env, NODE_OPTIONS: nodeOptions(reportDir) },
    });
    while (![pidsFile, idleReady, busyReady].every(existsSync)) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 100));
    const [idlePid, busyPid] = JSON.parse(readFileSync(pidsFile, 'utf8')) as number[];

    const lines: string[] = [];
    const why = await new Promise<string>((resolve) => {
      watch(child, { progressFile, reportDir, fileLimitMs: 10_000, runLimitMs: 3_600_000, intervalMs: 100, log: (l) => lines.push(l), onStuck: resolve });
    });
    const out = lines.join('\n');

    expect(why).toBe('1 test file(s) ran longer than 10 s');
    expect(out).toContain('/repo/test/e2e/stuck.test.ts (for 6');
    // The idle child answered with a report (its timer among its handles); the spinning one through the inspector.
    expect(out).toMatch(new RegExp(`process ${idlePid}: .*setInterval[\\s\\S]*?JavaScript stack: \\(none: idle[\\s\\S]*?active handles: \\{[^}]*"timer":1`));
    expect(out).toMatch(new RegExp(`process ${busyPid} wrote no report \\(its event loop is blocked\\): state R[\\s\\S]*?at spinsForEver \\(`));
    await new Promise((r) => setTimeout(r, 300));
    for (const pid of [child.pid!, idlePid!, busyPid!]) expect(alive(pid)).toBe(false);
  }, 40_000);
});


/**
 * The test run's watchdog (used by test/run-tests.mjs). Jest bounds every test and hook (testTimeout), but not
 * a worker whose event loop is blocked, a module import that never settles, or a worker that died without
 * jest noticing: any of those leaves the run waiting for ever. The watchdog ends such a run with a diagnosis
 * instead of letting CI wait out its own limit:
 * - a test file that has run longer than `fileLimitMs` (test/progress-reporter.mjs says which files run), or
 *   the whole run longer than `runLimitMs`, is reported;
 * - every Node process under jest is asked for a diagnostic report (node --report-on-signal, armed by
 *   `nodeOptions()`), and each one's JavaScript stack and live handles are printed;
 * - jest and everything it started are killed, and the run fails.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';

const SIGNAL = 'SIGUSR2';

/** NODE_OPTIONS that let the watchdog ask any Node process of the run for a report (written to `reportDir`). */
export function nodeOptions(reportDir) {
  mkdirSync(reportDir, { recursive: true });
  // --inspect-port=0: an inspector switched on by the watchdog listens on a port of its own (see pausedStack).
  return `--report-on-signal --report-signal=${SIGNAL} --report-directory=${reportDir} --inspect-port=0`;
}

/**
 * Watches `child` (jest, spawned `detached` so that its process group is everything it started).
 * Returns a function that stops watching. `onStuck` is called once, after the diagnosis and the kill.
 */
export function watch(child, { progressFile, reportDir, fileLimitMs, runLimitMs, onStuck, log = console.error, intervalMs = 5_000 }) {
  const started = Date.now();
  let fired = false;
  const timer = setInterval(async () => {
    if (fired) return;
    const now = Date.now();
    const running = readRunning(progressFile);
    const stuck = running.filter(([, since]) => now - since > fileLimitMs);
    if (stuck.length === 0 && now - started <= runLimitMs) return;
    fired = true;
    clearInterval(timer);
    const why = stuck.length > 0
      ? `${stuck.length} test file(s) ran longer than ${Math.round(fileLimitMs / 1000)} s`
      : `the run took longer than ${Math.round(runLimitMs / 1000)} s`;
    log(`\nwatchdog: ${why}; running now:`);
    for (const [file, since] of running) log(`  ${file} (for ${Math.round((now - since) / 1000)} s)`);
    await diagnose(child.pid, reportDir, log);
    killGroup(child.pid);
    onStuck(why);
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

function readRunning(progressFile) {
  try {
    return Object.entries(JSON.parse(readFileSync(progressFile, 'utf8')));
  } catch {
    return [];
  }
}

/** Asks every Node process under `rootPid` for a report and prints what each was doing. */
async function diagnose(rootPid, reportDir, log) {
  const pids = [rootPid, ...descendants(rootPid)].filter((pid) => commandOf(pid).includes('node'));
  for (const pid of pids) {
    try {
      process.kill(pid, SIGNAL);
    } catch {
      /* gone already */
    }
  }
  await new Promise((r) => setTimeout(r, 5_000));
  const reports = existsSync(reportDir) ? readdirSync(reportDir).filter((f) => f.endsWith('.json')) : [];
  const reported = new Set();
  for (const name of reports) {
    try {
      const r = JSON.parse(readFileSync(join(reportDir, name), 'utf8'));
      const handles = {};
      for (const h of r.libuv ?? []) if (h.is_active) handles[h.type] = (handles[h.type] ?? 0) + 1;
      reported.add(r.header?.processId);
      const stack = (r.javascriptStack?.stack ?? []).filter((l) => l && !/^Unavailable/.test(l));
      log(`\nwatchdog: process ${r.header?.processId}: ${(r.header?.commandLine ?? []).join(' ').slice(0, 160)}`);
      log(`  JavaScript stack: ${stack.length > 0 ? r.javascriptStack.message : '(none: idle, waiting on its event loop)'}`);
      for (const line of stack.slice(0, 25)) log(`    ${line}`);
      log(`  active handles: ${JSON.stringify(handles)}; heap used ${Math.round((r.javascriptHeap?.usedMemory ?? 0) / 2 ** 20)} MiB`);
    } catch (e) {
      log(`watchdog: report ${name} unreadable: ${e.message}`);
    }
  }
  // A process whose event loop is blocked cannot answer: say how it is blocked (R: running JavaScript, e.g. a loop
  // or a runaway regular expression; S/D: waiting in a system call).
  for (const pid of pids.filter((p) => !reported.has(p))) {
    const state = procState(pid);
    log(`\nwatchdog: process ${pid} wrote no report (its event loop is blocked): ${state}`);
    log(`  ${commandOf(pid).replaceAll('\0', ' ').slice(0, 160)}`);
    // Running JavaScript: the inspector can still pause it and say where.
    if (state.startsWith('state R')) {
      const frames = await pausedStack(pid).catch((e) => [`(the inspector could not pause it: ${e.message})`]);
      for (const line of frames.slice(0, 25)) log(`    ${line}`);
    }
  }
  if (reports.length > 0) log(`\nwatchdog: full reports in ${reportDir}`);
}

/** Every process whose ancestry leads to `pid` (Linux /proc; elsewhere none, and only the group is killed). */
function descendants(pid) {
  const children = new Map();
  let entries = [];
  try {
    entries = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return [];
  }
  for (const d of entries) {
    const f = statFields(d);
    if (!f) continue; // exited meanwhile
    const ppid = Number(f[1]);
    if (!children.has(ppid)) children.set(ppid, []);
    children.get(ppid).push(Number(d));
  }
  const out = [];
  const queue = [pid];
  while (queue.length > 0) {
    for (const c of children.get(queue.shift()) ?? []) {
      out.push(c);
      queue.push(c);
    }
  }
  return out;
}

/**
 * The stack of a Node process busy in JavaScript: its inspector is switched on (SIGUSR1, through
 * process._debugProcess) on a port of its own (--inspect-port=0; found among the process' listening sockets),
 * asked to pause, and the paused frames are read.
 */
async function pausedStack(pid) {
  const { WebSocket } = await import('undici');
  const before = listeningPorts(pid);
  process._debugProcess(pid);
  let target;
  for (let i = 0; i < 20 && !target; i++) {
    await new Promise((r) => setTimeout(r, 250));
    for (const port of listeningPorts(pid).filter((p) => !before.includes(p))) {
      target ??= await fetch(`http://127.0.0.1:${port}/json/list`).then((r) => r.json()).then((l) => l[0]).catch(() => undefined);
    }
  }
  if (!target) throw new Error('its inspector did not come up');
  const ws = new WebSocket(target.webSocketDebuggerUrl);
  try {
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no pause within 5 s')), 5_000);
      ws.onerror = () => reject(new Error('inspector connection failed'));
      ws.onopen = () => {
        ws.send(JSON.stringify({ id: 1, method: 'Debugger.enable' }));
        ws.send(JSON.stringify({ id: 2, method: 'Debugger.pause' }));
      };
      const urls = new Map(); // scriptId → url (jest's vm modules leave a frame's own url empty)
      ws.onmessage = (m) => {
        const msg = JSON.parse(String(m.data));
        if (msg.method === 'Debugger.scriptParsed') urls.set(msg.params.scriptId, msg.params.url);
        if (msg.method !== 'Debugger.paused') return;
        clearTimeout(timer);
        resolve(msg.params.callFrames.map((f) => `at ${f.functionName || '<anonymous>'} (${f.url || urls.get(f.location.scriptId) || '?'}:${f.location.lineNumber + 1}:${f.location.columnNumber + 1})`));
      };
    });
  } finally {
    ws.close();
  }
}

/** Linux: the TCP ports `pid` listens on (its socket inodes matched against /proc/net/tcp{,6}). */
function listeningPorts(pid) {
  const inodes = new Set();
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`, { encoding: 'utf8' }) ?? '');
      if (m) inodes.add(m[1]);
    }
  } catch {
    return [];
  }
  const ports = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let lines = [];
    try {
      lines = readFileSync(table, 'utf8').split('\n').slice(1);
    } catch {
      continue;
    }
    for (const line of lines) {
      const f = line.trim().split(/\s+/);
      if (f[3] === '0A' && inodes.has(f[9])) ports.push(parseInt(f[1].split(':')[1], 16));
    }
  }
  return ports;
}

/** Linux: the process' state, CPU time and what it waits in, from /proc. */
function procState(pid) {
  const f = statFields(pid);
  if (!f) return 'gone';
  const ticks = Number(f[11]) + Number(f[12]); // utime + stime, in clock ticks (100 per second on Linux)
  let wchan = '';
  try {
    wchan = readFileSync(`/proc/${pid}/wchan`, 'utf8');
  } catch {
    /* not readable */
  }
  return `state ${f[0]}, ${Math.round(ticks / 100)} s of CPU${wchan && wchan !== '0' ? `, waiting in ${wchan}` : ''}`;
}

/** Linux: the fields of /proc/<pid>/stat after the command name (state, ppid, …), or undefined if it is gone. */
function statFields(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

function commandOf(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return 'node'; // no /proc: assume it is one of ours
  }
}

/** Kills jest's process group, and anything under it that left the group. */
export function killGroup(pid) {
  const all = descendants(pid);
  for (const target of [-pid, pid, ...all]) {
    try {
      process.kill(target, 'SIGKILL');
    } catch {
      /* gone already */
    }
  }
}

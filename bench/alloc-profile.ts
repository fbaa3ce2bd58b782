/**
 * Where a running service allocates, garbage included: `node dist/bench/alloc-profile.js PORT SECONDS [OUT]`
 * against a service started with `--inspect=127.0.0.1:PORT` (e.g. `BENCH_SERVICE_FLAGS=--inspect=127.0.0.1:9339
 * BENCH_ONLY=a npm run bench`, started once "idle RSS … service" is printed). It samples through the inspector
 * (HeapProfiler.startSampling, objects later collected by either GC counted too), prints the top allocating
 * functions and, for each sample, the innermost frame of this service's own code, and writes the raw profile to OUT
 * (a .heapprofile Chrome DevTools opens). Allocation drives scavenges; a CPU profile does not show it.
 */
import { writeFileSync } from 'node:fs';
import { connectInspector } from './inspector.js';

interface Node { callFrame: { functionName: string; url: string; lineNumber: number }; selfSize: number; children: Node[] }

const [port, seconds = '20', out] = process.argv.slice(2);
if (!port) throw new Error('usage: node dist/bench/alloc-profile.js PORT [SECONDS] [OUT]');
const inspector = await connectInspector(port);
const call = inspector.call;
await call('HeapProfiler.enable');
await call('HeapProfiler.startSampling', { samplingInterval: 16384, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
await new Promise((resolve) => setTimeout(resolve, Number(seconds) * 1000));
const { profile } = await call<{ profile: { head: Node } }>('HeapProfiler.stopSampling');
if (out) writeFileSync(out, JSON.stringify(profile));

const byFunction = new Map<string, number>();
const byOurs = new Map<string, number>();
let total = 0;
const frame = (n: Node) => `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.replace(/.*node_modules\//, '').replace(/.*\/dist\//, '')}:${n.callFrame.lineNumber + 1}`;
const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);
(function walk(n: Node, ours: string | undefined) {
  const f = frame(n);
  const inner = n.callFrame.url.includes('/dist/src/') ? f : ours;
  if (n.selfSize) {
    total += n.selfSize;
    add(byFunction, f, n.selfSize);
    add(byOurs, inner ?? '(no frame of ours)', n.selfSize);
  }
  for (const c of n.children) walk(c, inner);
})(profile.head, undefined);
const top = (m: Map<string, number>, n: number) => [...m].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, v]) => `${((v / total) * 100).toFixed(1).padStart(5)} %  ${k}`).join('\n');
console.log(`sampled ${(total / 1048576).toFixed(0)} MiB allocated in ${seconds} s\n--- by function\n${top(byFunction, 25)}\n--- by the innermost frame of this service\n${top(byOurs, 25)}`);
inspector.close();
process.exit(0);

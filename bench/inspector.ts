/**
 * A minimal client of a Node process' inspector (the Chrome DevTools protocol over its WebSocket), for the
 * bench's own readings: where a service allocates (alloc-profile.ts) and its live heap after a full collection
 * (run.ts, figure (d)). The process must have its inspector open on 127.0.0.1:PORT (`--inspect=127.0.0.1:PORT`,
 * or `--inspect-port=127.0.0.1:PORT` and then SIGUSR1).
 */
import { WebSocket } from 'undici';

export interface Inspector {
  call<T>(method: string, params?: object): Promise<T>;
  close(): void;
}

export async function connectInspector(port: number | string): Promise<Inspector> {
  let targets: Array<{ webSocketDebuggerUrl: string }> = [];
  // After SIGUSR1 the inspector opens within milliseconds; allow a few seconds on a loaded machine.
  for (let i = 0; i < 50 && !targets.length; i++) {
    targets = await fetch(`http://127.0.0.1:${port}/json/list`).then((r) => r.json() as Promise<typeof targets>, () => []);
    if (!targets.length) await new Promise((r) => setTimeout(r, 100));
  }
  if (!targets.length) throw new Error(`no inspector answers on 127.0.0.1:${port}`);
  const ws = new WebSocket(targets[0]!.webSocketDebuggerUrl);
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let next = 0;
  ws.onmessage = (e) => {
    const m = JSON.parse(String(e.data)) as { id?: number; result?: unknown; error?: { message: string } };
    if (m.id === undefined) return;
    const p = pending.get(m.id);
    pending.delete(m.id);
    if (m.error) p?.reject(new Error(`inspector: ${m.error.message}`));
    else p?.resolve(m.result);
  };
  await new Promise<void>((resolve, reject) => {
    ws.onopen = () => resolve();
    ws.onerror = () => reject(new Error(`the inspector on 127.0.0.1:${port} refused the connection`));
  });
  return {
    call: <T>(method: string, params: object = {}) => new Promise<T>((resolve, reject) => {
      const id = ++next;
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      ws.send(JSON.stringify({ id, method, params }));
    }),
    close: () => ws.close(),
  };
}

/** The process' live heap: a full collection through the inspector, then V8's used size (bytes). */
export async function liveHeap(inspector: Inspector): Promise<number> {
  await inspector.call('HeapProfiler.collectGarbage');
  return (await inspector.call<{ usedSize: number }>('Runtime.getHeapUsage')).usedSize;
}

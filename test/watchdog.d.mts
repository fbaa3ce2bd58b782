import type { ChildProcess } from 'node:child_process';
export declare function nodeOptions(reportDir: string): string;
export declare function watch(child: ChildProcess, options: {
  progressFile: string; reportDir: string; fileLimitMs: number; runLimitMs: number;
  onStuck: (why: string) => void; log?: (line: string) => void; intervalMs?: number;
}): () => void;
export declare function killGroup(pid: number): void;

import type { Logger } from '@nestjs/common';

/**
 * A job each instance runs every `intervalMs` (not at all when 0): never two runs at once in one process, a
 * failed run logged (its SQLSTATE only) and tried again at the next interval, and `stop()` waits for a run
 * under way so shutdown does not cut it off. The timer does not keep the process alive.
 */
export class PeriodicJob {
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;

  constructor(
    private readonly what: string,
    private readonly log: Logger,
    private readonly run: () => Promise<unknown>,
  ) {}

  start(intervalMs: number): void {
    if (intervalMs <= 0) return;
    this.timer = setInterval(() => void this.runSafely(), intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }

  private async runSafely(): Promise<void> {
    if (this.running) return;
    this.running = this.run();
    try {
      await this.running;
    } catch (e) {
      this.log.error({ code: (e as { code?: string }).code }, `${this.what} failed; it runs again at the next interval`);
    } finally {
      this.running = undefined;
    }
  }
}

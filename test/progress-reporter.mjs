/**
 * A jest reporter that keeps, in the file named by TEST_PROGRESS_FILE, which test files are running and since
 * when: test/run-tests.mjs' watchdog reads it to name a file that has stopped making progress.
 * Without TEST_PROGRESS_FILE (jest run by hand) it keeps nothing. It also prints the warning of a test file that
 * skipped all its tests, which jest's default reporter would not show.
 */
import { renameSync, writeFileSync } from 'node:fs';

export default class ProgressReporter {
  #running = new Map();
  #file = process.env.TEST_PROGRESS_FILE;

  onTestFileStart(test) {
    this.#running.set(test.path, Date.now());
    this.#write();
  }

  onTestFileResult(test, result) {
    this.#running.delete(test.path);
    this.#write();
    // Jest's default reporter prints nothing of a file whose tests were all skipped, so the file's own
    // warning saying why (the console's browser tests without Chromium) would be lost: print it here.
    if (result.skipped) for (const entry of result.console ?? []) if (entry.type === 'warn') process.stderr.write(`${entry.message}\n`);
  }

  #write() {
    if (!this.#file) return;
    // Written whole and renamed, so the watchdog never reads half a file.
    writeFileSync(`${this.#file}.tmp`, JSON.stringify(Object.fromEntries(this.#running)));
    renameSync(`${this.#file}.tmp`, this.#file);
  }
}

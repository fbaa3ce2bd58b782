/**
 * A jest reporter that keeps, in the file named by TEST_PROGRESS_FILE, which test files are running and since
 * when: test/run-tests.mjs' watchdog reads it to name a file that has stopped making progress.
 * Without TEST_PROGRESS_FILE (jest run by hand) it does nothing.
 */
import { renameSync, writeFileSync } from 'node:fs';

export default class ProgressReporter {
  #running = new Map();
  #file = process.env.TEST_PROGRESS_FILE;

  onTestFileStart(test) {
    this.#running.set(test.path, Date.now());
    this.#write();
  }

  onTestFileResult(test) {
    this.#running.delete(test.path);
    this.#write();
  }

  #write() {
    if (!this.#file) return;
    // Written whole and renamed, so the watchdog never reads half a file.
    writeFileSync(`${this.#file}.tmp`, JSON.stringify(Object.fromEntries(this.#running)));
    renameSync(`${this.#file}.tmp`, this.#file);
  }
}

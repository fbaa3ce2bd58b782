import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe } from '@jest/globals';
import { type Browser, type BrowserContext, type Page, chromium } from 'playwright-core';

/**
 * A real browser for the console tests: Debian's Chromium (`apt-get install chromium`; .ci/run installs it
 * when missing), driven by playwright-core. Playwright never downloads a browser here.
 */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** As the machine needs them: no sandbox as root, no GPU, and no background calls to the (closed) network. */
export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync',
];

export type Launch = { ok: true; browser: Browser; close(): Promise<void> } | { ok: false; reason: string };

/** Launches Chromium (playwright gives it a new empty profile), or says plainly why it cannot (the tests then skip). */
export async function launchChromium(): Promise<Launch> {
  if (!existsSync(CHROMIUM_PATH)) {
    return { ok: false, reason: `Chromium is not installed at ${CHROMIUM_PATH} (install Debian's package: apt-get install -y chromium; .ci/run does this)` };
  }
  try {
    const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true, timeout: 60_000 });
    return { ok: true, browser, close: () => browser.close().catch(() => {}) };
  } catch (e) {
    return { ok: false, reason: `Chromium at ${CHROMIUM_PATH} could not be launched: ${(e as Error).message.split('\n')[0]}` };
  }
}

/**
 * Chromium for a test file, and the file's `describe`: .ci/run sets REQUIRE_BROWSER_TESTS when Chromium is
 * installed, and then a browser that cannot start fails the run; otherwise its tests are skipped with a warning
 * naming `what` and the reason.
 */
export async function chromiumForTests(what: string): Promise<{ launch: Launch; describeInBrowser: typeof describe | typeof describe.skip }> {
  const launch = await launchChromium();
  if (!launch.ok && process.env.REQUIRE_BROWSER_TESTS === '1') throw new Error(`${what} cannot run: ${launch.reason}`);
  if (!launch.ok) console.warn(`\n  SKIPPED ${what}: ${launch.reason}\n`);
  return { launch, describeInBrowser: launch.ok ? describe : describe.skip };
}

/** Collects into `into` what the page reports on its console about Content Security Policy violations. */
export function recordCspViolations(page: Page, into: string[]): void {
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) into.push(m.text());
  });
}

/** Where the tests put screenshots: docs/screenshots when UPDATE_SCREENSHOTS=1 (the README shows them), else .test-tmp. */
export function screenshotDir(): string {
  const dir = process.env.UPDATE_SCREENSHOTS === '1' ? join(process.cwd(), 'docs', 'screenshots') : join(process.cwd(), '.test-tmp', 'screenshots');
  mkdirSync(dir, { recursive: true });
  return dir;
}

export type { Browser, BrowserContext };

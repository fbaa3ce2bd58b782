import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium } from 'playwright-core';

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

/** Where the tests put screenshots: docs/screenshots when UPDATE_SCREENSHOTS=1 (the README shows them), else .test-tmp. */
export function screenshotDir(): string {
  const dir = process.env.UPDATE_SCREENSHOTS === '1' ? join(process.cwd(), 'docs', 'screenshots') : join(process.cwd(), '.test-tmp', 'screenshots');
  mkdirSync(dir, { recursive: true });
  return dir;
}

export type { Browser, BrowserContext };

#!/usr/bin/env node
/**
 * Builds the account-manager console into dist/console: its TypeScript (src/console/web, browser ES modules,
 * compiled by the project's own tsc: no bundler, no framework, nothing fetched) and its static files.
 * Run by `npm run build` and, so the browser tests always see the current code, by `npm test`.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src', 'console', 'web');
const out = join(root, 'dist', 'console');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const r = spawnSync(process.execPath, [tsc, '-p', join(src, 'tsconfig.json')], { stdio: 'inherit', cwd: root });
if (r.status !== 0) process.exit(r.status ?? 1);
for (const name of readdirSync(src)) if (/\.(html|css|svg)$/.test(name)) copyFileSync(join(src, name), join(out, name));

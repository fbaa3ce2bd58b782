import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { envSchema, type Env } from './env.schema.js';
import type { TrustProxy } from './trust-proxy.js';

/** The validated, resolved configuration every part of the service receives (injected as AppConfig). */
export class AppConfig {
  constructor(
    readonly env: Env,
    readonly publicUrl: string,
    readonly adminApiKey: string,
    readonly secretsKeys: ReadonlyArray<{ id: string; key: Buffer }>,
    readonly dataDir: string,
  ) {}

  get production(): boolean {
    return this.env.NODE_ENV === 'production';
  }
  /** Our own redirect_uri registered at every tenant's Okta. */
  get oktaCallbackUrl(): string {
    return `${this.publicUrl}/oauth2/callback`;
  }
  /** Express 'trust proxy': only ever used to find the client address (rate limits), never to build URLs. */
  get trustProxy(): TrustProxy {
    return this.env.TRUST_PROXY;
  }
  get secureCookies(): boolean {
    return this.publicUrl.startsWith('https://');
  }
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
}

function parseKeyring(value: string): Array<{ id: string; key: Buffer }> {
  return value.split(',').map((entry, i) => {
    const [id, b64, ...rest] = entry.trim().split(':');
    const key = Buffer.from(b64 ?? '', 'base64');
    if (!id || !/^[A-Za-z0-9_-]{1,32}$/.test(id) || rest.length > 0 || key.length !== 32) {
      throw new ConfigError([`SECRETS_KEYS entry ${i + 1}: expected keyId:base64 of exactly 32 bytes`]);
    }
    return { id, key };
  });
}

/** Development-only secrets, generated once into DATA_DIR so restarts keep working. Never printed. */
function devSecrets(dataDir: string): { adminApiKey: string; secretsKeys: string } {
  const file = join(dataDir, 'dev-secrets.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8'));
  mkdirSync(dataDir, { recursive: true });
  const generated = {
    adminApiKey: randomBytes(24).toString('base64url'),
    secretsKeys: `dev1:${randomBytes(32).toString('base64')}`,
  };
  writeFileSync(file, JSON.stringify(generated, null, 2), { mode: 0o600 });
  return generated;
}

export function loadConfig(source: Record<string, string | undefined> = process.env): AppConfig {
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.') || '(env)'}: ${i.message}`));
  }
  const env = parsed.data;
  const dataDir = resolve(env.DATA_DIR);
  const missing = [!env.ADMIN_API_KEY && 'ADMIN_API_KEY', !env.SECRETS_KEYS && 'SECRETS_KEYS'].filter(Boolean) as string[];
  if (missing.length && env.NODE_ENV === 'production') {
    throw new ConfigError(missing.map((m) => `${m}: required when NODE_ENV=production`));
  }
  const dev = missing.length ? devSecrets(dataDir) : undefined;
  const publicUrl = (env.PUBLIC_URL ?? `http://localhost:${env.PORT}`).replace(/\/+$/, '');
  if (env.NODE_ENV === 'production' && !/^https:\/\//.test(publicUrl) && !/^http:\/\/(localhost|127\.0\.0\.1|\[::1\])(:|$)/.test(publicUrl)) {
    // Cookies are Secure only over HTTPS; a production service behind a TLS-terminating proxy says so here.
    throw new ConfigError(['PUBLIC_URL: must be an https:// URL when NODE_ENV=production (or a loopback address)']);
  }
  return new AppConfig(
    env,
    publicUrl,
    env.ADMIN_API_KEY ?? dev!.adminApiKey,
    parseKeyring(env.SECRETS_KEYS ?? dev!.secretsKeys),
    dataDir,
  );
}

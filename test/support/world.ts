import { randomBytes } from 'node:crypto';
import type { AppAdapters } from '../../src/app.module.js';
import * as oidc from 'openid-client';
import { Browser } from '../../tools/browser.js';
import { type AuthServer, type OktaStandIn, startOktaStandIn } from '../../tools/okta-stand-in/index.js';
import { createTestDatabase, type TestDatabase } from './test-database.js';
import { startService, type TestService } from './service.js';

import { OKTA_CLIENT_SECRET } from './secrets.mjs';

/** A client secret with the characters RFC 6749 §2.3.1 form-encoding exists for. */
export { OKTA_CLIENT_SECRET };
export const APP_REDIRECT = 'http://127.0.0.1:9/app/callback';

export interface TenantSetup {
  slug: string;
  authServer: AuthServer;
  oktaClientId: string;
  domains: string[];
  config?: Record<string, unknown>;
}

/**
 * Everything a sign-in needs, for real: a Postgres database cloned from the migrated template, the
 * service over HTTP, an Okta stand-in over HTTPS, and the app played by openid-client.
 */
export class World {
  db!: TestDatabase;
  okta!: OktaStandIn;
  service!: TestService;

  static async start(env: Record<string, string> = {}, adapters: AppAdapters = {}): Promise<World> {
    const w = new World();
    w.db = await createTestDatabase();
    w.okta = await startOktaStandIn({ pkiDir: process.env.TEST_PKI_DIR ?? '.test-tmp/pki' });
    w.service = await startService(w.db.url, env, adapters);
    return w;
  }

  async close(): Promise<void> {
    await this.service?.close();
    await this.okta?.close();
    await this.db?.drop();
  }

  /** An Okta authorization server with our service registered as its OIDC client, and a tenant pointing at it. */
  async addTenant(slug: string, domains: string[], config: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): Promise<TenantSetup> {
    const authServer = this.okta.addAuthServer(`aus${slug.replace(/[^a-z0-9]/gi, '')}`);
    const oktaClientId = `0oa${slug}${randomBytes(4).toString('hex')}`;
    await authServer.addClient({ client_id: oktaClientId, client_secret: OKTA_CLIENT_SECRET, redirect_uris: [`${this.service.url}/oauth2/callback`], post_logout_redirect_uris: [`${this.service.url}/oauth2/logout/callback`], grant_types: ['authorization_code', 'refresh_token', 'password', 'client_credentials'] });
    const res = await this.service.admin('POST', '/admin/tenants', {
      slug,
      name: `${slug} Inc.`,
      clientSecret: OKTA_CLIENT_SECRET,
      ...extra,
      config: {
        okta: { issuer: authServer.issuer, clientId: oktaClientId, ...(config.okta as object) },
        domains,
        roles: { map: { 'Store Manager': 'RQ-StoreManager', Associate: 'RQ-Associate' } },
        ...Object.fromEntries(Object.entries(config).filter(([k]) => k !== 'okta')),
      },
    });
    if (res.status !== 201) throw new Error(`tenant ${slug}: ${res.status} ${JSON.stringify(res.body)}`);
    return { slug, authServer, oktaClientId, domains, config };
  }

  async addLocations(slug: string, ids: string[]): Promise<void> {
    const res = await this.service.admin('PUT', `/admin/tenants/${slug}/locations`, { locations: ids.map((externalId) => ({ externalId, name: `Store ${externalId}` })) });
    if (res.status !== 200) throw new Error(`locations: ${res.status} ${JSON.stringify(res.body)}`);
  }

  async addApp(clientId = 'hub', extra: Record<string, unknown> = {}): Promise<{ clientId: string; clientSecret?: string }> {
    const res = await this.service.admin('POST', '/admin/clients', { clientId, name: clientId, type: 'public', redirectUris: [APP_REDIRECT], ...extra });
    if (res.status !== 201) throw new Error(`client: ${res.status} ${JSON.stringify(res.body)}`);
    return { clientId, clientSecret: res.body.clientSecret };
  }

  /** The iQmetrix app's view of this service, through openid-client's discovery. */
  async app(clientId = 'hub', clientSecret?: string): Promise<oidc.Configuration> {
    return oidc.discovery(new URL(this.service.url), clientId, clientSecret, clientSecret ? oidc.ClientSecretBasic(clientSecret) : oidc.None(), { execute: [oidc.allowInsecureRequests] });
  }

  /** Starts a sign-in as the app would and follows it through the user's Okta login to our redirect back. */
  async startSignIn(app: oidc.Configuration, user: { login: string; password: string }, params: Record<string, string> = {}, browser = new Browser()) {
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const url = oidc.buildAuthorizationUrl(app, {
      redirect_uri: APP_REDIRECT,
      scope: 'openid profile email offline_access',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
      login_hint: user.login,
      ...params,
    });
    const result = await browser.follow(url.href, { stopAt: APP_REDIRECT, username: user.login, password: user.password });
    return { result, verifier, state, nonce, browser, callback: result.reached ? new URL(result.url) : undefined };
  }

  /** A whole sign-in: tokens for the app, or the error our service sent it back with. */
  async signIn(app: oidc.Configuration, user: { login: string; password: string }, params: Record<string, string> = {}) {
    const s = await this.startSignIn(app, user, params);
    if (!s.callback) throw new Error(`sign-in stopped at ${s.result.url} (${s.result.response?.status}): ${s.result.response?.body.replace(/<style>[\s\S]*<\/style>/, "").slice(0, 600)}`);
    const error = s.callback.searchParams.get('error');
    if (error) return { error, description: s.callback.searchParams.get('error_description') ?? '', callback: s.callback };
    const tokens = await oidc.authorizationCodeGrant(app, s.callback, { pkceCodeVerifier: s.verifier, expectedState: s.state, expectedNonce: s.nonce });
    return { tokens, callback: s.callback, verifier: s.verifier };
  }

  async me(app: oidc.Configuration, accessToken: string) {
    const res = await oidc.fetchProtectedResource(app, accessToken, new URL(`${this.service.url}/v1/me`), 'GET');
    return { status: res.status, body: await res.json() };
  }

  /** GET a bearer-protected path (e.g. /v1/training/me) with a token; the body parsed when it is JSON. */
  async bearer(path: string, accessToken: string) {
    const res = await fetch(`${this.service.url}${path}`, { headers: { authorization: `Bearer ${accessToken}` } });
    const text = await res.text();
    let body: any = text;
    try { body = JSON.parse(text); } catch { /* not JSON */ }
    return { status: res.status, body, headers: res.headers };
  }

  /** A raw token request (grant_type=password by default) from a confidential client, HTTP Basic authenticated. */
  async tokenRequest(client: { clientId: string; clientSecret?: string }, form: Record<string, string>, service: { url: string } = this.service) {
    const enc = (v: string) => encodeURIComponent(v).replace(/%20/g, '+');
    const res = await fetch(`${service.url}/oauth2/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        ...(client.clientSecret ? { authorization: `Basic ${Buffer.from(`${enc(client.clientId)}:${enc(client.clientSecret)}`).toString('base64')}` } : {}),
      },
      body: new URLSearchParams(client.clientSecret ? form : { client_id: client.clientId, ...form }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, any>, headers: res.headers };
  }

  passwordGrant(client: { clientId: string; clientSecret?: string }, username: string, password: string, extra: Record<string, string> = {}, service?: { url: string }) {
    return this.tokenRequest(client, { grant_type: 'password', username, password, scope: 'openid profile email', ...extra }, service);
  }

  /** The tenant's configuration as saved now, ready to PUT back changed (read-only parts are dropped by the API). */
  async configOf(slug: string): Promise<Record<string, any>> {
    const res = await this.service.admin('GET', `/admin/tenants/${slug}`);
    if (res.status !== 200) throw new Error(`tenant ${slug}: ${res.status}`);
    return res.body.config;
  }

  async putConfig(slug: string, config: Record<string, any>, extra: Record<string, unknown> = {}) {
    const res = await this.service.admin('PUT', `/admin/tenants/${slug}/config`, { config, ...extra });
    if (res.status !== 200) throw new Error(`config ${slug}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }

  audits(slug: string) {
    return this.db.query<Record<string, any>>(`SELECT a.* FROM provisioning_audit a JOIN tenants t ON t.id = a.tenant_id WHERE t.slug = $1 ORDER BY a.created_at`, [slug]);
  }
}

/**
 * A demo iQmetrix web app for a person with a browser (`DEMO_KEEP_RUNNING=1 npm run demo`): a public OAuth client
 * of the service (no secret), as Hub would be. `/` shows who is signed in, `/login` starts the authorization code
 * flow with PKCE (no login_hint, so the service asks for the work email), `/callback` redeems the code and reads
 * /v1/me, `POST /logout` signs out through the service (RP-initiated logout). Its own state is in this process's
 * memory, bounded: it is the app, not the service. Written as an app should be:
 * - the sign-in's state is bound to this browser (a cookie set at /login, checked at /callback), so a callback URL
 *   from someone else's sign-in cannot sign this browser into their account (login CSRF);
 * - sign-out is a POST carrying a value only this app's page has, so another site cannot sign the user out;
 * - `allowInsecureRequests` only because the demo's service is plain HTTP on 127.0.0.1: never in a real app.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as oidc from 'openid-client';

const esc = (s: unknown) => String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const page = (res: ServerResponse, body: string, headers: Record<string, string> = {}) => {
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', ...headers });
  res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Hub (demo)</title></head><body style="font:16px system-ui;max-width:44rem;margin:2rem auto">${body}</body></html>`);
};
const random = () => randomBytes(16).toString('base64url');
const cookie = (req: IncomingMessage, name: string) => new RegExp(`(?:^|;\\s*)${name}=([\\w-]+)`).exec(req.headers.cookie ?? '')?.[1];

/** A Map that keeps at most `max` entries, the oldest out: whatever a browser starts and never finishes. */
class Bounded<V> extends Map<string, V> {
  constructor(private readonly max: number) {
    super();
  }
  override set(key: string, value: V): this {
    super.set(key, value);
    if (this.size > this.max) this.delete(this.keys().next().value!);
    return this;
  }
}

export interface DemoApp {
  url: string;
  clientId: string;
  close(): Promise<void>;
}

/** Starts the app on a free loopback port; `register` registers it with the service (its redirect URIs are known only then). */
export async function startDemoApp(serviceUrl: string, clientId: string, register: (redirectUri: string, signedOutUri: string) => Promise<void>): Promise<DemoApp> {
  const pending = new Bounded<{ browser: string; verifier: string; nonce: string }>(1000);
  const sessions = new Bounded<{ idToken?: string; me: unknown; csrf: string }>(1000);
  let client: oidc.Configuration | undefined;
  let base = '';

  const server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? '/', base);
      client ??= await oidc.discovery(new URL(serviceUrl), clientId, undefined, oidc.None(), { execute: [oidc.allowInsecureRequests] });
      if (url.pathname === '/login') {
        const browser = cookie(req, 'demo_browser') ?? random();
        const state = oidc.randomState();
        const verifier = oidc.randomPKCECodeVerifier();
        const nonce = oidc.randomNonce();
        pending.set(state, { browser, verifier, nonce });
        const to = oidc.buildAuthorizationUrl(client, {
          redirect_uri: `${base}/callback`, scope: 'openid profile email', state, nonce,
          code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
        });
        res.writeHead(302, { location: to.href, 'set-cookie': `demo_browser=${browser}; Path=/; HttpOnly; SameSite=Lax` }).end();
      } else if (url.pathname === '/callback') {
        const state = url.searchParams.get('state') ?? '';
        const p = pending.get(state);
        pending.delete(state);
        const problem = !p || p.browser !== cookie(req, 'demo_browser') ? 'this sign-in was not started in this browser' : url.searchParams.get('error');
        if (problem) return page(res, `<h1>Not signed in</h1><p>${esc(problem)}: ${esc(url.searchParams.get('error_description'))}</p><p><a href="/">Back</a></p>`);
        const tokens = await oidc.authorizationCodeGrant(client, url, { pkceCodeVerifier: p!.verifier, expectedState: state, expectedNonce: p!.nonce });
        const me = await (await oidc.fetchProtectedResource(client, tokens.access_token, new URL(`${serviceUrl}/v1/me`), 'GET')).json();
        const sid = random();
        sessions.set(sid, { idToken: tokens.id_token, me, csrf: random() });
        res.writeHead(302, { location: '/', 'set-cookie': `demo_app=${sid}; Path=/; HttpOnly; SameSite=Lax` }).end();
      } else if (url.pathname === '/logout' && req.method === 'POST') {
        const form = new URLSearchParams(await new Promise<string>((r) => { let b = ''; req.on('data', (d) => (b += d)); req.on('end', () => r(b.slice(0, 1000))); }));
        const sid = cookie(req, 'demo_app');
        const s = sid ? sessions.get(sid) : undefined;
        if (!s || form.get('csrf') !== s.csrf) return page(res, '<h1>Not signed out</h1><p>The sign-out did not come from this app\'s page.</p><p><a href="/">Back</a></p>');
        sessions.delete(sid!);
        const to = oidc.buildEndSessionUrl(client, { post_logout_redirect_uri: `${base}/`, ...(s.idToken ? { id_token_hint: s.idToken } : {}) });
        res.writeHead(303, { location: to.href, 'set-cookie': 'demo_app=; Path=/; Max-Age=0' }).end();
      } else {
        const sid = cookie(req, 'demo_app');
        const s = sid ? sessions.get(sid) : undefined;
        page(res, s
          ? `<h1>Signed in</h1><p>GET /v1/me answered:</p><pre>${esc(JSON.stringify(s.me, null, 2))}</pre><form method="post" action="/logout"><input type="hidden" name="csrf" value="${esc(s.csrf)}"><button type="submit">Sign out</button></form>`
          : `<h1>Hub (demo)</h1><p>A demo iQmetrix app. Sign in with your company account: try <code>john.smith@yvr.kentel.local</code>, password <code>demo-Passw0rd</code>.</p><p><a href="/login">Sign in</a></p>`);
      }
    } catch (e) {
      res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end(`The demo app failed: ${(e as Error).message}`);
    }
  });
  await new Promise<void>((r) => server.listen(Number(process.env.DEMO_APP_PORT ?? 0), '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  await register(`${base}/callback`, `${base}/`);
  return { url: base, clientId, close: () => new Promise((r) => server.close(() => r())) };
}

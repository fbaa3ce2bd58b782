/**
 * A demo iQmetrix web app for a person with a browser (`DEMO_KEEP_RUNNING=1 npm run demo`): a public OAuth
 * client of the service (no secret), as Hub would be. `/` shows who is signed in, `/login` starts the
 * authorization code flow with PKCE (no login_hint, so the service asks for the work email), `/callback` redeems
 * the code and reads /v1/me, `/logout` signs out through the service (RP-initiated logout). Its sign-in state is
 * in this process's memory: it is the app, not the service.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as oidc from 'openid-client';

const esc = (s: unknown) => String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const page = (res: ServerResponse, body: string) => {
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Hub (demo)</title></head><body style="font:16px system-ui;max-width:44rem;margin:2rem auto">${body}</body></html>`);
};

export interface DemoApp {
  url: string;
  clientId: string;
  close(): Promise<void>;
}

/** Starts the app on a free loopback port; `register` registers it with the service (its redirect URIs are known only then). */
export async function startDemoApp(serviceUrl: string, clientId: string, register: (redirectUri: string, signedOutUri: string) => Promise<void>): Promise<DemoApp> {
  const pending = new Map<string, { verifier: string; nonce: string }>();
  const sessions = new Map<string, { idToken?: string; me: unknown }>();
  let client: oidc.Configuration | undefined;
  let base = '';
  const sessionOf = (req: IncomingMessage) => /(?:^|;\s*)demo_app=([\w-]+)/.exec(req.headers.cookie ?? '')?.[1];

  const server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? '/', base);
      client ??= await oidc.discovery(new URL(serviceUrl), clientId, undefined, oidc.None(), { execute: [oidc.allowInsecureRequests] });
      if (url.pathname === '/login') {
        const state = oidc.randomState();
        const verifier = oidc.randomPKCECodeVerifier();
        const nonce = oidc.randomNonce();
        pending.set(state, { verifier, nonce });
        const to = oidc.buildAuthorizationUrl(client, {
          redirect_uri: `${base}/callback`, scope: 'openid profile email', state, nonce,
          code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
        });
        res.writeHead(302, { location: to.href }).end();
      } else if (url.pathname === '/callback') {
        const state = url.searchParams.get('state') ?? '';
        const p = pending.get(state);
        pending.delete(state);
        if (!p || url.searchParams.get('error')) return page(res, `<h1>Not signed in</h1><p>${esc(url.searchParams.get('error') ?? 'unknown state')}: ${esc(url.searchParams.get('error_description'))}</p><p><a href="/">Back</a></p>`);
        const tokens = await oidc.authorizationCodeGrant(client, url, { pkceCodeVerifier: p.verifier, expectedState: state, expectedNonce: p.nonce });
        const me = await (await oidc.fetchProtectedResource(client, tokens.access_token, new URL(`${serviceUrl}/v1/me`), 'GET')).json();
        const sid = randomBytes(16).toString('base64url');
        sessions.set(sid, { idToken: tokens.id_token, me });
        res.writeHead(302, { location: '/', 'set-cookie': `demo_app=${sid}; Path=/; HttpOnly; SameSite=Lax` }).end();
      } else if (url.pathname === '/logout') {
        const sid = sessionOf(req);
        const s = sid ? sessions.get(sid) : undefined;
        if (sid) sessions.delete(sid);
        const to = oidc.buildEndSessionUrl(client, { post_logout_redirect_uri: `${base}/`, ...(s?.idToken ? { id_token_hint: s.idToken } : {}) });
        res.writeHead(302, { location: to.href, 'set-cookie': 'demo_app=; Path=/; Max-Age=0' }).end();
      } else {
        const sid = sessionOf(req);
        const s = sid ? sessions.get(sid) : undefined;
        page(res, s
          ? `<h1>Signed in</h1><p>GET /v1/me answered:</p><pre>${esc(JSON.stringify(s.me, null, 2))}</pre><p><a href="/logout">Sign out</a></p>`
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

import * as oidc from 'openid-client';
import { Browser } from '../../tools/browser.js';
import { APP_REDIRECT, type World } from './world.js';

/** The app's authorization request URL for a user, with its PKCE verifier, state and nonce. */
export async function authorizeUrl(app: oidc.Configuration, login: string, params: Record<string, string> = {}) {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const url = oidc.buildAuthorizationUrl(app, {
    redirect_uri: APP_REDIRECT, scope: 'openid profile email offline_access', code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256', state, nonce, login_hint: login, ...params,
  });
  return { url, verifier, state, nonce };
}

/**
 * A sign-in taken up to the moment Okta redirects back to us: the user has logged in at Okta, and the
 * browser holds the callback URL (with Okta's code) without having requested it yet.
 */
export async function toCallback(w: World, app: oidc.Configuration, user: { login: string; password: string }, opts: { callbackBase?: string; params?: Record<string, string> } = {}) {
  const browser = new Browser();
  const a = await authorizeUrl(app, user.login, opts.params);
  const stopAt = `${opts.callbackBase ?? w.service.url}/oauth2/callback`;
  const r = await browser.follow(a.url.href, { stopAt, username: user.login, password: user.password });
  if (!r.reached) throw new Error(`sign-in stopped at ${r.url} (${r.response?.status}): ${r.response?.body.slice(0, 300)}`);
  return { ...a, browser, callbackUrl: r.url };
}

/** What the browser gets from our callback: the app's redirect (code or error), or a page. */
export async function callback(browser: Browser, callbackUrl: string) {
  const res = await browser.get(callbackUrl);
  const location = res.headers.get('location');
  const app = location?.startsWith(APP_REDIRECT) ? new URL(location) : undefined;
  return {
    status: res.status,
    headers: res.headers,
    body: res.body,
    appRedirect: app,
    code: app?.searchParams.get('code') ?? undefined,
    error: app?.searchParams.get('error') ?? undefined,
    description: app?.searchParams.get('error_description') ?? undefined,
  };
}

export async function live(w: World): Promise<number> {
  return (await fetch(`${w.service.url}/health/live`)).status;
}

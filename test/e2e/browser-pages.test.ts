import { afterAll, beforeAll, beforeEach, expect, it } from '@jest/globals';
import * as oidc from 'openid-client';
import type { BrowserContext, Page } from 'playwright-core';
import { chromiumForTests, recordCspViolations } from '../support/chromium.js';
import { APP_REDIRECT, type TenantSetup, World } from '../support/world.js';

const APP_SIGNED_OUT = 'http://127.0.0.1:9/app/signed-out';

/**
 * The two pages of the sign-in and sign-out flows where a person submits a form (the work-email page and the
 * sign-out confirmation), in a real browser. Browsers check a page's CSP form-action against every redirect that
 * follows the submission (Chromium blocks the navigation), and both forms lead on through redirects to the
 * tenant's Okta and back to the app: the test browser in tools/browser.ts does not enforce CSP, Chromium does.
 */
const { launch, describeInBrowser } = await chromiumForTests('the sign-in and sign-out page tests in Chromium');

describeInBrowser('sign-in and sign-out pages, in Chromium', () => {
  let w: World;
  let kentel: TenantSetup;
  let app: oidc.Configuration;
  let context: BrowserContext;
  let page: Page;
  const cspViolations: string[] = [];
  const erin = { login: 'erin@kentel.com', password: 'Er1n-pass' };

  beforeAll(async () => {
    w = await World.start();
    kentel = await w.addTenant('kentel', ['kentel.com']);
    await w.addApp('hub', { postLogoutRedirectUris: [APP_SIGNED_OUT] });
    app = await w.app('hub');
    kentel.authServer.setUser(erin.login, {
      password: erin.password,
      sub: '00uERIN00001',
      claims: { userName: erin.login, name: 'Erin', family_name: 'Evans', email: erin.login, security_group_name: 'Associate' },
    });
    if (!launch.ok) return;
    // The Okta stand-in's certificate is from the test CA, which this browser profile does not know.
    context = await launch.browser.newContext({ ignoreHTTPSErrors: true });
  });
  // A page per test (cookies are the context's): the last one ended on the app's address, which answers nothing.
  beforeEach(async () => {
    if (!launch.ok) return;
    await page?.close();
    page = await context.newPage();
    recordCspViolations(page, cspViolations);
  });
  afterAll(async () => {
    await context?.close();
    if (launch.ok) await launch.close();
    await w?.close();
  });

  /** The first request the browser makes to a URL starting with `prefix` (the app's addresses answer nothing). */
  const requestTo = (prefix: string) => page.waitForRequest((r) => r.url().startsWith(prefix), { timeout: 15_000 });

  it('the work-email page continues to the tenant\'s Okta, and the sign-in comes back to the app with a code', async () => {
    const verifier = oidc.randomPKCECodeVerifier();
    const url = oidc.buildAuthorizationUrl(app, {
      redirect_uri: APP_REDIRECT, scope: 'openid', state: 'st-1',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
    });
    const home = await page.goto(url.href);
    expect(home!.status()).toBe(200);
    await page.fill('#login_hint', erin.login);
    await Promise.all([page.waitForURL((u) => u.href.startsWith(kentel.authServer.issuer.replace(/\/oauth2\/.*$/, '')), { timeout: 15_000 }), page.click('button[type=submit]')]);
    await page.fill('#username', erin.login);
    await page.fill('#password', erin.password);
    const back = requestTo(APP_REDIRECT);
    await page.click('button[type=submit]');
    const callback = new URL((await back).url());
    expect(callback.searchParams.get('state')).toBe('st-1');
    const tokens = await oidc.authorizationCodeGrant(app, callback, { pkceCodeVerifier: verifier, expectedState: 'st-1' });
    expect(tokens.access_token).toBeTruthy();
    expect(cspViolations).toEqual([]);
  });

  it('the sign-out confirmation goes on through the tenant\'s Okta back to the app', async () => {
    const confirm = await page.goto(`${w.service.url}/oauth2/logout?${new URLSearchParams({ client_id: 'hub', post_logout_redirect_uri: APP_SIGNED_OUT, state: 'bye-1' })}`);
    expect(confirm!.status()).toBe(200);
    const oktaLogouts = kentel.authServer.requestsTo('logout').length;
    const back = requestTo(APP_SIGNED_OUT);
    await page.click('button[type=submit]');
    expect(new URL((await back).url()).searchParams.get('state')).toBe('bye-1');
    expect(kentel.authServer.requestsTo('logout').length).toBeGreaterThan(oktaLogouts);
    expect(cspViolations).toEqual([]);
  });
});

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as oidc from 'openid-client';
import { Browser, parseForms } from '../../tools/browser.js';
import { APP_REDIRECT, type TenantSetup, World } from '../support/world.js';

/**
 * Home-realm discovery: the work email (the app's login_hint, or typed on our page) picks the tenant by its
 * domain — a verified domain, or a domain the tenant's username rewrites map from — and an address nobody
 * owns gets a clear page to try again, never an error trace.
 */
describe('home-realm discovery', () => {
  let w: World;
  let kentel: TenantSetup;
  let app: oidc.Configuration;

  beforeAll(async () => {
    w = await World.start();
    kentel = await w.addTenant('kentel', ['kentel.com'], {
      usernameRewrites: [{ from: 'yvr.kentel.local', to: 'kentel.com' }, { from: '*.stores.kentel.local', to: 'kentel.com' }],
      training: { enabled: true },
    });
    await w.addTenant('other', ['other.com']);
    await w.addApp('hub');
    app = await w.app('hub');
    kentel.authServer.setUser('alice@kentel.com', { password: 'Al1ce', sub: '00uALICE0001', claims: { userName: 'alice@kentel.com', security_group_name: 'Associate' } });
  });
  afterAll(() => w?.close());

  const authorizeUrl = (params: Record<string, string> = {}) => oidc.buildAuthorizationUrl(app, {
    redirect_uri: APP_REDIRECT, scope: 'openid', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256', state: 'st-42', ...params,
  }).href;

  /** Where /oauth2/authorize sends the browser for this login_hint (an Okta authorize URL), or the page it shows. */
  async function start(params: Record<string, string>) {
    const res = await fetch(authorizeUrl(params), { redirect: 'manual' });
    return { status: res.status, location: res.headers.get('location'), body: await res.text(), headers: res.headers };
  }

  it('asks for the work email when the app did not say, and the page leads on to the right Okta and back with a code', async () => {
    const browser = new Browser();
    const page = await browser.get(authorizeUrl());
    expect(page.status).toBe(200);
    expect(page.body).toContain('<label for="login_hint">Work email</label>');
    const [form] = parseForms(page.body, page.url);
    expect(form!.fields).toMatchObject({ client_id: 'hub', redirect_uri: APP_REDIRECT, state: 'st-42', code_challenge_method: 'S256', login_hint: '' });

    const url = new URL(form!.action);
    url.search = new URLSearchParams({ ...form!.fields, login_hint: 'alice@kentel.com' }).toString();
    const done = await browser.follow(url.href, { stopAt: APP_REDIRECT, username: 'alice@kentel.com', password: 'Al1ce' });
    expect(done.reached).toBe(true);
    expect(done.trail[1]!.url.startsWith(kentel.authServer.endpoints.authorization)).toBe(true);
    const back = new URL(done.url);
    expect(back.searchParams.get('code')).toBeTruthy();
    expect(back.searchParams.get('state')).toBe('st-42');
  });

  it.each([
    ['a verified domain, in any case', 'Alice@KENTEL.com'],
    ['a domain a rewrite rule maps from', 'john.smith@yvr.kentel.local'],
    ['a domain a wildcard rewrite rule maps from', 'pat@store12.stores.kentel.local'],
  ])('picks the tenant by %s', async (_what, hint) => {
    const r = await start({ login_hint: hint });
    expect(r.status).toBe(302);
    const okta = new URL(r.location!);
    expect(`${okta.origin}${okta.pathname}`).toBe(kentel.authServer.endpoints.authorization);
    expect(okta.searchParams.get('login_hint')).toBe(hint); // Okta gets the login as typed
  });

  it.each([
    ['an unknown domain', { login_hint: 'someone@nowhere.example' }, 'No organization is set up for sign-in with nowhere.example addresses. Check the address, or ask your administrator.'],
    ['a hint that is not an email', { login_hint: 'alice' }, 'Enter your work email address, like name@company.com.'],
    ['an unknown tenant', { tenant: 'nope' }, 'That organization is not set up for sign-in here. Enter your work email instead.'],
  ])('%s gets a clear page to try again, not an error', async (_what, params, message) => {
    const r = await start(params);
    expect(r.status).toBe(400);
    expect(r.headers.get('content-type')).toMatch(/^text\/html/);
    expect(r.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(r.body).toContain(`<p role="alert" id="problem"><strong>${message.replace(/'/g, '&#39;')}</strong></p>`);
    expect(r.body).not.toMatch(/at \w+ \(|Error:|stack/i);
    const [form] = parseForms(r.body, `${w.service.url}/oauth2/authorize`);
    expect(form!.fields.client_id).toBe('hub');
    expect(form!.fields.tenant).toBeUndefined(); // an unknown tenant is not sent again
  });

  describe('no tenant can claim addresses another tenant already claims', () => {
    const create = (slug: string, domains: string[], usernameRewrites: Array<{ from: string; to: string }>) => w.service.admin('POST', '/admin/tenants', {
      slug, name: slug, clientSecret: 'okta-secret-0123456789',
      config: { okta: { issuer: kentel.authServer.issuer, clientId: `0oa${slug}` }, domains, usernameRewrites },
    });
    it.each([
      ['the same rewrite source', ['rw2.com'], [{ from: 'yvr.kentel.local', to: 'rw2.com' }], 'config.usernameRewrites[0].from', 'yvr.kentel.local overlaps the username rewrite from yvr.kentel.local of another tenant'],
      ['a wildcard over its rewrite source', ['rw3.com'], [{ from: '*.kentel.local', to: 'rw3.com' }], 'config.usernameRewrites[0].from', '*.kentel.local overlaps the username rewrite from yvr.kentel.local of another tenant'],
      ['a wildcard over its wildcard', ['rw4.com'], [{ from: '*.mtl.stores.kentel.local', to: 'rw4.com' }], 'config.usernameRewrites[0].from', '*.mtl.stores.kentel.local overlaps the username rewrite from *.stores.kentel.local of another tenant'],
      ['a rewrite source under its verified domain', ['rw5.com'], [{ from: 'store.kentel.com', to: 'rw5.com' }], 'config.usernameRewrites[0].from', 'store.kentel.com overlaps the verified domain kentel.com of another tenant'],
      ['a wildcard over its verified domain', ['rw6.com'], [{ from: '*.kentel.com', to: 'rw6.com' }], 'config.usernameRewrites[0].from', '*.kentel.com overlaps the verified domain kentel.com of another tenant'],
      ['its rewrite source as a verified domain', ['yvr.kentel.local'], [], 'config.domains[0]', 'yvr.kentel.local overlaps the username rewrite from yvr.kentel.local of another tenant'],
    ])('refuses %s, with the field and the reason, and leaves the owner alone', async (_what, domains, rewrites, field, reason) => {
      const res = await create(`grab${Math.random().toString(36).slice(2, 8)}`, domains, rewrites);
      expect([409, 422]).toContain(res.status);
      const problems = (res.body as { errors?: Array<{ field: string; reason: string }> }).errors ?? [];
      expect(problems).toContainEqual({ field, reason: `${reason}; two tenants cannot claim the same addresses` });
      expect(JSON.stringify(res.body)).not.toContain('kentel Inc.'); // the other tenant is not named
      for (const hint of ['john.smith@yvr.kentel.local', 'pat@store12.stores.kentel.local', 'alice@kentel.com']) {
        const r = await start({ login_hint: hint });
        expect(new URL(r.location!).origin + new URL(r.location!).pathname).toBe(kentel.authServer.endpoints.authorization);
      }
    });

    it('refuses a public suffix or a public email provider as anyone\'s domain', async () => {
      const res = await create('squatter', ['gmail.com'], [{ from: '*.co.uk', to: 'gmail.com' }]);
      expect(res.status).toBe(422);
      expect((res.body as { errors: unknown[] }).errors).toEqual(expect.arrayContaining([
        { field: 'config.domains[0]', reason: "gmail.com belongs to a public email provider: its addresses are individuals', not one company's" },
        { field: 'config.usernameRewrites[0].from', reason: '*.co.uk is a wildcard over a public suffix (co.uk), shared by many unrelated owners; claim your own domain under it' },
      ]));
      expect((await start({ login_hint: 'bob@newcustomer.co.uk' })).status).toBe(400); // nobody's
    });

    it('two tenants saved at once with the same rewrite source: exactly one gets it', async () => {
      const results = await Promise.all(['race-a', 'race-b', 'race-c'].map((slug) => create(slug, [`${slug}.com`], [{ from: 'race.shared.local', to: `${slug}.com` }])));
      expect(results.filter((r) => r.status === 201)).toHaveLength(1);
      const winner = ['race-a', 'race-b', 'race-c'][results.findIndex((r) => r.status === 201)];
      for (const r of results.filter((x) => x.status !== 201)) expect([409, 422]).toContain(r.status);
      const r = await start({ login_hint: 'x@race.shared.local' });
      expect(r.status).toBe(302);
      expect(new URL(r.location!).pathname).toContain(`/oauth2/aus${kentel.slug}`); // the stand-in server they all use
      expect(winner).toBeDefined();
    });
  });

  it('escapes what was typed', async () => {
    const r = await start({ login_hint: '"><script>alert(1)</script>' });
    expect(r.status).toBe(400);
    expect(r.body).not.toContain('<script>');
    expect(r.body).toContain('value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"');
  });

  it('says so when the sign-in is for training, and keeps asking for training', async () => {
    const r = await start({ environment: 'training' });
    expect(r.status).toBe(200);
    expect(r.body).toContain('<title>Sign in to training</title>');
    const [form] = parseForms(r.body, `${w.service.url}/oauth2/authorize`);
    expect(form!.fields.environment).toBe('training');
  });
});

import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { BrowserContext, Page } from 'playwright-core';
import { chromiumForTests, recordCspViolations, screenshotDir } from '../support/chromium.js';
import { OKTA_CLIENT_SECRET, World } from '../support/world.js';

/**
 * The account-manager console in a real browser (Debian's Chromium through playwright-core) against the real
 * service, Postgres and the Okta stand-in: an account manager signs in with their API token, onboards a
 * tenant end to end, sees per-field reasons, loads a company tree, and reads the audit of a real sign-in.
 */
const { launch, describeInBrowser } = await chromiumForTests('the console browser tests');

describeInBrowser('the account-manager console, in Chromium', () => {
  let w: World;
  let context: BrowserContext;
  let page: Page;
  let token: string;
  let issuer: string;
  let oktaClientId: string;
  const shots = screenshotDir();
  const seen: string[] = [];
  const cspViolations: string[] = [];
  const alice = { login: 'alice@consoletest.com', password: 'Al1ce-pass' };

  const url = (path: string) => `${w.service.url}${path}`;
  const shot = async (name: string, width = 1280) => {
    await page.setViewportSize({ width, height: 900 });
    await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
  };
  /** Every form control on the page has an accessible name (a label or aria-label). */
  const unlabelled = () =>
    page.evaluate<string[]>(`[...document.querySelectorAll('input:not([type=hidden]),select,textarea')]
      .filter((e) => !e.labels?.length && !e.getAttribute('aria-label') && !e.getAttribute('aria-labelledby'))
      .map((e) => e.outerHTML)`);
  /** Runs an expression in the page (the test program has no DOM types of its own). */
  const inPage = <T>(expression: string) => page.evaluate<T>(expression);

  beforeAll(async () => {
    w = await World.start();
    const authServer = w.okta.addAuthServer('ausconsole');
    issuer = authServer.issuer;
    oktaClientId = '0oaconsole0001';
    await authServer.addClient({ client_id: oktaClientId, client_secret: OKTA_CLIENT_SECRET, redirect_uris: [`${w.service.url}/oauth2/callback`], grant_types: ['authorization_code', 'refresh_token', 'client_credentials'] });
    authServer.setUser(alice.login, {
      password: alice.password, sub: '00uCONSOLE01',
      claims: { userName: 'alice@consoletest.com', name: 'Alice', family_name: 'Archer', email: 'alice@consoletest.com', security_group_name: 'Store Manager', assigned_entity_client_entity_ids: ['LOC-1'] },
    });
    const p = await w.service.admin('POST', '/admin/principals', { name: 'Casey Manager', role: 'manager', tenants: [] });
    const c = await w.service.admin('POST', `/admin/principals/${p.body.id}/credentials`, { label: 'console test', expiresInDays: 7 });
    token = c.body.token;
    await w.addApp('hub');
    if (!launch.ok) return;
    context = await launch.browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.on('response', async (r) => {
      if (!r.url().startsWith(w.service.url)) return;
      seen.push(await r.text().catch(() => ''));
    });
    recordCspViolations(page, cspViolations);
  });
  afterAll(async () => {
    await context?.close();
    if (launch.ok) await launch.close();
    await w?.close();
  });

  it('serves the console with a strict Content-Security-Policy and signs a manager in with their API token', async () => {
    const res = await page.goto(url('/console'));
    const csp = res!.headers()['content-security-policy']!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
    await page.getByLabel('API token').waitFor();
    expect(await unlabelled()).toEqual([]);
    await shot('sign-in');

    // A wrong token: the reason next to the field.
    await page.getByLabel('API token').fill('iqsso_am_not-a-real-token-not-a-real-token-not-a-rea');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('.field[data-field="token"] .field-error').getByText('This is not a valid account-manager API token.').waitFor();

    await page.getByLabel('API token').fill(token);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Tenants', level: 1 }).waitFor();
    // In the header (the screen-reader announcement "Signed in as Casey Manager." may still hold the name too).
    await page.locator('header .who').getByText('Casey Manager (account manager)').waitFor();
    const cookie = (await context.cookies()).find((k) => k.name === 'iqsso_console')!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/' });
    expect(cookie.value).toMatch(/^iqsso_cs_/);
    expect(await inPage('document.cookie')).toBe('');
  });

  it('onboards a tenant step by step: discovery refuses a trailing slash with both values, then fills the endpoints in', async () => {
    await page.getByRole('link', { name: 'Onboard a tenant' }).click();
    await page.getByLabel('Okta issuer').fill(`${issuer}/`);
    await page.getByRole('button', { name: 'Fetch discovery' }).click();
    const issuerError = page.locator('.field[data-field="okta.issuer"] .field-error');
    await issuerError.getByText(`the configured issuer "${issuer}/" does not exactly match the issuer "${issuer}" in its discovery document: remove the trailing slash`).waitFor();
    expect(await page.getByLabel('Okta issuer').getAttribute('aria-invalid')).toBe('true');

    await page.getByLabel('Okta issuer').fill(issuer);
    await page.getByRole('button', { name: 'Fetch discovery' }).click();
    await page.locator('[data-endpoint="token"]').getByText(`${issuer}/v1/token`).waitFor();
    expect(await page.locator('[data-endpoint="jwks"]').textContent()).toBe(`${issuer}/v1/keys`);
    expect(await issuerError.isHidden()).toBe(true);
    await shot('onboarding-issuer');
    await page.getByRole('button', { name: 'Next' }).click();

    await page.getByLabel('Client ID').fill(oktaClientId);
    await page.getByLabel('Client secret').fill(OKTA_CLIENT_SECRET);
    expect(await page.getByLabel('Auto-provisioning').isChecked()).toBe(true);
    expect(await page.getByLabel('Password forwarding').isChecked()).toBe(false);
    expect(await unlabelled()).toEqual([]);
    await page.getByRole('button', { name: 'Next' }).click();

    await page.getByLabel('Verified domains').fill('consoletest.com');
    await page.getByRole('button', { name: 'Add a rewrite rule' }).click();
    await page.getByLabel('From domain, row 1').fill('yvr.consoletest.local');
    await page.getByLabel('To domain, row 1').fill('consoletest.com');
    await page.getByRole('button', { name: 'Next' }).click();

    await page.getByLabel('Customer name').fill('Console Test');
    expect(await page.getByLabel('Tenant ID (slug)').inputValue()).toBe('console-test');
    await page.getByText('entered (hidden)').waitFor();
    await page.getByRole('button', { name: 'Create tenant' }).click();
    await page.getByRole('heading', { name: 'Troubleshoot', level: 1 }).waitFor();

    const t = await w.service.admin('GET', '/admin/tenants/console-test');
    expect(t.status).toBe(200);
    expect(t.body.config).toMatchObject({ okta: { issuer, clientId: oktaClientId, autoProvisioning: true, passwordGrant: false }, domains: ['consoletest.com'], usernameRewrites: [{ from: 'yvr.consoletest.local', to: 'consoletest.com' }] });
    const actions = await w.db.query<{ actor_name: string }>(`SELECT actor_name FROM admin_actions WHERE route = '/admin/tenants' AND method = 'POST' AND outcome = 'ok'`);
    expect(actions.map((a) => a.actor_name)).toEqual(['Casey Manager']);
  });

  it('runs the troubleshooting checks with a visible state per check: all pass against the stand-in', async () => {
    // Straight after onboarding the console is on the tenant's troubleshooting page.
    const states = () => page.locator('#checks [data-check]').evaluateAll((els) => els.map((e) => `${e.getAttribute('data-check')}:${e.getAttribute('data-state')}`));
    expect(await states()).toEqual(['discovery:pending', 'tls:pending', 'jwks:pending', 'scopes:pending', 'client-authentication:pending', 'endpoints:pending']);
    await page.getByRole('button', { name: 'Run all checks' }).click();
    await page.locator('#checks-summary').getByText(/^Version 1: 6 checks/).waitFor();
    expect(await states()).toEqual(['discovery:pass', 'tls:pass', 'jwks:pass', 'scopes:pass', 'client-authentication:pass', 'endpoints:pass']);
    expect(await page.locator('#checks-summary').textContent()).toBe('Version 1: 6 checks, 6 passed, 0 with warnings, 0 failed.');
    await page.locator('[data-check="jwks"] .sentence').getByText(/signing key/).waitFor();
    await shot('troubleshoot');
    await page.getByRole('link', { name: 'Tenants', exact: true }).click();
    await page.locator('tr[data-tenant="console-test"]').getByText('Pass').waitFor();
  });

  it('a broken issuer is refused at save with its reason next to the field; the secret field never shows a stored value', async () => {
    await page.goto(url('/console/t/console-test/okta'));
    const secret = page.getByLabel('New client secret (optional)');
    await secret.waitFor();
    expect(await secret.inputValue()).toBe('');
    expect(await page.content()).not.toContain(OKTA_CLIENT_SECRET);
    await page.getByLabel('Okta issuer').fill(`${issuer}-nope`);
    await page.getByRole('button', { name: 'Save and activate' }).click();
    const error = page.locator('.field[data-field="okta.issuer"] .field-error');
    await error.getByText(/answered HTTP 404; check the issuer is an Okta authorization server/).waitFor();
    await page.locator('.error-summary').getByRole('link').first().waitFor();
    expect(await inPage("document.activeElement?.classList.contains('error-summary')")).toBe(true);
    await shot('okta-issuer-refused');
    const t = await w.service.admin('GET', '/admin/tenants/console-test');
    expect(t.body.config.okta.issuer).toBe(issuer);
  });

  it('loads a company tree: a file with one bad row is rejected with its row and reason, a good one is reported', async () => {
    await page.goto(url('/console/t/console-test/locations'));
    await page.getByRole('heading', { name: 'Bulk load' }).waitFor();
    // A CSV from a spreadsheet, with one bad row (its parent does not exist): that row is rejected, the rest loaded.
    const csv = 'externalId,name,parentExternalId\nREG-W,West,\nLOC-1,Downtown,REG-W\nLOC-9,Nowhere,REGION-X\n';
    await page.locator('#loc-file').setInputFiles({ name: 'tree.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await page.getByRole('button', { name: 'Load locations' }).click();
    const report = page.locator('#loc-report');
    await report.getByRole('heading', { name: 'Rejected (1)' }).waitFor();
    expect(await report.locator('.report-fail li').allTextContents()).toEqual(['Row 4 LOC-9: its parent REGION-X is neither in the company tree nor accepted in this load']);
    expect(await report.locator('.report-ok li').allTextContents()).toEqual(['LOC-1', 'REG-W']);
    expect((await w.service.admin('GET', '/admin/tenants/console-test/locations')).body.map((l: { externalId: string }) => l.externalId)).toEqual(['LOC-1', 'REG-W']);
    await shot('company-tree-rejected');

    // JSON works the same way; pasted rows too.
    await page.locator('#loc-file').setInputFiles([]);
    await page.getByLabel('Or paste the rows').fill(JSON.stringify([{ externalId: 'LOC-2', name: 'Harbour', parentExternalId: 'REG-W' }]));
    await page.getByRole('button', { name: 'Load locations' }).click();
    await report.getByRole('heading', { name: 'Added (1)' }).waitFor();
    await page.locator('#tree').getByText('Harbour').waitFor();
    await page.getByLabel('Search by identifier or name').fill('harb');
    await page.locator('#loc-results').getByText('LOC-2').waitFor();
    await page.getByLabel('Search by identifier or name').fill('');
    await shot('company-tree');
  });

  it('maps security roles through the tenant API and opens the audit of a real sign-in: field diff, sources, version', async () => {
    await page.goto(url('/console/t/console-test/mappings'));
    await page.getByRole('button', { name: 'Add a role mapping' }).click();
    await page.getByLabel('Claim value, row 1').fill('Store Manager');
    await page.getByLabel('RQ role, row 1').fill('RQ-StoreManager');
    expect(await unlabelled()).toEqual([]);
    await shot('mappings');
    await page.getByRole('button', { name: 'Save and activate' }).click();
    await page.getByRole('heading', { name: /history/i, level: 1 }).waitFor();
    const t = await w.service.admin('GET', '/admin/tenants/console-test');
    expect(t.body.config.roles.map).toEqual({ 'Store Manager': 'RQ-StoreManager' });
    const version = t.body.activeVersion as number;

    const app = await w.app('hub');
    const r = await w.signIn(app, alice);
    expect(r.error).toBeUndefined();

    await page.goto(url('/console'));
    const row = page.locator('tr[data-tenant="console-test"]');
    await row.getByText('alice@consoletest.com').waitFor();
    await shot('tenants');
    // Filters: by outcome, by user, by time (the audit API's own filters).
    await page.goto(url('/console/t/console-test/audits'));
    await page.getByLabel('Outcome').selectOption('refused');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.getByText('0 attempts shown.').waitFor();
    await page.getByLabel('Outcome').selectOption('created');
    await page.getByLabel('User').fill('ALICE@consoletest.com');
    await page.getByLabel('From').fill('2000-01-01T00:00');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.getByText('1 attempt shown.').waitFor();
    expect(new URL(page.url()).search).toBe('?user=ALICE%40consoletest.com&outcome=created&from=2000-01-01T00%3A00');
    await page.getByLabel('From').fill('2999-01-01T00:00');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.getByText('0 attempts shown.').waitFor();
    await page.goto(url('/console/t/console-test/audits?outcome=created'));
    await page.locator('#audits tbody tr').first().waitFor();
    await shot('audits');
    await page.locator('#audits tbody tr').first().getByRole('link').click();
    await page.getByRole('heading', { name: 'Sign-in audit', level: 1 }).waitFor();
    const diff = page.locator('#audit-diff');
    await diff.locator('tr[data-field="securityRole"]').getByText('"RQ-StoreManager"').or(diff.locator('tr[data-field="securityRole"]').getByText('RQ-StoreManager')).first().waitFor();
    expect(await diff.locator('tr[data-field="firstName"] td').last().textContent()).toBe('UserInfo');
    expect(await page.locator('[data-config-version]').getAttribute('data-config-version')).toBe(String(version));
    await shot('audit');
  });

  it('the tenant list\'s last sign-in and last failure count sign-ins only, not SCIM pushes or hand edits', async () => {
    const signIn = (await w.db.query<{ id: string }>(`SELECT id FROM provisioning_audit WHERE source = 'sign-in' AND username = 'alice@consoletest.com' ORDER BY created_at DESC LIMIT 1`))[0]!;
    // After alice's sign-in: a SCIM push that provisions bob, one that is refused, and a hand edit of bob.
    const scimToken = (await w.service.admin('POST', '/admin/tenants/console-test/scim-tokens', { label: 'console test' })).body.token as string;
    const scim = (body: unknown) => fetch(url('/scim/v2/console-test/Users'), {
      method: 'POST', headers: { authorization: `Bearer ${scimToken}`, 'content-type': 'application/scim+json' }, body: JSON.stringify(body),
    });
    const user = (login: string, sub: string, group: string) => ({
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', 'urn:iqmetrix:params:scim:schemas:extension:rq:2.0:User'],
      userName: login, name: { givenName: 'Bob', familyName: 'Baker' }, emails: [{ primary: true, value: login, type: 'work' }], externalId: sub, active: true,
      'urn:iqmetrix:params:scim:schemas:extension:rq:2.0:User': { security_group_name: [group], assigned_entity_client_entity_ids: ['LOC-1'] },
    });
    expect((await scim(user('bob@consoletest.com', '00uCONSOLEBOB', 'Store Manager'))).status).toBe(201);
    expect((await scim(user('carl@consoletest.com', '00uCONSOLECARL', 'Janitor'))).status).toBe(400);
    const bob = (await w.service.admin('GET', '/admin/tenants/console-test/users?username=bob%40')).body.items[0];
    expect((await w.service.admin('PATCH', `/admin/tenants/console-test/users/${bob.id}`, { set: { homePhone: '+1 604 555 0199' } })).status).toBe(200);
    expect((await w.db.query<{ source: string; outcome: string }>(`SELECT source, outcome FROM provisioning_audit WHERE created_at > (SELECT created_at FROM provisioning_audit WHERE id = $1) ORDER BY created_at`, [signIn.id]))
      .map((a) => `${a.source}:${a.outcome}`)).toEqual(['scim:created', 'scim:refused', 'admin:updated']);

    const status = (await w.service.admin('GET', '/admin/console/status')).body.find((s: { slug: string }) => s.slug === 'console-test');
    expect(status.lastSuccess).toMatchObject({ username: 'alice@consoletest.com', auditId: signIn.id });
    expect(status.lastFailure).toBeNull();
    await page.goto(url('/console'));
    const row = page.locator('tr[data-tenant="console-test"]');
    await row.getByText('alice@consoletest.com').waitFor();
    expect(await row.locator('td[data-label="Last failure"]').textContent()).toBe('None');
  });

  it('stages a draft, activates it, and rolls back: the history shows each version with author, time and diff', async () => {
    await page.goto(url('/console/t/console-test/okta'));
    await page.getByLabel('Password forwarding').check();
    await page.getByLabel('Note for the history (optional)').fill('Customer wants POS sign-in');
    await page.getByRole('button', { name: 'Save as draft' }).click();
    const draft = page.locator('article.version[data-status="draft"]');
    await draft.getByText('okta.passwordGrant: changed from false to true').waitFor();
    await draft.getByText('Casey Manager').waitFor();
    await draft.getByText('“Customer wants POS sign-in”').waitFor();
    const draftVersion = Number(await draft.getAttribute('data-version'));
    expect((await w.service.admin('GET', '/admin/tenants/console-test')).body).toMatchObject({ activeVersion: draftVersion - 1, drafts: [draftVersion] });
    await shot('history');

    await page.getByRole('button', { name: `Activate v${draftVersion}` }).click();
    await page.locator(`article.version[data-version="${draftVersion}"][data-status="active"]`).waitFor();
    await page.locator('#history-message').getByText(`Version ${draftVersion} is now in force.`).waitFor();
    expect((await w.service.admin('GET', '/admin/tenants/console-test')).body.config.okta.passwordGrant).toBe(true);

    await page.getByRole('button', { name: `Roll back to v${draftVersion - 1}` }).click();
    await page.locator(`article.version[data-version="${draftVersion - 1}"][data-status="active"]`).waitFor();
    await page.locator('#history-message').getByText(`Rolled back: version ${draftVersion - 1} is in force again.`).waitFor();
    const t = (await w.service.admin('GET', '/admin/tenants/console-test')).body;
    expect(t.activeVersion).toBe(draftVersion - 1);
    expect(t.config.okta.passwordGrant).toBe(false);
  });

  it('runs a dry run: pasted claims give the resulting user, the diff against the stored one and every problem', async () => {
    await page.goto(url('/console/t/console-test/troubleshoot'));
    await page.getByLabel('Claims (JSON)').fill(JSON.stringify({
      sub: '00uCONSOLE01', userName: 'alice@yvr.consoletest.local', name: 'Alicia', family_name: 'Archer', email: 'alice@consoletest.com',
      security_group_name: 'Key Holder', assigned_entity_client_entity_ids: 'LOC-1;LOC-2',
    }));
    await page.getByRole('button', { name: 'Dry run' }).click();
    const result = page.locator('#dry-result');
    await result.getByRole('heading', { name: /Problems/ }).waitFor();
    await result.locator('.problems li').getByText(': claim security_group_name "Key Holder" is not mapped to a security role for this tenant, and it has no default role').waitFor();
    await shot('dry-run');

    await page.getByLabel('Claims (JSON)').fill(JSON.stringify({
      sub: '00uCONSOLE01', userName: 'alice@yvr.consoletest.local', name: 'Alicia', family_name: 'Archer', email: 'alice@consoletest.com',
      security_group_name: 'Store Manager', assigned_entity_client_entity_ids: 'LOC-1;LOC-2',
    }));
    await page.getByRole('button', { name: 'Dry run' }).click();
    await result.getByText('No problem').waitFor();
    const diff = result.locator('table.diff-table');
    await diff.locator('tr', { hasText: 'firstName' }).getByText('Alicia').waitFor();
    expect(await diff.locator('tr', { hasText: 'firstName' }).locator('td').first().textContent()).toBe('Alice');
    await result.getByText('Nothing was written.', { exact: false }).waitFor();
    expect(await w.db.query(`SELECT first_name FROM users WHERE username = 'alice@consoletest.com'`)).toEqual([{ first_name: 'Alice' }]);

    await page.getByLabel('Claims (JSON)').fill('{not json');
    await page.getByRole('button', { name: 'Dry run' }).click();
    await page.locator('.field[data-field="claims"] .field-error').getByText(/must be a JSON object of claims/).waitFor();
  });

  /** The tenant's configuration in force as GET shows it, without the secret's timestamp (a view detail). */
  const configInForce = async () => {
    const t = (await w.service.admin('GET', '/admin/tenants/console-test')).body;
    const { clientSecret: _s, ...okta } = t.config.okta;
    return { version: t.activeVersion as number, config: { ...t.config, okta } as Record<string, any> };
  };
  /** The configuration in force as an input document (what the API takes), with a change applied. */
  const putConfig = async (change: (config: Record<string, any>) => void) => {
    const { config } = await configInForce();
    const { endpoints: _e, ...okta } = config.okta;
    const input = structuredClone({ ...config, okta });
    change(input);
    const r = await w.service.admin('PUT', '/admin/tenants/console-test/config', { config: input, note: 'set through the API' });
    expect({ status: r.status, body: r.status === 200 ? null : r.body }).toEqual({ status: 200, body: null });
  };

  it('saving a configuration screen keeps every property it does not edit (custom field value maps, claim lists, lifecycle, training)', async () => {
    await putConfig((c) => {
      c.rqIds = { ...c.rqIds, securityRoles: ['RQ-StoreManager', 'RQ-Associate'], commissionTypes: ['FT', 'PT'] };
      c.roles = { map: { 'Store Manager': 'RQ-StoreManager' }, defaultRole: 'RQ-Associate' };
      c.commissionTypes = { 'Full time': 'FT' };
      c.customFields = [{ name: 'BadgeNumber', maxLength: 20, values: { A: 'Alpha', B: 'Bravo' } }, { name: 'Region', maxLength: 40 }];
      c.claims = { lastName: ['family_name'] };
      c.lifecycle = { deactivatedLocations: 'keep', flagUnseenAfterDays: 90 };
      c.training = { enabled: false, database: 'managed', roles: { map: { 'Store Manager': 'RQ-Associate' }, defaultRole: 'RQ-Associate' }, locations: { map: { 'LOC-1': 'TR-1' } } };
    });
    const loaded = await configInForce();

    // Mappings: change the unknown-location policy and the longest value of the custom field that has a value map.
    await page.goto(url('/console/t/console-test/mappings'));
    await page.getByLabel('Longest value, row 1').waitFor();
    await page.getByLabel('Longest value, row 1').fill('30');
    await page.getByLabel('Unknown location identifiers').selectOption('assign-known');
    expect(await unlabelled()).toEqual([]);
    await page.getByRole('button', { name: 'Save and activate' }).click();
    await page.getByRole('heading', { name: /history/i, level: 1 }).waitFor();
    const mapped = await configInForce();
    expect(mapped.version).toBe(loaded.version + 1);
    const expected = structuredClone(loaded.config);
    expected.unknownLocations = 'assign-known';
    expected.customFields[0].maxLength = 30;
    expect(mapped.config).toEqual(expected);

    // Okta and domains: one switch changed, nothing else.
    await page.goto(url('/console/t/console-test/okta'));
    await page.getByLabel('Password forwarding').check();
    await page.getByRole('button', { name: 'Save and activate' }).click();
    await page.getByRole('heading', { name: /history/i, level: 1 }).waitFor();
    expected.okta.passwordGrant = true;
    expect((await configInForce()).config).toEqual(expected);

    // Training: its unknown-location policy changed; its role mapping, default role and translations kept.
    await page.goto(url('/console/t/console-test/training'));
    await page.getByLabel('Unknown location identifiers in training').selectOption('refuse');
    const before = (await configInForce()).version;
    await page.getByRole('button', { name: 'Save and activate' }).click();
    // (the training screen stays where it is after a save: wait for the new version in force)
    let trained = await configInForce();
    for (let i = 0; i < 100 && trained.version === before; i++) trained = await new Promise((r) => setTimeout(r, 100)).then(configInForce);
    expected.training.locations.unknownLocations = 'refuse';
    expect(trained.config).toEqual(expected);

    // What the screen does not edit, it says it keeps.
    await page.goto(url('/console/t/console-test/mappings'));
    await page.getByLabel('Longest value, row 1').waitFor();
    expect(await page.locator('.field[data-field="customFields"] tbody tr').first().textContent()).toContain('2 mapped values (kept)');
  });

  it('a save over a version someone else put in force meanwhile is refused, and says so', async () => {
    await page.goto(url('/console/t/console-test/mappings'));
    await page.getByLabel('Unknown location identifiers').waitFor();
    // Meanwhile, a colleague changes the configuration through the API.
    await putConfig((c) => void (c.unknownLocations = 'refuse'));
    const theirs = await configInForce();
    await page.getByLabel('Unknown location identifiers').selectOption('assign-known');
    await page.getByRole('button', { name: 'Save and activate' }).click();
    await page.getByText(`Version ${theirs.version} was put in force after version ${theirs.version - 1}, which this change was made from; reload and make the change again.`).waitFor();
    expect(await configInForce()).toEqual(theirs); // nothing of ours was written over theirs
  });

  it('shows a claim override with fallback claims as a list, and saves an edited one as a list the API takes', async () => {
    await putConfig((c) => void (c.claims = { firstName: ['given_name', 'name'] }));
    await page.goto(url('/console/t/console-test/mappings'));
    const claim = page.getByLabel('Claim, row 1');
    await claim.waitFor();
    expect(await page.getByLabel('Field, row 1').inputValue()).toBe('firstName');
    expect(await claim.inputValue()).toBe('given_name, name');
    await claim.fill('given_name, nickname ,name');
    await page.getByRole('button', { name: 'Add a claim override' }).click();
    await page.getByLabel('Field, row 2').selectOption('lastName');
    await page.getByLabel('Claim, row 2').fill('sn');
    await page.getByRole('button', { name: 'Save and activate' }).click();
    await page.getByRole('heading', { name: /history/i, level: 1 }).waitFor();
    expect((await configInForce()).config.claims).toEqual({ firstName: ['given_name', 'nickname', 'name'], lastName: 'sn' });

    // A bad name in the list comes back next to the field, naming the entry.
    await page.goto(url('/console/t/console-test/mappings'));
    await page.getByLabel('Claim, row 1').waitFor();
    const row = (await page.getByLabel('Field, row 1').inputValue()) === 'firstName' ? 1 : 2;
    await page.getByLabel(`Claim, row ${row}`).fill('given_name, not a claim');
    await page.getByRole('button', { name: 'Save and activate' }).click();
    await page.locator('.field[data-field="claims"] .field-error').getByText(/firstName/).waitFor();
    expect((await configInForce()).config.claims).toEqual({ firstName: ['given_name', 'nickname', 'name'], lastName: 'sn' });
    await putConfig((c) => void (c.claims = {}));
  });

  it('shows all four RQ ID lists and loads them by CSV or JSON through the RQ IDs API, with its report', async () => {
    await page.goto(url('/console/t/console-test/mappings'));
    await page.getByLabel('RQ security roles').waitFor();
    expect(await page.getByLabel('RQ security roles').inputValue()).toBe('RQ-StoreManager\nRQ-Associate');
    expect(await page.getByLabel('RQ commission types').inputValue()).toBe('FT\nPT');
    expect(await unlabelled()).toEqual([]);

    // A CSV with one bad row: that row is rejected with its reason, the others are loaded as a new version.
    const csv = 'kind,id\nsecurityRole,RQ-KeyHolder\ncommissionType,Commission Only\ncommissionGroup,CG 1\norganizationalRole,OR-7\n';
    await page.locator('#rq-file').setInputFiles({ name: 'rq-ids.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await page.getByRole('button', { name: 'Load RQ IDs' }).click();
    const report = page.locator('#rq-report');
    await report.getByRole('heading', { name: 'Rejected (1)' }).waitFor();
    expect(await report.locator('.report-fail li').allTextContents()).toEqual(['Row 4 CG 1: id must be an RQ ID (letters, digits, - or _; at most 50)']);
    const kind = (k: string) => report.locator(`tr[data-kind="${k}"] td`).allTextContents();
    expect(await kind('securityRoles')).toEqual(['RQ-KeyHolder', 'none', '2']);
    expect(await kind('commissionTypes')).toEqual(['Commission Only', 'none', '2']);
    expect(await kind('organizationalRoles')).toEqual(['OR-7', 'none', '0']);
    expect(await page.getByLabel('RQ security roles').inputValue()).toBe('RQ-StoreManager\nRQ-Associate\nRQ-KeyHolder');
    expect((await configInForce()).config.rqIds).toEqual({ organizationalRoles: ['OR-7'], commissionGroups: [], securityRoles: ['RQ-StoreManager', 'RQ-Associate', 'RQ-KeyHolder'], commissionTypes: ['FT', 'PT', 'Commission Only'] });
    await shot('rq-ids-load');

    // JSON, replacing the list it names: what went is reported as removed.
    await page.locator('#rq-file').setInputFiles([]);
    await page.getByLabel('Or paste the RQ IDs').fill(JSON.stringify({ commissionTypes: ['FT', 'Salary'] }));
    await page.getByLabel('Load as').selectOption('replace');
    await page.getByRole('button', { name: 'Load RQ IDs' }).click();
    await report.locator('tr[data-kind="commissionTypes"]').getByText('Salary').waitFor();
    expect(await kind('commissionTypes')).toEqual(['Salary', 'PT, Commission Only', '1']);
    expect(await page.getByLabel('RQ commission types').inputValue()).toBe('FT\nSalary');

    // A load that would leave the role mapping pointing at a role RQ no longer lists is refused, next to the mapping.
    await page.getByLabel('Or paste the RQ IDs').fill(JSON.stringify({ securityRoles: ['RQ-Associate'] }));
    await page.getByRole('button', { name: 'Load RQ IDs' }).click();
    await page.locator('.field[data-field="roles.map"] .field-error').getByText(/RQ-StoreManager is not one of this tenant's RQ security roles/).waitFor();
    const loaded = (await configInForce()).config;
    expect(loaded.rqIds.securityRoles).toEqual(['RQ-StoreManager', 'RQ-Associate', 'RQ-KeyHolder']);

    // Saving the screen afterwards starts from the version the load made: the loaded IDs stay.
    await page.getByLabel('Unknown location identifiers').selectOption('refuse');
    await page.getByRole('button', { name: 'Save and activate' }).click();
    await page.getByRole('heading', { name: /history/i, level: 1 }).waitFor();
    expect((await configInForce()).config).toEqual({ ...loaded, unknownLocations: 'refuse' });
  });

  it('reads well at 390 px: no sideways scrolling on the main screens', async () => {
    for (const path of ['/console', '/console/t/console-test/audits', '/console/t/console-test/okta', '/console/t/console-test/locations', '/console/t/console-test/mappings']) {
      await page.setViewportSize({ width: 390, height: 844 });
      await page.goto(url(path));
      await page.locator('h1').first().waitFor();
      await page.waitForLoadState('networkidle');
      const overflow = await inPage<number>('document.documentElement.scrollWidth - window.innerWidth');
      expect({ path, overflow }).toEqual({ path, overflow: 0 });
    }
    await page.goto(url('/console'));
    await page.locator('#tenants').waitFor();
    await shot('tenants-390', 390);
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it('is usable by keyboard: focus starts on the page heading and Tab walks the tabs to the first field, always visibly', async () => {
    await page.goto(url('/console/t/console-test/okta'));
    await page.getByRole('textbox', { name: 'Okta issuer' }).waitFor();
    expect(await inPage('document.activeElement.tagName + " " + document.activeElement.textContent')).toBe('H1 Okta and domains — Console Test');
    const path: string[] = [];
    for (let i = 0; i < 15; i++) {
      await page.keyboard.press('Tab');
      const [name, outline] = await inPage<[string, string]>('[document.activeElement.getAttribute("name") ?? document.activeElement.textContent, getComputedStyle(document.activeElement).outlineStyle]');
      path.push(name);
      expect({ name, outline }).toEqual({ name, outline: 'solid' });
      if (name === 'okta.issuer') break;
    }
    expect(path).toEqual(['Overview', 'Okta and domains', 'Mappings', 'Company tree', 'Training', 'History', 'Troubleshoot', 'Audits', 'okta.issuer']);
    await page.keyboard.press('Shift+Tab');
    expect(await inPage('document.activeElement.textContent')).toBe('Audits');
  });

  it('protects every change against cross-site forgery: without the anti-forgery token or from another origin, 403', async () => {
    const cookie = (await context.cookies()).find((k) => k.name === 'iqsso_console')!;
    const headers = { cookie: `iqsso_console=${cookie.value}`, 'content-type': 'application/json' };
    const read = await fetch(url('/admin/me'), { headers });
    expect(read.status).toBe(200);
    expect(await read.json()).toMatchObject({ name: 'Casey Manager', via: 'session' });
    const noToken = await fetch(url('/admin/tenants/console-test/locations'), { method: 'PUT', headers: { ...headers, origin: w.service.url }, body: JSON.stringify({ locations: [{ externalId: 'X-1', name: 'Forged' }] }) });
    expect(noToken.status).toBe(403);
    expect(await noToken.json()).toMatchObject({ type: '/problems/csrf', detail: 'The console request is missing its anti-forgery token; reload the console and try again.' });
    const session = (await (await fetch(url('/console/api/session'), { headers })).json()) as { csrfToken: string };
    const otherSite = await fetch(url('/admin/tenants/console-test/locations'), { method: 'PUT', headers: { ...headers, origin: 'https://evil.example', 'x-csrf-token': session.csrfToken }, body: JSON.stringify({ locations: [{ externalId: 'X-1', name: 'Forged' }] }) });
    expect(otherSite.status).toBe(403);
    const signIn = await fetch(url('/console/api/session'), { method: 'POST', headers: { 'content-type': 'application/json', origin: 'https://evil.example' }, body: JSON.stringify({ token }) });
    expect(signIn.status).toBe(403);
    const asBearer = await fetch(url('/admin/me'), { headers: { authorization: `Bearer ${cookie.value}` } });
    expect(asBearer.status).toBe(401);
    expect((await w.service.admin('GET', '/admin/tenants/console-test/locations')).body.map((l: { externalId: string }) => l.externalId)).not.toContain('X-1');
  });

  it('never lets a secret reach the page, and raised no Content-Security-Policy violation', () => {
    const all = seen.join('\n');
    expect(all).not.toContain(OKTA_CLIENT_SECRET);
    expect(all).not.toContain(token);
    expect(all).not.toMatch(/iqsso_cs_[A-Za-z0-9_-]{43}/);
    expect(cspViolations).toEqual([]);
  });

  it('signs out: the session ends on the server at once', async () => {
    const cookie = (await context.cookies()).find((k) => k.name === 'iqsso_console')!;
    await page.goto(url('/console'));
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API token').waitFor();
    const after = await fetch(url('/admin/me'), { headers: { cookie: `iqsso_console=${cookie.value}` } });
    expect(after.status).toBe(401);
  });
});

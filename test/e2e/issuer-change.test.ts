import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { decodeJwt } from 'jose';
import * as oidc from 'openid-client';
import { Browser } from '../../tools/browser.js';
import { type OktaStandIn, startOktaStandIn } from '../../tools/okta-stand-in/index.js';
import { authorizeUrl } from '../support/steps.js';
import { statementKinds, statementsDuring } from '../support/statements.js';
import { APP_REDIRECT, OKTA_CLIENT_SECRET, type TenantSetup, World } from '../support/world.js';

/**
 * Changing a tenant's Okta issuer. Users are keyed by (tenant, issuer, sub); Okta user ids are the same across
 * the authorization servers of one Okta org (one origin) and differ between orgs. A save or check says, per
 * field, how many users the change affects and what will happen to them; within the same org a returning user
 * is matched by sub and moved to the new issuer, inside the provisioning statement (still two round trips).
 */
describe('changing a tenant\'s Okta issuer', () => {
  let w: World;
  let kentel: TenantSetup;
  let otherOrg: OktaStandIn;
  let app: oidc.Configuration;
  let bobId: string;
  const bob = { login: 'bob@kentel.com', password: 'B0b-pass' };
  const bobUser = { password: bob.password, sub: '00uBOB000001', claims: { userName: bob.login, name: 'Bob', family_name: 'Baker', email: bob.login, security_group_name: 'Associate' } };

  beforeAll(async () => {
    w = await World.start();
    otherOrg = await startOktaStandIn({ pkiDir: process.env.TEST_PKI_DIR ?? '.test-tmp/pki' });
    kentel = await w.addTenant('kentel', ['kentel.com']);
    await w.addApp('hub');
    app = await w.app('hub');
    kentel.authServer.setUser(bob.login, bobUser);
  });
  afterAll(async () => {
    await w?.close();
    await otherOrg?.close();
  });

  /** Another authorization server with the tenant's Okta client registered, and the same person (same Okta user id) on it. */
  async function authServerIn(standIn: OktaStandIn, id: string) {
    const server = standIn.addAuthServer(id);
    await server.addClient({ client_id: kentel.oktaClientId, client_secret: OKTA_CLIENT_SECRET, redirect_uris: [`${w.service.url}/oauth2/callback`], grant_types: ['authorization_code', 'refresh_token', 'client_credentials'] });
    server.setUser(bob.login, bobUser);
    return server;
  }
  async function draftWithIssuer(issuer: string) {
    const config = await w.configOf('kentel');
    const res = await w.service.admin('POST', '/admin/tenants/kentel/versions', { config: { ...config, okta: { ...config.okta, issuer } } });
    expect(res.status).toBe(201);
    return res.body as { version: number; check: { ok: boolean; warnings: Array<{ field: string; reason: string }> } };
  }
  const bobRows = () => w.db.query<{ id: string; issuer: string }>(`SELECT id, issuer FROM users WHERE subject = '00uBOB000001'`);

  it('a first sign-in through the original issuer', async () => {
    const r = await w.signIn(app, bob);
    bobId = decodeJwt((r as { tokens: { access_token: string } }).tokens.access_token).sub!;
    expect(await bobRows()).toEqual([{ id: bobId, issuer: kentel.authServer.issuer }]);
  });

  it('the same Okta org: the save and the check warn how many users and say they will be matched', async () => {
    const sameOrg = await authServerIn(w.okta, 'ausnewserver');
    expect(new URL(sameOrg.issuer).origin).toBe(new URL(kentel.authServer.issuer).origin);
    const draft = await draftWithIssuer(sameOrg.issuer);
    const reason = `the issuer changes from ${kentel.authServer.issuer}: 1 user of this tenant was provisioned through ${kentel.authServer.issuer}. It is the same Okta org (${new URL(sameOrg.issuer).origin}), where Okta user ids stay the same, so each of them is matched by their Okta user id at their next sign-in and moved to the new issuer; nobody is locked out`;
    expect(draft.check).toMatchObject({ ok: true });
    expect(draft.check.warnings).toContainEqual({ field: 'config.okta.issuer', reason });
    const checked = await w.service.admin('POST', `/admin/tenants/kentel/versions/${draft.version}/check`);
    expect(checked.body.check?.warnings ?? checked.body.warnings).toContainEqual({ field: 'config.okta.issuer', reason });
    const activated = await w.service.admin('POST', `/admin/tenants/kentel/versions/${draft.version}/activate`);
    expect(activated.status).toBe(200);
  });

  it('the returning user is matched by sub and moved to the new issuer, in the same two round trips', async () => {
    const [, newIssuer] = [kentel.authServer.issuer, (await w.configOf('kentel')).okta.issuer as string];
    // Up to our callback, then the callback alone is counted.
    const browser = new Browser();
    const a = await authorizeUrl(app, bob.login);
    const r = await browser.follow(a.url.href, { stopAt: `${w.service.url}/oauth2/callback`, username: bob.login, password: bob.password });
    expect(r.reached).toBe(true);
    let redirect!: URL;
    const statements = await statementsDuring(w.service.app, async () => {
      redirect = new URL((await browser.follow(r.url, { stopAt: APP_REDIRECT })).url);
    });
    expect(redirect.searchParams.get('error')).toBeNull();
    expect(statementKinds(statements)).toEqual(['login state', 'provisioning']);
    const tokens = await oidc.authorizationCodeGrant(app, redirect, { pkceCodeVerifier: a.verifier, expectedState: a.state, expectedNonce: a.nonce });
    expect(decodeJwt(tokens.access_token).sub).toBe(bobId);

    expect(await bobRows()).toEqual([{ id: bobId, issuer: newIssuer }]);
    const [audit] = (await w.audits('kentel')).slice(-1);
    expect(audit).toMatchObject({ outcome: 'updated', issuer: newIssuer, user_id: bobId, changes: { issuer: { from: kentel.authServer.issuer, to: newIssuer } } });
    expect(audit!.warnings).toContainEqual({ field: 'issuer', reason: `signed in before through ${kentel.authServer.issuer}, an earlier issuer of this tenant in the same Okta org; matched by the Okta user id and moved to ${newIssuer}` });

    // The next sign-in is an ordinary one.
    await w.signIn(app, bob);
    expect((await w.audits('kentel')).slice(-1)[0]).toMatchObject({ outcome: 'unchanged', user_id: bobId });
  });

  it('another Okta org: the warning says the users will be refused, and they are', async () => {
    const foreign = await authServerIn(otherOrg, 'ausdefault');
    const current = (await w.configOf('kentel')).okta.issuer as string;
    const draft = await draftWithIssuer(foreign.issuer);
    expect(draft.check.warnings).toContainEqual({
      field: 'config.okta.issuer',
      reason: `the issuer changes from ${current}, another Okta org: 1 user of this tenant was provisioned through ${current}. Okta user ids differ between orgs, so at their next sign-in each of them looks like a new person and is refused, because their username still belongs to their existing account. Keep the old issuer unless these users are meant to be replaced`,
    });
    expect((await w.service.admin('POST', `/admin/tenants/kentel/versions/${draft.version}/activate`)).status).toBe(200);
    const r = await w.signIn(app, bob);
    expect(r).toHaveProperty('error');
    expect((await w.audits('kentel')).slice(-1)[0]).toMatchObject({ outcome: 'refused', issuer: foreign.issuer });
    expect(await bobRows()).toEqual([{ id: bobId, issuer: current }]);
  });
});

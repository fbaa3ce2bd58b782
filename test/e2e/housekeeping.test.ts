import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as oidc from 'openid-client';
import { Housekeeping } from '../../src/lifecycle/housekeeping.service.js';
import { type TenantSetup, World } from '../support/world.js';

/**
 * Housekeeping deletes what is dead (abandoned sign-in states, spent code markers, expired refresh tokens,
 * grants and sessions), and nothing that is still alive: a live refresh token still refreshes afterwards.
 */
describe('housekeeping', () => {
  let w: World;
  let kentel: TenantSetup;
  let app: oidc.Configuration;
  const erin = { login: 'erin@kentel.com', password: 'Er1n-pass' };
  const count = async (table: string) => Number((await w.db.query(`SELECT count(*)::int AS n FROM ${table}`))[0].n);

  beforeAll(async () => {
    w = await World.start();
    kentel = await w.addTenant('kentel', ['kentel.com']);
    await w.addApp('hub');
    app = await w.app('hub');
    kentel.authServer.setUser(erin.login, { password: erin.password, sub: '00uERIN00001', claims: { userName: erin.login, security_group_name: 'Associate' } });
  });
  afterAll(() => w?.close());

  it('deletes dead rows only, and a live sign-in keeps working', async () => {
    // One sign-in that will be made dead, one abandoned at Okta, and one live.
    const old = await w.signIn(app, erin);
    expect(old.error).toBeUndefined();
    await w.startSignIn(app, { login: erin.login, password: 'wrong-password' }); // its login state stays behind
    await w.db.query(`UPDATE login_states SET expires_at = now() - interval '2 hours'`);
    await w.db.query(`UPDATE consumed_codes SET expires_at = now() - interval '2 hours'`);
    await w.db.query(`UPDATE refresh_tokens SET expires_at = now() - interval '2 days'`);
    await w.db.query(`UPDATE token_grants SET expires_at = now() - interval '2 days'`);
    await w.db.query(`UPDATE sso_sessions SET expires_at = now() - interval '2 days'`);
    const live = await w.signIn(app, erin);
    expect(live.error).toBeUndefined();
    const before = Object.fromEntries(await Promise.all(['login_states', 'consumed_codes', 'refresh_tokens', 'token_grants', 'sso_sessions'].map(async (t) => [t, await count(t)])));
    expect(before).toEqual({ login_states: 1, consumed_codes: 2, refresh_tokens: 2, token_grants: 2, sso_sessions: 2 });

    const deleted = await w.service.app.get(Housekeeping).run();
    expect(deleted).toEqual({ login_states: 1, consumed_codes: 1, refresh_tokens: 1, token_grants: 1, sso_sessions: 1, admin_credentials: 0 });
    expect(await count('refresh_tokens')).toBe(1);
    // Nothing alive was touched: the live refresh token still refreshes; the dead one is refused as before.
    const refreshed = await oidc.refreshTokenGrant(app, live.tokens!.refresh_token!);
    expect(refreshed.access_token).toBeTruthy();
    await expect(oidc.refreshTokenGrant(app, old.tokens!.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    // A second run finds nothing more.
    expect(Object.values(await w.service.app.get(Housekeeping).run()).every((n) => n === 0)).toBe(true);
  });
});

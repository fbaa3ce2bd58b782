import type { KoaContextWithOIDC, Provider, errors as OidcErrors } from 'oidc-provider';
import type { AccountStore } from './accounts.js';

/** Okta's wording for refused resource-owner password grants. */
export const PASSWORD_GRANT_ERRORS = {
  invalid: 'The credentials provided were invalid.',
  locked: 'The user account is locked.',
  mfa: 'Multifactor authentication is required for this user; the password grant cannot satisfy it.',
  scope: 'One or more scopes are not configured for the authorization server resource.',
} as const;

/**
 * `grant_type=password` at /v1/token, as Okta's custom authorization servers offer it
 * (oidc-provider has no such grant). Client authentication and the client's allowed grant types
 * are enforced by oidc-provider before this runs. Tokens are issued through oidc-provider's own
 * models, so they work at /v1/userinfo, /v1/introspect, /v1/revoke and for refresh like
 * code-flow tokens; the ID token is as thin as the code flow's.
 */
export function registerPasswordGrant(
  provider: Provider, accounts: AccountStore, errors: typeof OidcErrors, scopes: ReadonlySet<string>,
): void {
  const refuse = (description: string) => new errors.CustomOIDCProviderError('invalid_grant', description);

  provider.registerGrantType('password', async (ctx: KoaContextWithOIDC) => {
    const { client, params } = ctx.oidc;
    const check = accounts.check(params.username, params.password);
    if (!check.ok) throw refuse(PASSWORD_GRANT_ERRORS[check.reason]);
    if (check.user.mfaRequired) throw refuse(PASSWORD_GRANT_ERRORS.mfa);

    const requested = (params.scope ?? '').split(' ').filter(Boolean);
    const unknown = requested.filter((s) => !scopes.has(s));
    if (!requested.length || unknown.length) throw new errors.InvalidScope(PASSWORD_GRANT_ERRORS.scope, unknown.join(' '));
    const scope = requested.join(' ');
    const accountId = check.user.sub;
    const authTime = Math.floor(Date.now() / 1000);

    const grant = new provider.Grant({ accountId, clientId: client.clientId });
    grant.addOIDCScope(scope);
    const grantId: string = await grant.save();

    const at = new provider.AccessToken({ accountId, client, grantId, gty: 'password', scope });
    const body: Record<string, unknown> = {
      token_type: 'Bearer',
      expires_in: at.expiration,
      access_token: await at.save(),
      scope,
    };
    if (requested.includes('offline_access') && client.grantTypeAllowed('refresh_token')) {
      const rt = new provider.RefreshToken({ accountId, client, grantId, gty: 'password', scope, authTime, rotations: 0 });
      body.refresh_token = await rt.save();
    }
    if (requested.includes('openid')) {
      const account = await accounts.findAccount(ctx, accountId);
      const idToken = new provider.IdToken(await account!.claims('id_token', scope), { ctx });
      idToken.scope = 'openid'; // thin, like the code flow: the profile is at /v1/userinfo
      idToken.set('auth_time', authTime);
      body.id_token = await idToken.issue({ use: 'idtoken' });
    }
    ctx.body = body;
  }, ['username', 'password', 'scope']);
}

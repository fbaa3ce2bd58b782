import { randomUUID } from 'node:crypto';
import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { AppConfig } from '../../config/app-config.js';
import {
  InvalidGrant, InvalidRequest, InvalidScope, type OAuthError, ServerError, SlowDown, TemporarilyUnavailable, UnauthorizedClient,
} from '../../common/errors/oauth-errors.js';
import { DirectoryDatabases, TrainingDatabaseUnavailable, TrainingDisabled } from '../../database/directory-databases.js';
import { HomeRealm } from '../../auth/home-realm.js';
import type { UpstreamRequest } from '../../auth/okta-oauth-client.js';
import type { UpstreamIdentity } from '../../auth/okta.strategy.js';
import { SignInCompletion, type SignInContext } from '../../auth/sign-in-completion.js';
import { UpstreamStrategies } from '../../auth/upstream-strategies.js';
import { CLIENT_CREDENTIALS_REFUSED, UpstreamError, upstreamVerdict } from '../../auth/upstream-errors.js';
import { DirectoryUsers } from '../../provisioning/directory-users.js';
import { username as checkedUsername } from '../../provisioning/fields/formats.js';
import { TenantRuntime, type LoadedTenant } from '../../tenants/tenant-runtime.js';
import { trainingEnabled } from '../../training/training-config.js';
import { supportedScopes } from '../authorize-validator.js';
import type { OAuthClientEntity } from '../clients/client.entity.js';
import { EMPTY_SCOPE, scopeTokens } from '../scope.js';
import { RefreshTokens } from '../tokens/refresh-tokens.js';
import { TokenIssuer } from '../tokens/token-issuer.js';
import { required, type TokenResponse } from '../token-request.js';
import { GrantRegistry, type GrantHandler, type GrantContext } from './grant-registry.js';
import { PasswordThrottle, type Reservation } from './password-throttle.js';

/** What the app is told for each way the tenant's Okta can refuse: our words, never Okta's. */
const refusals = {
  'invalid-credentials': () => new InvalidGrant('The username or password is not correct.'),
  locked: () => new InvalidGrant("This account is locked at your organization's Okta; contact your administrator."),
  'mfa-required': () => new InvalidGrant('Your organization requires multi-factor authentication for this account, which a password sign-in cannot provide; sign in through the browser instead.'),
  'policy-denied': () => new InvalidGrant("Your organization's Okta sign-on policy does not allow this sign-in."),
  'grant-not-allowed': () => new UnauthorizedClient("Your organization's Okta does not allow password sign-in for this service; its administrator must enable the Resource Owner Password grant for the iQmetrix application."),
  'client-auth': () => new ServerError(CLIENT_CREDENTIALS_REFUSED),
  scope: () => new ServerError("Your organization's Okta does not offer the scopes this service requests; the organization's sign-in configuration must be corrected."),
} as const;

/**
 * grant_type=password (RFC 6749 §4.3): credential forwarding for apps that collect the password themselves
 * (a desktop POS). Only confidential clients registered for it; the tenant comes from the username's domain
 * (verified domains and rewrite rules, as home-realm discovery); only tenants that enabled it. The password
 * goes to the tenant's Okta token endpoint with the tenant's client authentication and provisioning scopes,
 * and nowhere else: it is not logged, stored, audited or echoed. From Okta's answer on, everything is the
 * browser flow's: the ID token verified (no nonce: a password grant carries none), UserInfo, provisioning
 * into the client's environment, one audit row, and our tokens. Failures are throttled across instances.
 */
@Injectable()
export class PasswordGrant implements GrantHandler, OnModuleInit {
  private readonly log = new Logger(PasswordGrant.name);

  constructor(
    private readonly registry: GrantRegistry,
    private readonly homeRealm: HomeRealm,
    private readonly runtime: TenantRuntime,
    private readonly strategies: UpstreamStrategies,
    private readonly completion: SignInCompletion,
    private readonly directories: DirectoryDatabases,
    private readonly users: DirectoryUsers,
    private readonly refresh: RefreshTokens,
    private readonly issuer: TokenIssuer,
    private readonly throttle: PasswordThrottle,
    private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.registry.register('password', this);
  }

  async handle(client: OAuthClientEntity, params: Record<string, string>, context: GrantContext): Promise<TokenResponse> {
    if (client.clientType !== 'confidential') throw new UnauthorizedClient('The password grant is only for confidential clients.');
    const username = required(params, 'username').trim();
    const password = required(params, 'password');
    if (username.length > 320) throw new InvalidRequest('The username is too long.');
    if (password.length > 1024) throw new InvalidRequest('The password is too long.');
    const scope = params.scope === undefined ? ['openid'] : scopeTokens(params.scope);
    if (!scope) throw new InvalidScope(EMPTY_SCOPE);
    const unknown = scope.filter((s) => !(supportedScopes as readonly string[]).includes(s));
    if (unknown.length) throw new InvalidScope(`Unsupported scope: ${unknown.join(' ').slice(0, 100)}.`);
    const environment = client.environment;
    const clientKey = this.throttle.clientKey(client.clientId);

    const realm = await this.homeRealm.find(username);
    if (realm.kind !== 'found') {
      // Guessing at domains is a failed attempt too (for the client: there is no tenant to count it for).
      this.refuseIfThrottled(await this.throttle.reserve([clientKey]), context);
      throw new InvalidGrant(realm.kind === 'invalid' ? 'The username must be a work email address, like name@company.com.' : "No organization is set up for sign-in with this username's domain.");
    }
    if (realm.tenant.status !== 'active') throw new InvalidGrant('Sign-in is disabled for this organization.');
    const tenant = await this.runtime.load(realm.tenant);
    if (!tenant.config.okta.passwordGrant) throw new UnauthorizedClient('This organization does not allow applications to sign in with a password.');
    const s: SignInContext = { tenant, environment, source: 'password', correlationId: context.correlationId };
    if (environment === 'training') await this.checkTraining(s);

    const keys = [this.throttle.usernameKey(tenant.id, throttleName(username, tenant)), clientKey];
    const reservation = await this.throttle.reserve(keys);
    if (!reservation.ok) {
      this.log.warn({ tenant: tenant.slug, clientId: client.clientId, throttled: reservation.kind, correlationId: context.correlationId }, 'Password grant throttled');
      this.refuseIfThrottled(reservation, context);
    }

    let identity: UpstreamIdentity;
    try {
      identity = await this.forward(tenant, username, password);
    } catch (e) {
      const refusal = e instanceof UpstreamError ? e.refusal : undefined;
      if (refusal !== 'invalid-credentials' && refusal !== 'locked') await this.throttle.giveBack(keys);
      if (!(e instanceof UpstreamError)) throw e;
      await this.completion.failed(s, { field: 'okta', reason: refusal ? `the password grant was refused (${refusal})` : e.message });
      if (e.kind === 'okta-rate-limited' && e.retryAfterS) context.setHeader?.('Retry-After', String(e.retryAfterS));
      throw toOAuthError(e);
    }

    const done = await this.completion.complete(s, identity);
    await this.throttle.succeeded(keys); // Okta accepted the credentials, whatever provisioning says
    if (!done.ok) {
      throw done.error === 'unavailable' ? new TemporarilyUnavailable(done.description)
        : done.error === 'failed' || done.error === 'error' ? new ServerError(done.description)
        : new InvalidGrant(done.description);
    }
    const user = await this.users.find(environment, tenant.id, done.userId);
    if (!user || user.status !== 'active') throw new InvalidGrant('The user is not active.');

    // Okta checked the password in this very request, so without its auth_time now is the authentication time (unlike
    // the browser callback, where Okta may answer from an older session of its own: see auth/auth-time.ts).
    const authTime = typeof identity.idToken.auth_time === 'number' ? identity.idToken.auth_time : Math.floor(Date.now() / 1000);
    const wantsRefresh = client.grantTypes.includes('refresh_token');
    const { ACCESS_TOKEN_TTL_S, REFRESH_TOKEN_TTL_S } = this.config.env;
    const grantId = randomUUID();
    const issued = await this.refresh.issue(
      { familyId: grantId, clientId: client.clientId, tenantId: tenant.id, userId: user.id, environment, ttl: wantsRefresh ? Math.max(REFRESH_TOKEN_TTL_S, ACCESS_TOKEN_TTL_S) : ACCESS_TOKEN_TTL_S },
      wantsRefresh ? { scope, authTime, ttl: REFRESH_TOKEN_TTL_S } : undefined,
    );
    const subject = { user, tenantSlug: tenant.slug, environment, authTime, grantId };
    return this.issuer.response(client.clientId, subject, scope, issued.token);
  }

  /** The resource-owner password grant at the tenant's Okta, then UserInfo as the browser flow fetches it. */
  private async forward(tenant: LoadedTenant, username: string, password: string): Promise<UpstreamIdentity> {
    const { okta } = tenant.config;
    const holder: UpstreamRequest = {};
    const client = this.strategies.client(tenant).forRequest(holder);
    const scope = [...new Set(['openid', ...okta.scopes])].join(' ');
    const answer = await client.tokenRequest({ grant_type: 'password', username, password, scope }, null);
    const idToken = holder.verifiedIdToken!;
    let userinfo: Record<string, unknown> | undefined;
    if (okta.autoProvisioning) userinfo = JSON.parse(await client.userinfo(okta.endpoints.userinfo, answer.access_token as string));
    return { issuer: okta.issuer, idToken, userinfo };
  }

  /** Training before the password leaves: training on, its database answering. */
  private async checkTraining(s: SignInContext): Promise<void> {
    if (!trainingEnabled(s.tenant.config)) throw new TrainingDisabled();
    try {
      await this.directories.check(s.tenant.id, 'training');
    } catch (e) {
      if (e instanceof TrainingDisabled) throw e;
      await this.completion.failed(s, { field: 'trainingDatabase', reason: 'the training database was not available; the password was not sent to Okta' });
      throw new TrainingDatabaseUnavailable();
    }
  }

  private refuseIfThrottled(r: Reservation, context: GrantContext): void {
    if (r.ok) return;
    context.setHeader?.('Retry-After', String(r.retryAfterSeconds));
    const minutes = Math.max(1, Math.ceil(r.retryAfterSeconds / 60));
    throw new SlowDown(r.kind === 'username'
      ? `Too many failed sign-in attempts for this username; try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`
      : `Too many failed sign-in attempts from this application; try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`);
  }
}

/** One counter per person, however they spell their domain (john@yvr.kentel.local is john@kentel.com). */
function throttleName(username: string, tenant: LoadedTenant): string {
  const checked = checkedUsername(username, { rewrites: tenant.config.usernameRewrites, domains: tenant.config.domains });
  return checked.ok ? checked.value : username;
}

/**
 * Only Okta's refusals of the user are invalid_grant (which apps read as wrong credentials), each in our own words;
 * an outage is temporarily_unavailable; everything else is server_error (upstreamVerdict: Okta refusing this service's
 * configuration, an answer that is neither tokens, a refusal nor an outage, one that cannot be used, or one failing
 * this service's security checks): Okta's or the configuration's fault, which neither the user nor a retry soon will fix.
 */
function toOAuthError(e: UpstreamError): OAuthError {
  if (upstreamVerdict(e) === 'unavailable') return new TemporarilyUnavailable(e.message);
  if (e.refusal) return refusals[e.refusal](); // the configuration's refusals too, in words naming them
  return new ServerError(e.message);
}

import { Body, Controller, Get, Logger, Post, Query, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { AppConfig } from '../config/app-config.js';
import { isDatabaseUnavailable } from '../common/errors/database-errors.js';
import {
  AccessDenied, AuthorizationRedirectError, LoginRequired, type OAuthError, ServerError, TemporarilyUnavailable,
} from '../common/errors/oauth-errors.js';
import { AuthorizeValidator, type ValidatedAuthorization } from '../oauth/authorize-validator.js';
import { AuthorizationCodes } from '../oauth/tokens/authorization-code.js';
import { Metrics } from '../observability/metrics.js';
import { DirectoryUsers } from '../provisioning/directory-users.js';
import { ProvisioningService, type ProvisioningContext } from '../provisioning/provisioning.service.js';
import { TenantRuntime, type LoadedTenant, type TenantRef } from '../tenants/tenant-runtime.js';
import { sendHomeRealmPage } from './home-realm.page.js';
import type { LoginState } from './login-state.store.js';
import type { UpstreamRequest } from './okta-oauth-client.js';
import { type SsoSession, SsoSessions } from './sso-sessions.js';
import { UpstreamSignIn } from './upstream-signin.service.js';
import { UpstreamError } from './upstream-errors.js';

type Req = Request & { id?: string };

/**
 * The browser sign-in, both legs: /oauth2/authorize (the app's request) sends the user to their company's
 * Okta; /oauth2/callback (Okta's answer) provisions the user and returns our authorization code to the app.
 */
@ApiExcludeController()
@Controller('oauth2')
export class SignInController {
  private readonly log = new Logger(SignInController.name);

  constructor(
    private readonly validator: AuthorizeValidator,
    private readonly runtime: TenantRuntime,
    private readonly upstream: UpstreamSignIn,
    private readonly provisioning: ProvisioningService,
    private readonly users: DirectoryUsers,
    private readonly codes: AuthorizationCodes,
    private readonly config: AppConfig,
    private readonly metrics: Metrics,
    private readonly sessions: SsoSessions,
  ) {}

  @Get('authorize')
  authorizeGet(@Query() query: Record<string, unknown>, @Req() req: Req, @Res() res: Response) {
    return this.authorize(query, req, res);
  }

  @Post('authorize')
  authorizePost(@Body() body: Record<string, unknown>, @Req() req: Req, @Res() res: Response) {
    return this.authorize(body ?? {}, req, res);
  }

  private async authorize(params: Record<string, unknown>, req: Req, res: Response): Promise<void> {
    const v = await this.validator.validate(params);
    const back = (e: OAuthError) => new AuthorizationRedirectError(e, v.request.redirectUri, v.request.state);
    let ref = await this.findTenant(v);
    // This service's own session: reused (no trip to Okta) for its tenant, unless the app asks for a fresh
    // authentication (prompt=login) or the authentication is older than its max_age.
    const session = await this.sessions.current(req, v.request.environment);
    if (session && ref === 'ask') ref = session.tenant;
    if (session && ref && ref !== 'ask' && session.tenantId === ref.id && ref.status === 'active' && v.request.prompt !== 'login'
      // max_age=0 is read as prompt=login (as most OPs do), since auth_time has one-second granularity.
      && (v.request.maxAge === undefined || (v.request.maxAge > 0 && Math.floor(Date.now() / 1000) - session.authTime <= v.request.maxAge))) {
      const user = await this.users.find(session.environment, session.tenantId, session.userId);
      if (user?.status === 'active') {
        await this.sendCode(res, v.request, ref, session.userId, session.authTime, session.publicId);
        this.metrics.signIn(ref, 'success');
        return;
      }
    }
    if (v.request.prompt === 'none') throw back(new LoginRequired('There is no sign-in session for this application; prompt=none cannot be satisfied.'));
    if (ref === 'ask') return sendHomeRealmPage(res, v.params);
    if (ref === null) {
      return sendHomeRealmPage(res, v.params, v.tenant ? 'That organization is not set up for sign-in here.' : 'No organization is set up for sign-in with that email domain. Check the address, or ask your administrator.');
    }
    if (ref.status !== 'active') throw back(new AccessDenied('Sign-in is disabled for this organization.'));
    let tenant: LoadedTenant;
    try {
      tenant = await this.runtime.load(ref);
      await this.upstream.start(req, res, tenant, v.request);
    } catch (e) {
      if (e instanceof UpstreamError && e.kind === 'okta-rate-limited') {
        this.log.warn({ correlationId: req.id, tenant: ref.slug, retryAfterS: e.retryAfterS }, "Sign-in not started: the tenant's Okta is rate-limiting");
        this.metrics.signIn(ref, 'rate_limited');
        throw back(new TemporarilyUnavailable(e.message));
      }
      this.log.error({ err: e, correlationId: req.id }, 'Could not start the upstream sign-in');
      throw back(new TemporarilyUnavailable('Sign-in could not start right now; try again in a moment.'));
    }
  }

  private async findTenant(v: ValidatedAuthorization): Promise<TenantRef | null | 'ask'> {
    if (v.tenant) return /^[a-z0-9][a-z0-9-]{1,62}$/.test(v.tenant) ? this.runtime.bySlug(v.tenant) : null;
    const hint = v.request.loginHint;
    if (!hint) return 'ask';
    const at = hint.lastIndexOf('@');
    const domain = at > 0 ? hint.slice(at + 1).toLowerCase() : '';
    if (!/^[a-z0-9.-]{1,253}$/.test(domain)) return null;
    return this.runtime.byDomain(domain);
  }

  @Get('callback')
  async callback(@Req() req: Req, @Res() res: Response): Promise<void> {
    const { state, tenant } = await this.upstream.resume(req);
    const back = (e: OAuthError) => new AuthorizationRedirectError(e, state.request.redirectUri, state.request.state);
    const ctx: ProvisioningContext = {
      tenantId: tenant.id, configVersion: tenant.version, config: tenant.config, environment: state.environment, source: 'sign-in', correlationId: req.id,
    };

    let outcome;
    try {
      outcome = await this.upstream.finish(req, res, state, tenant);
    } catch (e) {
      this.log.error({ err: e, correlationId: req.id }, 'Upstream callback failed');
      this.metrics.signIn(tenant, 'error');
      throw back(new ServerError('The sign-in could not be completed.'));
    }
    if (!outcome.ok) {
      const cancelled = outcome.error === 'cancelled';
      const message = cancelled ? 'The sign-in was cancelled or refused at your company\'s Okta.' : (outcome.error as UpstreamError).message;
      const kind = cancelled ? 'cancelled' : (outcome.error as UpstreamError).kind;
      this.metrics.signIn(tenant, kind.replace(/-/g, '_'));
      this.log.warn({ correlationId: req.id, tenant: tenant.slug, kind }, 'Upstream sign-in failed');
      await this.provisioning.auditFailure(ctx, { field: 'okta', reason: message });
      if (cancelled) throw back(new AccessDenied(message));
      const transient = kind === 'okta-unreachable' || kind === 'okta-rate-limited' || kind === 'okta-server-error';
      throw back(transient ? new TemporarilyUnavailable(message) : new AccessDenied(message));
    }

    const { identity } = outcome;
    let userId: string | undefined;
    let status: 'active' | 'disabled' | undefined;
    try {
      if (tenant.config.okta.autoProvisioning) {
        const result = await this.provisioning.provision(ctx, { idToken: identity.idToken, userinfo: identity.userinfo }, identity.issuer);
        this.metrics.provisioned(tenant, result.outcome);
        if (result.outcome === 'failed') {
          this.metrics.signIn(tenant, 'error');
          throw back(new ServerError(`Your account could not be set up right now; try again in a moment. Reference ${result.auditId ?? req.id}.`));
        }
        if (result.outcome === 'refused' || !result.userId) {
          this.metrics.signIn(tenant, 'refused');
          const fields = [...new Set(result.reasons.map((r) => r.field))].join(', ');
          throw back(new AccessDenied(`Your account could not be set up (${fields}). Your administrator can look up reference ${result.auditId}.`));
        }
        userId = result.userId;
        status = result.status;
      } else {
        const found = await this.users.findIdentity(state.environment, tenant.id, identity.issuer, String(identity.idToken.sub));
        userId = found?.id;
        status = found?.status;
        if (!userId) {
          this.metrics.signIn(tenant, 'no_account');
          await this.provisioning.auditFailure(ctx, { field: 'user', reason: 'automatic provisioning is off and this person has no user yet' }, { issuer: identity.issuer, subject: String(identity.idToken.sub) });
          throw back(new AccessDenied('You do not have an account yet; ask your administrator to create one.'));
        }
      }
    } catch (e) {
      if (e instanceof AuthorizationRedirectError) throw e;
      // Provisioning is one statement: when it fails nothing of it was written.
      if (tenant.config.okta.autoProvisioning) this.metrics.provisioned(tenant, 'failed');
      this.metrics.signIn(tenant, 'error');
      this.log.error({ err: e, correlationId: req.id }, 'Provisioning failed');
      throw back(isDatabaseUnavailable(e)
        ? new TemporarilyUnavailable('The service is briefly unavailable; please sign in again in a moment.')
        : new ServerError('The sign-in could not be completed.'));
    }
    // A user deactivated by SCIM (or by hand) stays disabled: sign-in never asserts status. The status comes
    // back from the provisioning statement itself (no extra query).
    if (status !== 'active') throw back(new AccessDenied('Your account is disabled. Ask your administrator.'));
    const authTime = typeof identity.idToken.auth_time === 'number' ? identity.idToken.auth_time : Math.floor(Date.now() / 1000);
    const session: SsoSession = await this.sessions.establish(req, res, { tenantId: tenant.id, environment: state.environment, userId, authTime }, (req as Req & UpstreamRequest).upstreamIdToken);
    await this.sendCode(res, state.request, tenant, userId, authTime, session.publicId);
    this.metrics.signIn(tenant, 'success');
  }

  private async sendCode(res: Response, r: LoginState['request'], tenant: { id: string; slug: string }, userId: string, authTime: number, sessionId: string): Promise<void> {
    const code = await this.codes.issue({
      clientId: r.clientId, redirectUri: r.redirectUri, userId, tenantId: tenant.id, tenantSlug: tenant.slug, environment: r.environment,
      scope: r.scope, nonce: r.nonce, codeChallenge: r.codeChallenge, authTime, sessionId,
    });
    const url = new URL(r.redirectUri);
    url.searchParams.set('code', code);
    if (r.state !== undefined) url.searchParams.set('state', r.state);
    url.searchParams.set('iss', this.config.publicUrl);
    res.set('Cache-Control', 'no-store').redirect(302, url.toString());
  }
}

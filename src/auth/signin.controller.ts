import { Body, Controller, Get, Logger, Post, Query, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { AppConfig } from '../config/app-config.js';
import { Clock } from '../common/clock.js';
import {
  AccessDenied, AuthorizationRedirectError, authorizationResponse, InvalidRequest, LoginRequired, type OAuthError, ServerError, TemporarilyUnavailable,
} from '../common/errors/oauth-errors.js';
import { isInvalidTextInput } from '../common/errors/database-errors.js';
import { BrowserError } from '../common/errors/problem.js';
import { UNSTORABLE_TEXT } from '../common/errors/unsafe-input.js';
import { hasBody, isForm } from '../common/web/body-parsers.js';
import { malformedIn } from '../common/web/percent-encoding.js';
import { DirectoryDatabases, TrainingDatabaseUnavailable, TrainingDisabled } from '../database/directory-databases.js';
import { AuthorizeValidator, type ValidatedAuthorization } from '../oauth/authorize-validator.js';
import { AuthorizationCodes } from '../oauth/tokens/authorization-code.js';
import { Metrics } from '../observability/metrics.js';
import { type DirectoryUser, DirectoryUsers } from '../provisioning/directory-users.js';
import { emailKey, username as checkedUsername, usernameKey } from '../provisioning/fields/formats.js';
import { TenantRuntime, type LoadedTenant, type TenantRef } from '../tenants/tenant-runtime.js';
import { trainingEnabled } from '../training/training-config.js';
import { authTimeProblem, oktaAuthTime } from './auth-time.js';
import { HomeRealm } from './home-realm.js';
import { sendHomeRealmPage } from './home-realm.page.js';
import type { LoginState } from './login-state.store.js';
import type { UpstreamRequest } from './okta-oauth-client.js';
import { SignInCompletion, type SignInContext } from './sign-in-completion.js';
import { type PreparedSession, type SsoSession, SsoSessions } from './sso-sessions.js';
import { UpstreamSignIn } from './upstream-signin.service.js';
import { UpstreamError, upstreamVerdict } from './upstream-errors.js';

type Req = Request & { id?: string };

/** The parameter that named another user than the session's. */
type OtherUserHint = 'id_token_hint' | 'login_hint';

type TenantChoice = { kind: 'found'; tenant: TenantRef } | { kind: 'ask' } | { kind: 'problem'; message: string; dropTenant?: boolean };

/**
 * The browser sign-in, both legs: /oauth2/authorize (the app's request) sends the user to their company's
 * Okta; /oauth2/callback (Okta's answer) provisions the user and returns our authorization code to the app.
 * The same flow serves production and training (environment=training, or a training client): only the
 * directory the user is provisioned into and the tokens' audience differ.
 */
@ApiExcludeController()
@Controller('oauth2')
export class SignInController {
  private readonly log = new Logger(SignInController.name);

  constructor(
    private readonly validator: AuthorizeValidator,
    private readonly runtime: TenantRuntime,
    private readonly homeRealm: HomeRealm,
    private readonly upstream: UpstreamSignIn,
    private readonly completion: SignInCompletion,
    private readonly directories: DirectoryDatabases,
    private readonly users: DirectoryUsers,
    private readonly codes: AuthorizationCodes,
    private readonly config: AppConfig,
    private readonly metrics: Metrics,
    private readonly sessions: SsoSessions,
    private readonly clock: Clock,
  ) {}

  @Get('authorize')
  authorizeGet(@Query() query: Record<string, unknown>, @Req() req: Req, @Res() res: Response) {
    return this.authorize(query, malformedIn(req, 'query'), req, res);
  }

  @Post('authorize')
  authorizePost(@Body() body: Record<string, unknown>, @Req() req: Req, @Res() res: Response) {
    // OIDC Core §3.1.2.1: Form Serialization, as at the token endpoint and /oauth2/logout. Another body (JSON...) is
    // refused before anything is read from it, on an error page: no redirect_uri is known to be the app's yet.
    if (hasBody(req) && !isForm(req)) throw new BrowserError(415, 'Sign-in could not start', 'A sign-in request sent by POST must be a form (application/x-www-form-urlencoded).');
    return this.authorize(body ?? {}, malformedIn(req, 'body'), req, res);
  }

  /** `malformed`: the parameters that are not UTF-8 text, which the input guard leaves to the validator here. */
  private async authorize(params: Record<string, unknown>, malformed: string[], req: Req, res: Response): Promise<void> {
    const v = await this.validator.validate(params, malformed);
    const back = (e: OAuthError) => new AuthorizationRedirectError(e, v.request.redirectUri, v.request.state, this.config.publicUrl);
    const environment = v.request.environment;
    let choice = await this.chooseTenant(v);
    // This service's own session (per environment): reused (no trip to Okta) for its tenant, unless the app asks
    // for a fresh authentication (prompt=login), the authentication is older than its max_age (or of unknown age),
    // or a hint names someone else than the session's user (a shared terminal: that person signs in at Okta).
    const session = await this.sessions.current(req, environment);
    let otherUser: OtherUserHint | undefined;
    if (session && choice.kind === 'ask') choice = { kind: 'found', tenant: session.tenant };
    const sessionRef = choice.kind === 'found' ? choice.tenant : undefined;
    if (session && sessionRef && session.tenantId === sessionRef.id && sessionRef.status === 'active' && v.request.prompt !== 'login'
      // max_age=0 is read as prompt=login (as most OPs do), since auth_time has one-second granularity.
      && (v.request.maxAge === undefined || (v.request.maxAge > 0 && session.authTime !== undefined && this.clock.epochSeconds() - session.authTime <= v.request.maxAge))) {
      let user;
      try {
        user = await this.users.find(session.environment, session.tenantId, session.userId);
      } catch (e) {
        // A training session whose training database is down, or whose training was turned off.
        if (e instanceof TrainingDatabaseUnavailable || e instanceof TrainingDisabled) throw back(e);
        throw e;
      }
      otherUser = user?.status === 'active' ? await this.otherUserHint(v, sessionRef, session, user) : undefined;
      if (user?.status === 'active' && !otherUser) {
        await this.sendCode(res, v.request, sessionRef, session.userId, session.authTime, session.publicId);
        this.metrics.signIn(sessionRef, 'success');
        return;
      }
    }
    if (v.request.prompt === 'none') {
      throw back(new LoginRequired(otherUser
        ? `The ${otherUser} names another user than the one signed in here; prompt=none cannot be satisfied.`
        : 'There is no sign-in session for this application; prompt=none cannot be satisfied.'));
    }
    if (choice.kind === 'ask') return sendHomeRealmPage(res, v.params, { environment });
    if (choice.kind === 'problem') {
      const { tenant: _dropped, ...rest } = v.params;
      return sendHomeRealmPage(res, choice.dropTenant ? rest : v.params, { environment, problem: choice.message });
    }
    const ref = choice.tenant;
    if (ref.status !== 'active') throw back(new AccessDenied('Sign-in is disabled for this organization.'));
    let tenant: LoadedTenant;
    try {
      tenant = await this.runtime.load(ref);
    } catch (e) {
      this.log.error({ err: e, correlationId: req.id }, 'Could not load the tenant configuration');
      throw back(new TemporarilyUnavailable('Sign-in could not start right now; try again in a moment.'));
    }
    if (environment === 'training') await this.checkTraining(tenant, req, back);
    try {
      // Another user than the session's: Okta is asked to sign someone in again (prompt=login), or its own session
      // would answer for the person already signed in; the hint fills in the name. Recorded as ours, not the app's.
      await this.upstream.start(req, res, tenant, otherUser ? { ...v.request, reauthenticate: 'other-user' } : v.request);
    } catch (e) {
      if (e instanceof UpstreamError && e.kind === 'okta-rate-limited') {
        this.log.warn({ correlationId: req.id, tenant: ref.slug, retryAfterS: e.retryAfterS }, "Sign-in not started: the tenant's Okta is rate-limiting");
        this.metrics.signIn(ref, 'rate_limited');
        throw back(new TemporarilyUnavailable(e.message));
      }
      // Backstop (the input guard refuses a NUL first): the app's bad input is its invalid_request, not an outage.
      if (isInvalidTextInput(e)) throw back(new InvalidRequest(UNSTORABLE_TEXT));
      this.log.error({ err: e, correlationId: req.id }, 'Could not start the upstream sign-in');
      throw back(new TemporarilyUnavailable('Sign-in could not start right now; try again in a moment.'));
    }
  }

  /**
   * Which hint names someone else than the session's user (OIDC Core §3.1.2.1), if any: an id_token_hint whose sub
   * is not the session's user, or that is of the other environment (its sub is a user of the other directory, so it
   * can never be shown to be the session's); a login_hint that does not name the session's user (hintNames).
   */
  private async otherUserHint(v: ValidatedAuthorization, ref: TenantRef, session: SsoSession, user: DirectoryUser): Promise<OtherUserHint | undefined> {
    const idHint = v.idTokenHint;
    if (idHint && (idHint.environment !== session.environment || idHint.subject !== session.userId)) return 'id_token_hint';
    const hint = v.request.loginHint;
    if (hint !== undefined && !(await this.hintNames(ref, hint, user))) return 'login_hint';
    return undefined;
  }

  /**
   * Whether a login_hint names this user: their username, matched as usernames are (the tenant's domain rewrite
   * applied, john@yvr.kentel.local is john@kentel.com; case-insensitively, usernameKey), or their email, which apps
   * often send and which need not be the username (john.smith@kentel.com for jsmith@kentel.com), matched alike.
   * A hint that is neither names someone else. The user was read with their email: no query of its own.
   */
  private async hintNames(ref: TenantRef, hint: string, user: DirectoryUser): Promise<boolean> {
    let tenant: LoadedTenant;
    try {
      tenant = await this.runtime.load(ref);
    } catch {
      return false; // not reused; loading it again on the way to Okta reports the problem
    }
    const { usernameRewrites: rewrites, domains } = tenant.config;
    const checked = checkedUsername(hint, { rewrites, domains });
    if (checked.ok && usernameKey(checked.value) === usernameKey(user.username)) return true;
    const key = user.email === null ? undefined : emailKey(hint, rewrites);
    return key !== undefined && key === emailKey(user.email!, rewrites);
  }

  /** Before anyone is sent to Okta for training: training is on, and its database answers (opened and migrated on first use). */
  private async checkTraining(tenant: LoadedTenant, req: Req, back: (e: OAuthError) => AuthorizationRedirectError): Promise<void> {
    const s: SignInContext = { tenant, environment: 'training', source: 'sign-in', correlationId: req.id };
    if (!trainingEnabled(tenant.config)) throw back(new TrainingDisabled());
    try {
      await this.directories.check(tenant.id, 'training');
    } catch (e) {
      if (e instanceof TrainingDisabled) throw back(e);
      if (!(e instanceof TrainingDatabaseUnavailable)) this.log.error({ err: e, correlationId: req.id }, 'Training database check failed');
      await this.completion.failed(s, { field: 'trainingDatabase', reason: 'the training database was not available; the user was not sent to Okta' });
      this.metrics.signIn(tenant, 'training_unavailable');
      throw back(new TrainingDatabaseUnavailable());
    }
  }

  /** An explicit tenant, or home-realm discovery from the login_hint (the app's, or typed on our page). */
  private async chooseTenant(v: ValidatedAuthorization): Promise<TenantChoice> {
    if (v.tenant) {
      const ref = /^[a-z0-9][a-z0-9-]{1,62}$/.test(v.tenant) ? await this.runtime.bySlug(v.tenant) : null;
      return ref ? { kind: 'found', tenant: ref } : { kind: 'problem', message: 'That organization is not set up for sign-in here. Enter your work email instead.', dropTenant: true };
    }
    const hint = v.request.loginHint;
    if (!hint) return { kind: 'ask' };
    const found = await this.homeRealm.find(hint);
    switch (found.kind) {
      case 'found':
        return { kind: 'found', tenant: found.tenant };
      case 'invalid':
        return { kind: 'problem', message: 'Enter your work email address, like name@company.com.' };
      case 'unknown':
        return { kind: 'problem', message: `No organization is set up for sign-in with ${found.domain} addresses. Check the address, or ask your administrator.` };
    }
  }

  @Get('callback')
  async callback(@Req() req: Req, @Res() res: Response): Promise<void> {
    const { state, tenant } = await this.upstream.resume(req);
    const back = (e: OAuthError) => new AuthorizationRedirectError(e, state.request.redirectUri, state.request.state, this.config.publicUrl);
    const s: SignInContext = { tenant, environment: state.environment, source: 'sign-in', correlationId: req.id };

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
      await this.completion.failed(s, { field: 'okta', reason: message });
      if (cancelled) throw back(new AccessDenied(message));
      // One rule with the password grant (upstreamVerdict): access_denied for Okta's refusals; an outage is
      // temporarily_unavailable; Okta refusing this service's configuration or answering what it should not or what
      // cannot be used (a 404 page, UserInfo refusing the token it issued, HTML, a malformed token or key set) is
      // server_error (RFC 6749 §4.1.2.1's "unexpected condition"); an answer failing this service's security checks
      // (an ID token or the callback's iss rejected) is access_denied here: this service denies it.
      // (login_required and the like would pass on only after a prompt=none sent to Okta, and this service never
      // sends one: a prompt=none request is answered from its own session.)
      const verdict = upstreamVerdict(outcome.error as UpstreamError);
      throw back(verdict === 'unavailable' ? new TemporarilyUnavailable(message) : verdict === 'failed' ? new ServerError(message) : new AccessDenied(message));
    }

    const { identity } = outcome;
    // auth_time (auth-time.ts): only what Okta vouched for, and after prompt=login or max_age, recent enough.
    const skew = this.config.env.ID_TOKEN_CLOCK_SKEW_S;
    const authTime = oktaAuthTime(identity.idToken.auth_time, this.clock.epochSeconds(), skew);
    const stale = authTimeProblem(state.request, state.sentAt, authTime, skew);
    if (stale) {
      const message = staleMessage(stale, state.request);
      this.metrics.signIn(tenant, 'login_required');
      this.log.warn({ correlationId: req.id, tenant: tenant.slug, problem: stale, reauthenticate: state.request.reauthenticate }, "Okta's authentication is not as recent as the sign-in needed (the app's prompt=login or max_age, or another user named)");
      await this.completion.failed(s, { field: 'auth_time', reason: message }, { issuer: identity.issuer, subject: String(identity.idToken.sub) });
      throw back(new LoginRequired(message));
    }
    const done = await this.completion.complete(s, identity);
    if (!done.ok) {
      const outcome = done.error === 'unavailable' && state.environment === 'training' ? 'training_unavailable' : done.error === 'failed' ? 'error' : done.error.replace(/-/g, '_');
      this.metrics.signIn(tenant, outcome);
      throw back(done.error === 'unavailable' ? new TemporarilyUnavailable(done.description)
        : done.error === 'error' || done.error === 'failed' ? new ServerError(done.description)
        : new AccessDenied(done.description));
    }
    const userId = done.userId;
    const session = this.sessions.prepare(req, res, state.environment, (req as Req & UpstreamRequest).upstreamIdToken);
    await this.sendCode(res, state.request, tenant, userId, authTime, session.publicId, session.startsSession);
    this.metrics.signIn(tenant, 'success');
  }

  private async sendCode(res: Response, r: LoginState['request'], tenant: { id: string; slug: string }, userId: string, authTime: number | undefined, sessionId: string, startsSession?: PreparedSession['startsSession']): Promise<void> {
    const code = await this.codes.issue({
      clientId: r.clientId, redirectUri: r.redirectUri, userId, tenantId: tenant.id, tenantSlug: tenant.slug, environment: r.environment,
      scope: r.scope, nonce: r.nonce, codeChallenge: r.codeChallenge, ...(authTime !== undefined ? { authTime } : {}), sessionId, ...(startsSession ? { startsSession } : {}),
    });
    res.set('Cache-Control', 'no-store').redirect(302, authorizationResponse(r.redirectUri, this.config.publicUrl, { code, state: r.state }));
  }
}

/** Why Okta's authentication could not be used: the app's prompt=login or max_age, or the fresh sign-in asked for because another user was named. */
function staleMessage(stale: 'unknown' | 'too-old', r: LoginState['request']): string {
  if (r.reauthenticate) {
    return stale === 'unknown'
      ? "Another person than the one signed in on this device was named, so your company's Okta had to ask for a new sign-in, but it did not say when you signed in (auth_time). Sign in again."
      : "Another person than the one signed in on this device was named, so your company's Okta had to ask for a new sign-in, but it did not ask you to sign in again. Sign in again.";
  }
  return stale === 'unknown'
    ? "Your company's Okta did not say when you signed in (auth_time), which this application needs. Sign in again."
    : "Your company's Okta did not ask you to sign in again, though this application asked for a recent sign-in. Sign in again.";
}

import { Injectable } from '@nestjs/common';
import type { Request, Response } from 'express';
import { AppConfig } from '../config/app-config.js';
import { randomToken } from '../common/crypto/tokens.js';
import { BrowserError } from '../common/errors/problem.js';
import type { PendingAuthorization } from '../oauth/authorization-request.js';
import type { LoadedTenant } from '../tenants/tenant-runtime.js';
import { TenantRuntime } from '../tenants/tenant-runtime.js';
import { cookieName, readCookie, setCookie } from './cookies.js';
import { LoginStateStore, type LoginState, type StartedLogin } from './login-state.store.js';
import type { TenantOktaStrategy, UpstreamIdentity } from './okta.strategy.js';
import { UpstreamStrategies } from './upstream-strategies.js';
import { callbackIssuerProblem, oktaErrorCode, UpstreamError } from './upstream-errors.js';

const BINDING_COOKIE = 'iqsso_signin';

export type UpstreamOutcome =
  | { ok: true; identity: UpstreamIdentity }
  | { ok: false; error: UpstreamError | 'cancelled' };

type Run = { redirected: true } | { redirected: false; err: unknown; user: unknown; info: unknown };

/**
 * The upstream leg of a sign-in, through passport-openidconnect: send the browser to the tenant's Okta,
 * then handle Okta's redirect back. Everything the second half needs is in Postgres (LoginStateStore).
 */
@Injectable()
export class UpstreamSignIn {
  constructor(
    private readonly strategies: UpstreamStrategies,
    private readonly states: LoginStateStore,
    private readonly runtime: TenantRuntime,
    private readonly config: AppConfig,
  ) {}

  async start(req: Request, res: Response, tenant: LoadedTenant, request: PendingAuthorization): Promise<void> {
    // The redirect to Okta carries this sign-in's state, nonce and PKCE challenge and sets the binding cookie: no
    // cache may keep it or replay it to another browser (every other redirect of the flow says so too).
    res.setHeader('Cache-Control', 'no-store');
    const binding = readCookie(req, cookieName(this.config, BINDING_COOKIE)) ?? randomToken(24);
    setCookie(res, this.config, BINDING_COOKIE, binding, this.config.env.LOGIN_STATE_TTL_S);
    const state: Omit<StartedLogin, 'codeVerifier'> = { tenantId: tenant.id, configVersion: tenant.version, environment: request.environment, request, browserBinding: binding };
    const run = await this.run(this.strategies.strategy(tenant), req, res, {
      state,
      loginHint: request.loginHint,
      prompt: request.prompt === 'login' || request.reauthenticate ? 'login' : undefined,
      maxAge: request.maxAge,
    });
    if (!run.redirected) throw run.err ?? new Error('The upstream strategy did not redirect');
  }

  /**
   * Consumes the login state named by Okta's `state`; a state that is unknown, stale or from another browser ends
   * here. The binding cookie is left to expire (LOGIN_STATE_TTL_S), never cleared here: every sign-in of a browser
   * shares it, and one started in another tab while this callback is still at Okta would lose it to this answer's
   * clearing (its authorize re-sets the cookie before this answer arrives). It is a random value, useless alone.
   */
  async resume(req: Request): Promise<{ state: LoginState; tenant: LoadedTenant }> {
    const handle = typeof req.query.state === 'string' ? req.query.state : '';
    const result = await this.states.consume(handle, readCookie(req, cookieName(this.config, BINDING_COOKIE)));
    if (!result.ok) {
      const detail = {
        unknown: 'This sign-in link is not valid or was already used.',
        expired: 'This sign-in took too long and has expired.',
        'other-browser': 'This sign-in was started in a different browser.',
      }[result.reason];
      throw new BrowserError(400, 'Sign-in could not continue', `${detail} Go back to the application and sign in again.`);
    }
    const tenant = await this.runtime.load({ id: result.state.tenantId, version: result.state.configVersion });
    return { state: result.state, tenant };
  }

  async finish(req: Request, res: Response, state: LoginState, tenant: LoadedTenant): Promise<UpstreamOutcome> {
    // A repeated code, error or iss is a tampered answer (RFC 6749 §3.1: parameters are not repeated): nothing of it
    // goes on to Okta, and it is named as repeated (an iss given twice, even the tenant's, names no other issuer).
    // (A repeated state never names a login state.)
    const repeated = (['code', 'error', 'iss'] as const).find((k) => req.query[k] !== undefined && typeof req.query[k] !== 'string');
    if (repeated) return { ok: false, error: new UpstreamError('callback-tampered', `The sign-in answer from your company's Okta was malformed: ${repeated} was repeated.`) };
    // An error answer ends the attempt whatever its iss says (nothing is exchanged): its own message is the clearer one.
    const mixUp = req.query.error === undefined ? callbackIssuerProblem(req.query.iss, tenant.config.okta) : undefined;
    if (mixUp) return { ok: false, error: mixUp };
    (req as Request & { loginState?: LoginState }).loginState = state;
    const run = await this.run(this.strategies.strategy(tenant), req, res, {});
    if (run.redirected) throw new Error('Upstream strategy redirected during a callback');
    if (run.err) return { ok: false, error: toUpstreamError(run.err) };
    if (!run.user) {
      if (req.query.error === 'access_denied') return { ok: false, error: 'cancelled' };
      return { ok: false, error: new UpstreamError('id-token-invalid', "The sign-in answer from your company's Okta was rejected.") };
    }
    return { ok: true, identity: run.user as UpstreamIdentity };
  }

  private run(strategy: TenantOktaStrategy, req: Request, res: Response, options: Record<string, unknown>): Promise<Run> {
    return new Promise((resolve, reject) => {
      const onFinish = () => resolve({ redirected: true });
      res.once('finish', onFinish);
      const done = (err: unknown, user?: unknown, info?: unknown) => {
        res.off('finish', onFinish);
        resolve({ redirected: false, err, user, info });
      };
      try {
        this.strategies.passport.authenticate(strategy, { session: false, ...options }, done)(req, res, (err?: unknown) => done(err ?? new Error('passport passed the request on')));
      } catch (e) {
        res.off('finish', onFinish);
        reject(e);
      }
    });
  }
}

function toUpstreamError(err: unknown): UpstreamError {
  const e = err as { oauthError?: unknown; code?: string; name?: string };
  if (err instanceof UpstreamError) return err;
  if (e.oauthError instanceof UpstreamError) return e.oauthError;
  // passport-openidconnect's AuthorizationError: Okta redirected back with ?error=... (not access_denied).
  if (e.name === 'AuthorizationError' && typeof e.code === 'string') {
    const code = oktaErrorCode(e.code);
    return new UpstreamError('okta-error', `Your company's Okta ended the sign-in with an error${code ? ` (${code})` : ''}.`, code);
  }
  if (e.name === 'TokenError' && typeof e.code === 'string') {
    const code = oktaErrorCode(e.code);
    return new UpstreamError('okta-error', `Your company's Okta refused the sign-in${code ? ` (${code})` : ''}.`, code);
  }
  return new UpstreamError('okta-bad-response', "The sign-in answer from your company's Okta could not be processed.");
}

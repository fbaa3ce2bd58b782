import { Body, Controller, Get, Logger, Post, Query, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config.js';
import { randomToken, safeEqual, sha256 } from '../common/crypto/tokens.js';
import { BrowserError } from '../common/errors/problem.js';
import { withParams } from '../common/errors/oauth-errors.js';
import { hasBody, isForm } from '../common/web/body-parsers.js';
import { html, sendPage } from '../common/web/page.js';
import { formTargetSource } from '../common/web/security-headers.js';
import type { Environment } from '../database/directory-databases.js';
import type { OAuthClientEntity } from '../oauth/clients/client.entity.js';
import { ClientsService, isRegisteredUri } from '../oauth/clients/clients.service.js';
import { SigningKeys } from '../oauth/keys/signing-keys.js';
import { type IdTokenHint, readIdTokenHint } from '../oauth/tokens/id-token-hint.js';
import { TenantRuntime } from '../tenants/tenant-runtime.js';
import { type SsoSession, SsoSessions } from './sso-sessions.js';
import { clipName } from '../common/validation/field-path.js';

type Req = Request & { id?: string };
const TITLE = 'Sign-out could not continue';
const environments: Environment[] = ['production', 'training'];

/**
 * RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0) at /oauth2/logout:
 * 1. only this browser's own session (its cookie) is ever ended. With an id_token_hint (one of our ID tokens,
 *    expired ones accepted) whose sid is that session, it ends without asking; otherwise (no hint, or a hint
 *    naming another browser's session) the user confirms first, so a logout link on another site, or someone
 *    holding another person's ID token, cannot sign anyone out;
 * 2. post_logout_redirect_uri must be registered for the client exactly, and the client must be known
 *    (from the hint's audience or client_id); otherwise an error page, never a redirect;
 * 3. the session ends and every grant issued in it is revoked (refresh tokens fail, access tokens introspect
 *    inactive);
 * 4. where the tenant's Okta has an end_session_endpoint, the browser goes there with the Okta ID token as
 *    id_token_hint, and comes back to /oauth2/logout/callback, then on to the app with its state.
 */
@ApiExcludeController()
@Controller('oauth2')
export class LogoutController {
  private readonly log = new Logger(LogoutController.name);

  constructor(
    private readonly sessions: SsoSessions,
    private readonly clients: ClientsService,
    private readonly keys: SigningKeys,
    private readonly runtime: TenantRuntime,
    private readonly db: DataSource,
    private readonly config: AppConfig,
  ) {}

  @Get('logout')
  logoutGet(@Query() query: Record<string, unknown>, @Req() req: Req, @Res() res: Response) {
    return this.logout(query, req, res, false);
  }

  /** RP-Initiated Logout §2: by POST, the parameters are a form (Form Serialization); no other body is read. */
  @Post('logout')
  logoutPost(@Body() body: Record<string, unknown>, @Req() req: Req, @Res() res: Response) {
    if (hasBody(req) && !isForm(req)) throw new BrowserError(415, TITLE, 'A sign-out request sent by POST must be a form (application/x-www-form-urlencoded).');
    return this.logout(body ?? {}, req, res, true);
  }

  /**
   * Back from the tenant's Okta sign-out, which returns the state we sent it (logout() always sends one). Our session
   * ended before the browser went there; this only continues. Without a state we issued, or with one already used,
   * it is no sign-out's return: saying "signed out" would tell someone who is still signed in that they are not.
   */
  @Get('logout/callback')
  async callback(@Query('state') state: unknown, @Res() res: Response): Promise<void> {
    const next = typeof state === 'string' ? await this.sessions.continuation(state) : undefined;
    if (next === undefined) throw new BrowserError(400, 'This sign-out link is not valid', 'This sign-out link is not valid or has expired, so it did nothing: no one was signed out and nothing was changed. To sign out, use the sign-out of your application.');
    if (next) return this.redirect(res, next.uri, next.state);
    this.signedOut(res);
  }

  private async logout(raw: Record<string, unknown>, req: Req, res: Response, posted: boolean): Promise<void> {
    const p: Record<string, string> = {};
    for (const [k, v] of Object.entries(raw)) {
      if (typeof v !== 'string') throw new BrowserError(400, TITLE, `The parameter ${clipName(k)} is repeated or malformed.`);
      if (v.length > 8192) throw new BrowserError(400, TITLE, `The parameter ${clipName(k)} is too long.`);
      p[k] = v;
    }
    const hint = p.id_token_hint ? await this.readHint(p.id_token_hint) : undefined;
    const clientId = p.client_id ?? hint?.clientId;
    if (p.client_id && hint && !hint.audience.includes(p.client_id)) throw new BrowserError(400, TITLE, 'client_id does not match the ID token given as id_token_hint.');
    let client: OAuthClientEntity | null = null;
    if (clientId) {
      client = await this.clients.find(clientId);
      if (!client) throw new BrowserError(400, TITLE, 'The application is not registered with this service (unknown client_id).');
    }
    const redirectUri = p.post_logout_redirect_uri;
    if (redirectUri !== undefined) {
      if (!client) throw new BrowserError(400, TITLE, 'post_logout_redirect_uri needs the application to be identified (id_token_hint or client_id).');
      if (!isRegisteredUri(client.postLogoutRedirectUris, redirectUri)) throw new BrowserError(400, TITLE, 'The application asked to return to an address that is not registered for it (post_logout_redirect_uri).');
    }
    if (p.state !== undefined && p.state.length > 2000) throw new BrowserError(400, TITLE, 'state is too long (at most 2000 characters).');
    const redirect = redirectUri ? { uri: redirectUri, ...(p.state !== undefined ? { state: p.state } : {}) } : null;

    // Only ever this browser's own session (its cookie). The hint signs it out without asking only when its sid
    // names that very session; a hint naming another browser's session (or none) ends nothing by itself.
    const ownIn = client ? [client.environment] : environments;
    const own = new Map<Environment, SsoSession>();
    for (const env of hint?.sid ? environments : ownIn) {
      const s = await this.sessions.current(req, env); // no query without the environment's cookie
      if (s) own.set(env, s);
    }
    const named = hint?.sid ? environments.find((env) => own.get(env)?.publicId === hint.sid) : undefined;
    const environment = named ?? ownIn.find((env) => own.has(env));
    const session = environment ? own.get(environment) : undefined;
    if (session && !named) {
      // The user confirms, with a value only this browser's cookie can produce.
      const expected = this.confirmation(req, session.environment);
      if (!posted || !p.confirm || !expected || !safeEqual(p.confirm, expected)) return this.confirmPage(res, { ...p, ...(clientId ? { client_id: clientId } : {}) }, expected!, session.tenantId);
    }

    if (!session) return redirect ? this.redirect(res, redirect.uri, redirect.state) : this.signedOut(res);
    const stateHandle = randomToken(24);
    const upstreamIdToken = this.sessions.upstreamIdToken(req, session.environment);
    const ended = await this.sessions.end(session.publicId, 'logout', { stateHandle, redirect });
    this.sessions.clearCookie(res, session.environment);
    const endSession = ended ? await this.oktaEndSession(ended.tenantId) : undefined;
    if (ended && endSession && upstreamIdToken) {
      const url = new URL(endSession);
      url.searchParams.set('id_token_hint', upstreamIdToken);
      url.searchParams.set('post_logout_redirect_uri', `${this.config.publicUrl}/oauth2/logout/callback`);
      url.searchParams.set('state', stateHandle);
      res.set('Cache-Control', 'no-store').redirect(302, url.toString());
      return;
    }
    await this.sessions.continuation(stateHandle); // not going to Okta: nothing to come back for
    return redirect ? this.redirect(res, redirect.uri, redirect.state) : this.signedOut(res);
  }

  /** Our own ID token (signature and issuer; an expired one is still a good hint, as the spec allows). */
  private async readHint(token: string): Promise<IdTokenHint> {
    const hint = await readIdTokenHint(token, this.keys, this.config.publicUrl);
    if (!hint) throw new BrowserError(400, TITLE, 'The sign-out request is not valid: id_token_hint is not an ID token issued by this service.');
    return hint;
  }

  private async oktaEndSession(tenantId: string): Promise<string | undefined> {
    try {
      const rows = await this.db.query(`SELECT id, slug, status, active_version FROM tenants WHERE id = $1 AND active_version IS NOT NULL`, [tenantId]);
      if (!rows[0]) return undefined;
      const tenant = await this.runtime.load({ id: rows[0].id, version: rows[0].active_version });
      return tenant.config.okta.endpoints.endSession;
    } catch (e) {
      // Our session is already ended and its tokens revoked; Okta's logout is a courtesy that can be skipped.
      this.log.warn({ err: e, tenantId }, 'Could not read the tenant configuration for the Okta logout');
      return undefined;
    }
  }

  private confirmation(req: Req, environment: Environment): string | undefined {
    const handle = this.sessions.handle(req, environment);
    return handle ? sha256(`logout-confirmation:${handle}`) : undefined;
  }

  /**
   * Asks the user to confirm. The form posts back here (a relative action: the page is served at …/oauth2/logout,
   * also under a PUBLIC_URL with a path), and its submission is redirected on to the tenant's Okta sign-out or
   * straight to the app's post_logout_redirect_uri: form-action names both (pageCsp).
   */
  private async confirmPage(res: Response, p: Record<string, string>, confirm: string, tenantId: string): Promise<void> {
    const keep = ['client_id', 'post_logout_redirect_uri', 'state'].filter((k) => p[k] !== undefined);
    const targets = [await this.oktaEndSession(tenantId), p.post_logout_redirect_uri].map((uri) => (uri ? formTargetSource(uri) : undefined));
    sendPage(res, 200, 'Sign out', html`<p>Sign out of iQmetrix applications on this device?</p>
<form method="post" action="logout">
${keep.map((k) => html`<input type="hidden" name="${k}" value="${p[k]}">`)}
<input type="hidden" name="confirm" value="${confirm}">
<button type="submit">Sign out</button>
</form>`, targets.filter((t) => t !== undefined));
  }

  /** Back to the app's registered post_logout_redirect_uri, its query kept as registered, with its state. */
  private redirect(res: Response, uri: string, state?: string): void {
    res.set('Cache-Control', 'no-store').redirect(302, withParams(uri, { state }));
  }

  private signedOut(res: Response): void {
    sendPage(res, 200, 'Signed out', html`<p>You have been signed out. You can close this window.</p>`);
  }
}


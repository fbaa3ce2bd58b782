import { Injectable } from '@nestjs/common';
import {
  AuthorizationRedirectError, InvalidRequest, InvalidScope, type OAuthError, UnauthorizedClient, UnsupportedResponseType,
} from '../common/errors/oauth-errors.js';
import { BrowserError } from '../common/errors/problem.js';
import { MALFORMED_ENCODING } from '../common/errors/unsafe-input.js';
import { clipName } from '../common/validation/field-path.js';
import { AppConfig } from '../config/app-config.js';
import type { PendingAuthorization } from './authorization-request.js';
import type { OAuthClientEntity } from './clients/client.entity.js';
import { ClientsService, isRegisteredUri } from './clients/clients.service.js';
import { SigningKeys } from './keys/signing-keys.js';
import { type IdTokenHint, readIdTokenHint } from './tokens/id-token-hint.js';
import { EMPTY_SCOPE, scopeTokens } from './scope.js';

export const supportedScopes = ['openid', 'profile', 'email', 'offline_access'] as const;

export interface ValidatedAuthorization {
  client: OAuthClientEntity;
  request: PendingAuthorization;
  /** Our extension: an explicit tenant slug, when the app knows it. */
  tenant?: string;
  /** id_token_hint, verified as one of our ID tokens (OIDC Core §3.1.2.1): who the app believes is signed in. */
  idTokenHint?: IdTokenHint;
  /** The parameters, as validated, for re-posting from the home-realm page. */
  params: Record<string, string>;
}

const known = ['response_type', 'client_id', 'redirect_uri', 'scope', 'state', 'nonce', 'code_challenge', 'code_challenge_method', 'login_hint', 'prompt', 'tenant', 'environment', 'response_mode', 'max_age', 'ui_locales', 'display', 'acr_values', 'id_token_hint'];

/**
 * The authorization endpoint's checks (RFC 6749 §4.1.1, RFC 7636, OIDC Core §3.1.2.1), in the order that
 * decides where an error goes: until the client and its exact redirect_uri are known, the user sees an
 * error page (never a redirect to an unverified URI); after that, the error goes back to the app.
 */
@Injectable()
export class AuthorizeValidator {
  constructor(
    private readonly clients: ClientsService,
    private readonly keys: SigningKeys,
    private readonly config: AppConfig,
  ) {}

  /**
   * `malformed`: every parameter whose name or value is not UTF-8 text (common/web/percent-encoding.ts), left out
   * like a repeated one and refused in the same place: the value read would not be the one the app sent.
   */
  async validate(raw: Record<string, unknown>, malformed: readonly string[] = []): Promise<ValidatedAuthorization> {
    const params: Record<string, string> = {};
    const repeated: string[] = [];
    for (const [k, v] of Object.entries(raw)) {
      if (typeof v !== 'string') repeated.push(clipName(k));
      else if (!malformed.includes(k)) params[k] = v;
    }
    // RFC 6749 §3.1: parameters are not repeated. Until the redirect_uri is known, on the page; then, to the app.
    const unreadable = (name: string) =>
      repeated.includes(name) ? `${name} is repeated (parameters must not be repeated)` : malformed.includes(name) ? `${name} ${MALFORMED_ENCODING}` : undefined;
    for (const name of ['client_id', 'redirect_uri']) {
      const why = unreadable(name);
      if (why) throw new BrowserError(400, 'Sign-in could not start', `The application sent a malformed request: ${why}.`);
    }
    const clientId = params.client_id;
    if (!clientId) throw new BrowserError(400, 'Sign-in could not start', 'The application did not identify itself (client_id is missing).');
    const client = await this.clients.find(clientId);
    if (!client) throw new BrowserError(400, 'Sign-in could not start', 'The application is not registered with this service (unknown client_id).');
    const redirectUri = params.redirect_uri;
    if (!redirectUri) throw new BrowserError(400, 'Sign-in could not start', 'The application did not say where to return (redirect_uri is missing).');
    if (!isRegisteredUri(client.redirectUris, redirectUri)) {
      throw new BrowserError(400, 'Sign-in could not start', 'The application asked to return to an address that is not registered for it (redirect_uri).');
    }
    const state = params.state;
    const fail = (e: OAuthError): never => {
      throw new AuthorizationRedirectError(e, redirectUri, state !== undefined && state.length <= 2000 ? state : undefined, this.config.publicUrl);
    };

    if (repeated.length) fail(new InvalidRequest(`Parameters must not be repeated: ${repeated.join(', ')}.`));
    if (malformed.length) fail(new InvalidRequest(`${clipName(malformed[0]!) || 'A parameter'} ${MALFORMED_ENCODING}.`));
    if (state !== undefined && state.length > 2000) fail(new InvalidRequest('state is too long (at most 2000 characters).'));
    if (params.request !== undefined || params.request_uri !== undefined) fail(new InvalidRequest('Request objects are not supported.'));
    if (params.response_type !== 'code') fail(new UnsupportedResponseType('Only response_type=code is supported.'));
    if (params.response_mode !== undefined && params.response_mode !== 'query') fail(new InvalidRequest('Only response_mode=query is supported.'));
    if (!client.grantTypes.includes('authorization_code')) fail(new UnauthorizedClient('This client may not use the authorization code flow.'));
    if (!params.code_challenge) fail(new InvalidRequest('PKCE is required: send code_challenge with code_challenge_method=S256.'));
    if (params.code_challenge_method !== 'S256') fail(new InvalidRequest('code_challenge_method must be S256.'));
    if (!/^[A-Za-z0-9_-]{43}$/.test(params.code_challenge!)) fail(new InvalidRequest('code_challenge must be a base64url SHA-256 value (43 characters).'));
    const scope = params.scope === undefined ? ['openid'] : scopeTokens(params.scope) ?? fail(new InvalidScope(EMPTY_SCOPE));
    const unknown = scope.filter((s) => !(supportedScopes as readonly string[]).includes(s));
    if (unknown.length) fail(new InvalidScope(`Unsupported scope: ${unknown.join(' ').slice(0, 100)}.`));
    if (params.nonce !== undefined && params.nonce.length > 500) fail(new InvalidRequest('nonce is too long (at most 500 characters).'));
    const prompts = (params.prompt ?? '').split(' ').filter(Boolean);
    if (prompts.some((p) => !['none', 'login', 'consent', 'select_account'].includes(p))) fail(new InvalidRequest('prompt has an unsupported value.'));
    if (prompts.includes('none') && prompts.length > 1) fail(new InvalidRequest('prompt=none cannot be combined with other values.'));
    if (params.max_age !== undefined && !/^\d{1,9}$/.test(params.max_age)) fail(new InvalidRequest('max_age must be a non-negative number of seconds.'));
    if (params.login_hint !== undefined && params.login_hint.length > 320) fail(new InvalidRequest('login_hint is too long.'));
    // Our extension: environment=training asks for a training sign-in. A training client is always training.
    const asked = params.environment;
    if (asked !== undefined && asked !== 'production' && asked !== 'training') fail(new InvalidRequest('environment must be production or training.'));
    if (client.environment === 'training' && asked === 'production') fail(new InvalidRequest('This application is registered for training; it cannot ask for a production sign-in.'));
    const environment = client.environment === 'training' ? 'training' : (asked ?? 'production') as 'production' | 'training';
    // A hint must be one of our ID tokens (expired ones too): anything else is the app's mistake, told to the app.
    const idTokenHint = params.id_token_hint ? await readIdTokenHint(params.id_token_hint, this.keys, this.config.publicUrl)
      ?? fail(new InvalidRequest('id_token_hint is not an ID token issued by this service.')) : undefined;

    const request: PendingAuthorization = {
      clientId,
      redirectUri,
      scope,
      state,
      nonce: params.nonce,
      codeChallenge: params.code_challenge!,
      environment,
      loginHint: params.login_hint?.trim() || undefined,
      prompt: prompts.includes('login') ? 'login' : prompts.includes('none') ? 'none' : undefined,
      maxAge: params.max_age !== undefined ? Number(params.max_age) : undefined,
    };
    const echo = Object.fromEntries(Object.entries(params).filter(([k]) => known.includes(k)));
    return { client, request, tenant: params.tenant, ...(idTokenHint ? { idTokenHint } : {}), params: echo };
  }
}

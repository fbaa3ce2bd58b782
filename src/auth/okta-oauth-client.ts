import { OutboundError, OutboundHttp, type OutboundResponse } from '../common/http/outbound-http.js';
import type { LoadedTenant } from '../tenants/tenant-runtime.js';
import type { OktaEndpoint } from '../observability/metrics.js';
import { IdTokenVerifier } from './id-token-verifier.js';
import type { LoginState } from './login-state.store.js';
import { classifyRefusal, CLIENT_CREDENTIALS_REFUSED, fromOutbound, oktaErrorCode, UpstreamError } from './upstream-errors.js';

type TokenCallback = (err: unknown, accessToken?: string, refreshToken?: string, params?: Record<string, unknown>) => void;
type GetCallback = (err: unknown, body?: string, res?: unknown) => void;

/** The request a callback is being handled for: what we verified is left here for the verify step. */
export interface UpstreamRequest {
  loginState?: LoginState;
  verifiedIdToken?: Record<string, unknown>;
  /** The ID token as Okta sent it, kept (sealed) with our SSO session for id_token_hint at Okta's logout. */
  upstreamIdToken?: string;
}

/** RFC 6749 §2.3.1: client_id and secret are form-encoded before Base64 (so +, %, : and spaces survive). */
export function basicCredentials(clientId: string, secret: string): string {
  const enc = (v: string) => encodeURIComponent(v).replace(/%20/g, '+').replace(/[!'()*~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `Basic ${Buffer.from(`${enc(clientId)}:${enc(secret)}`).toString('base64')}`;
}

export function parseJson(res: OutboundResponse, what: string): Record<string, unknown> {
  if (!/^application\/(.+\+)?json\b/i.test(res.headers['content-type'] ?? '')) {
    throw new UpstreamError('okta-bad-response', `Your company's Okta answered the ${what} request with ${res.headers['content-type'] ?? 'no content type'} instead of JSON.`);
  }
  try {
    const v = JSON.parse(res.body.toString('utf8'));
    if (v && typeof v === 'object' && !Array.isArray(v)) return v;
  } catch {
    /* fall through */
  }
  throw new UpstreamError('okta-bad-response', `Your company's Okta answered the ${what} request with malformed JSON.`);
}

/**
 * Stands in for passport-openidconnect's node-oauth client, per request, to close its gaps:
 * - the code exchange authenticates with HTTP Basic (client_secret_basic, the guide's example) or
 *   client_secret_post as the tenant chooses, never both, and sends the PKCE code_verifier;
 * - the ID token is verified (signature, iss, aud/azp, exp/iat, nonce) before passport sees it;
 * - UserInfo is fetched with the access token and must be JSON;
 * - every call goes through OutboundHttp (verified TLS, time and size bounds, address policy).
 * The properties passport reads (_authorizeUrl, _accessTokenUrl, _clientId) are provided too.
 */
export class OktaOAuthClient {
  readonly _authorizeUrl: string;
  readonly _accessTokenUrl: string;
  readonly _clientId: string;

  constructor(
    private readonly tenant: LoadedTenant,
    private readonly http: OutboundHttp,
    private readonly verifier: IdTokenVerifier,
    private readonly req?: UpstreamRequest,
  ) {
    this._authorizeUrl = tenant.config.okta.endpoints.authorization;
    this._accessTokenUrl = tenant.config.okta.endpoints.token;
    this._clientId = tenant.config.okta.clientId;
  }

  forRequest(req: UpstreamRequest): OktaOAuthClient {
    return new OktaOAuthClient(this.tenant, this.http, this.verifier, req);
  }

  /** node-oauth signature, as passport-openidconnect calls it. */
  getOAuthAccessToken(code: string, params: Record<string, string>, callback: TokenCallback): void {
    const state = this.req?.loginState;
    if (!state) return callback(new UpstreamError('okta-error', 'The sign-in state was lost.'));
    this.tokenRequest({ grant_type: 'authorization_code', code, redirect_uri: params.redirect_uri!, code_verifier: state.codeVerifier }, state.nonce)
      .then((r) => callback(null, r.access_token as string, r.refresh_token as string | undefined, r), (e) => callback(e));
  }

  /**
   * POSTs a grant to the tenant's token endpoint with the tenant's client authentication, and verifies the
   * ID token in the answer. `nonce` is null for grants that carry none (the password grant).
   */
  async tokenRequest(form: Record<string, string>, nonce: string | null): Promise<Record<string, unknown>> {
    const { okta } = this.tenant.config;
    const body = new URLSearchParams(form);
    const headers: Record<string, string> = { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' };
    if (okta.tokenEndpointAuthMethod === 'client_secret_post') {
      body.set('client_id', okta.clientId);
      body.set('client_secret', this.tenant.clientSecret);
    } else {
      headers.authorization = basicCredentials(okta.clientId, this.tenant.clientSecret);
    }
    // Never retried: the code is single-use, and a repeated password grant counts against the user's lockout.
    const res = await this.call(okta.endpoints.token, { method: 'POST', headers, body: body.toString() }, 'token');
    if (res.status !== 200) throw tokenError(res);
    const json = parseJson(res, 'token');
    // Absent (the scope not granted) and present but not a string (Okta answering wrongly) are different faults.
    if (typeof json.access_token !== 'string') throw new UpstreamError('okta-bad-response', json.access_token === undefined ? "Your company's Okta sent no access token." : "Your company's Okta sent a malformed access token (not a string).");
    if (typeof json.id_token !== 'string') throw new UpstreamError('okta-bad-response', json.id_token === undefined ? "Your company's Okta sent no ID token; check the openid scope is granted." : "Your company's Okta sent a malformed ID token (not a string).");
    const claims = await this.verifier.verify(json.id_token, {
      issuer: okta.issuer,
      clientId: okta.clientId,
      jwksUri: okta.endpoints.jwks,
      tenant: { id: this.tenant.id, slug: this.tenant.slug },
      nonce,
    });
    if (this.req) {
      this.req.verifiedIdToken = claims as Record<string, unknown>;
      this.req.upstreamIdToken = json.id_token;
    }
    return json;
  }

  /** node-oauth signature: passport-openidconnect fetches UserInfo through this. */
  get(url: string, accessToken: string, callback: GetCallback): void {
    this.userinfo(url, accessToken).then((body) => callback(null, body), (e) => callback(e));
  }

  async userinfo(url: string, accessToken: string): Promise<string> {
    // A GET with the access token: safe to repeat after a connection failure or a 502/503/504.
    const res = await this.call(url, { headers: { accept: 'application/json', authorization: `Bearer ${accessToken}` }, retry: true }, 'UserInfo');
    // Okta issued this access token a moment ago: refusing it now is Okta's fault or its configuration's, not the user's.
    if (res.status !== 200) throw new UpstreamError('okta-unexpected', `Your company's Okta answered the UserInfo request with HTTP ${res.status} instead of the user's claims.`);
    parseJson(res, 'UserInfo');
    return res.body.toString('utf8');
  }

  private async call(url: string, req: Parameters<OutboundHttp['fetch']>[1], what: 'token' | 'UserInfo'): Promise<OutboundResponse> {
    let res: OutboundResponse;
    const endpoint: OktaEndpoint = what === 'token' ? 'token' : 'userinfo';
    try {
      res = await this.http.fetch(url, { ...req, tenant: { id: this.tenant.id, slug: this.tenant.slug }, endpoint });
    } catch (e) {
      if (e instanceof OutboundError) throw fromOutbound(e, `the ${what} request`);
      throw e;
    }
    if (res.status >= 500) throw new UpstreamError('okta-server-error', `Your company's Okta had an error answering the ${what} request (HTTP ${res.status}).`);
    return res;
  }
}

/**
 * A token endpoint answer other than 200 (429 and 5xx are handled before): a refusal only when Okta says so with a
 * 4xx and an OAuth error code it uses for one (upstream-errors.ts); its own outage codes are an outage; anything
 * else (a 404 or 403 page, a redirect, a 400 without a readable error, an unexpected code) is named as answered.
 */
function tokenError(res: OutboundResponse): UpstreamError {
  const json = safeJson(res);
  const code = oktaErrorCode(json?.error);
  const refusal = res.status >= 400 && res.status < 500 ? classifyRefusal(code, json?.error_description) : undefined;
  if (refusal) return new UpstreamError('okta-error', refusal === 'client-auth' ? CLIENT_CREDENTIALS_REFUSED : `Your company's Okta refused the sign-in (${code}).`, code, undefined, refusal);
  if (code === 'temporarily_unavailable' || code === 'server_error') {
    return new UpstreamError('okta-server-error', `Your company's Okta had an error answering the token request (${code}).`, code);
  }
  return new UpstreamError('okta-unexpected', code
    ? `Your company's Okta answered the token request with an error this service does not expect (${code}, HTTP ${res.status}).`
    : `Your company's Okta answered the token request with HTTP ${res.status} and no OAuth error.`, code);
}

function safeJson(res: OutboundResponse): Record<string, unknown> | undefined {
  try {
    return JSON.parse(res.body.toString('utf8'));
  } catch {
    return undefined;
  }
}

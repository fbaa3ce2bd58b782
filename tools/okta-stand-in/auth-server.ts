import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { JWTPayload } from 'jose';
import type { Provider } from 'oidc-provider';
import { AccountStore, type TestUser, type UserInput, type UserPatch } from './accounts.js';
import { MemoryStore } from './adapter.js';
import { Faults, type Endpoint, type RequestRecord } from './faults.js';
import { SigningKeys, tamperSignature, type SignJwtOptions } from './keys.js';
import { buildProvider } from './provider-config.js';
import { OKTA_ROUTES } from './routes.js';

export interface ClientInput {
  client_id: string;
  client_secret?: string;
  redirect_uris?: string[];
  /** Default client_secret_basic; also client_secret_post, client_secret_jwt, private_key_jwt, none. */
  token_endpoint_auth_method?: string;
  /** Default authorization_code and refresh_token; add password / client_credentials as needed. */
  grant_types?: string[];
  post_logout_redirect_uris?: string[];
  /** Any other client metadata oidc-provider understands (scope, jwks, application_type...). */
  [metadata: string]: unknown;
}

/** One Okta custom authorization server (`/oauth2/{id}`), backed by its own oidc-provider. */
export class AuthServer {
  readonly issuer: string;
  /** Every request this authorization server received, oldest first. */
  readonly requests: RequestRecord[] = [];
  /** Change what the next or every response of an endpoint is. */
  readonly faults = new Faults();
  readonly endpoints: Record<'discovery' | 'authorization' | 'token' | 'userinfo' | 'jwks' | 'logout' | 'revocation' | 'introspection', string>;

  private readonly store = new MemoryStore();
  private readonly keys = new SigningKeys();
  // oidc-provider reads the claim list once, when built: a new claim name means a rebuild.
  private readonly accounts = new AccountStore(() => { this.provider = undefined; });
  private readonly cookieKeys = [randomBytes(32).toString('base64url')];
  private provider?: Promise<{ provider: Provider; handle: (req: IncomingMessage, res: ServerResponse) => void }>;

  constructor(readonly id: string, origin: string, private readonly signal: AbortSignal) {
    this.issuer = `${origin}/oauth2/${id}`;
    this.endpoints = {
      discovery: `${this.issuer}/.well-known/openid-configuration`,
      authorization: this.issuer + OKTA_ROUTES.authorization,
      token: this.issuer + OKTA_ROUTES.token,
      userinfo: this.issuer + OKTA_ROUTES.userinfo,
      jwks: this.issuer + OKTA_ROUTES.jwks,
      logout: this.issuer + OKTA_ROUTES.end_session,
      revocation: this.issuer + OKTA_ROUTES.revocation,
      introspection: this.issuer + OKTA_ROUTES.introspection,
    };
  }

  /** Register (or replace) a client; takes effect immediately, also while running. */
  async addClient({
    client_id, token_endpoint_auth_method = 'client_secret_basic',
    grant_types = ['authorization_code', 'refresh_token'], ...rest
  }: ClientInput): Promise<Record<string, unknown>> {
    const metadata = {
      client_id,
      token_endpoint_auth_method,
      grant_types,
      response_types: grant_types.includes('authorization_code') ? ['code'] : [],
      ...rest,
    };
    const { provider } = await this.current();
    await provider.Client.validate(metadata); // throws invalid_client_metadata / invalid_redirect_uri now, not at first use
    await new (this.store.adapterFor())('Client').upsert(client_id, metadata);
    return metadata;
  }

  removeClient(clientId: string): Promise<void> {
    return new (this.store.adapterFor())('Client').destroy(clientId);
  }

  /** Create or replace the user signing in as `login` (password, Okta user id `sub`, claims). */
  setUser(login: string, user: UserInput): TestUser {
    return this.accounts.set(login, user);
  }

  /** Change a user between logins (claims are merged; a claim set to undefined is removed). */
  updateUser(login: string, patch: UserPatch): TestUser {
    return this.accounts.update(login, patch);
  }

  getUser(login: string): TestUser | undefined {
    return this.accounts.get(login);
  }

  requestsTo(endpoint: Endpoint): RequestRecord[] {
    return this.requests.filter((r) => r.endpoint === endpoint);
  }

  clearRequests(): void {
    this.requests.length = 0;
  }

  get signingKid(): string {
    return this.keys.currentKid;
  }

  /** Kids currently published at /v1/keys, signing key first. */
  get publishedKids(): string[] {
    return this.keys.kids;
  }

  /** A new RS256 key (new kid) signs from now on; old keys stay in the JWKS unless keepOld is false. */
  rotateSigningKey(options: { keepOld?: boolean } = {}): string {
    const kid = this.keys.rotate(options);
    this.provider = undefined;
    return kid;
  }

  /** Sign exactly `payload` with the signing key (or `kid`, or a key not in the JWKS). */
  signJwt(payload: JWTPayload, options?: SignJwtOptions): Promise<string> {
    return this.keys.sign(payload, options);
  }

  /** An ID-token-shaped JWT for `aud`: iss/iat/exp/auth_time filled in, `claims` override anything. */
  mintIdToken(claims: JWTPayload & { sub: string; aud: string | string[] }, options?: SignJwtOptions): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    return this.signJwt({ iss: this.issuer, iat: now, exp: now + 3600, auth_time: now, ...claims }, options);
  }

  tamperSignature(jwt: string): string {
    return tamperSignature(jwt);
  }

  /** Node request handler for paths under /oauth2/{id} (req.url already relative to the issuer). */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    (await this.current()).handle(req, res);
  }

  // Built lazily and rebuilt after a key rotation or new claim names (oidc-provider reads both
  // only when constructed); all state lives in the store and survives the rebuild.
  private current() {
    if (this.provider) return this.provider;
    const building = buildProvider({
      issuer: this.issuer,
      id: this.id,
      store: this.store,
      keys: this.keys,
      accounts: this.accounts,
      cookieKeys: this.cookieKeys,
      log: this.requests,
      faults: this.faults,
      signal: this.signal,
    }).then((provider) => ({ provider, handle: provider.callback() }));
    building.catch(() => { if (this.provider === building) this.provider = undefined; });
    this.provider = building;
    return this.provider;
  }
}

// Just enough types for the parts of oidc-provider 9 the stand-in uses (the package ships none).
declare module 'oidc-provider' {
  import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';

  /** The Koa context, with `oidc` present only on oidc-provider's own routes. */
  export interface KoaContextWithOIDC {
    method: string;
    path: string;
    url: string;
    href: string;
    querystring: string;
    headers: IncomingHttpHeaders;
    req: IncomingMessage & { originalUrl?: string };
    res: ServerResponse;
    status: number;
    body: unknown;
    type: string;
    respond: boolean;
    state: Record<string, unknown>;
    get(field: string): string;
    set(field: string, value: string | string[]): void;
    redirect(url: string): void;
    oidc: OIDCContext;
  }

  export interface OIDCContext {
    provider: Provider;
    client: Client;
    params: Record<string, string | undefined>;
    body?: Record<string, string | string[]>;
    session: { accountId?: string; grantIdFor(clientId: string): string | undefined };
    result?: { consent?: { grantId?: string } };
    requestParamScopes: Set<string>;
  }

  export type Middleware = (ctx: KoaContextWithOIDC, next: () => Promise<void>) => Promise<void>;

  export interface Client {
    clientId: string;
    grantTypeAllowed(grantType: string): boolean;
  }

  export interface Interaction {
    uid: string;
    prompt: { name: string; reasons: string[]; details: Record<string, unknown> };
    params: Record<string, unknown>;
    session?: { accountId: string };
    grantId?: string;
  }

  export interface Account {
    accountId: string;
    claims(use: string, scope: string, claims?: object, rejected?: string[]): Promise<Record<string, unknown>>;
  }

  export interface AdapterPayload { [key: string]: unknown; uid?: string; grantId?: string; userCode?: string; consumed?: number }

  export interface Adapter {
    upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void>;
    find(id: string): Promise<AdapterPayload | undefined>;
    findByUid(uid: string): Promise<AdapterPayload | undefined>;
    findByUserCode(userCode: string): Promise<AdapterPayload | undefined>;
    consume(id: string): Promise<void>;
    destroy(id: string): Promise<void>;
    revokeByGrantId(grantId: string): Promise<void>;
  }

  export type Configuration = Record<string, unknown>;

  export class Provider {
    constructor(issuer: string, configuration?: Configuration);
    /** The Koa context of the request being handled (AsyncLocalStorage). */
    static readonly ctx: KoaContextWithOIDC | undefined;
    readonly issuer: string;
    use(middleware: Middleware): this;
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
    on(event: string, listener: (...args: any[]) => void): this;
    registerGrantType(name: string, handler: (ctx: KoaContextWithOIDC) => Promise<void>, params?: string[]): void;
    interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<Interaction>;
    interactionResult(
      req: IncomingMessage, res: ServerResponse, result: Record<string, unknown>,
      options?: { mergeWithLastSubmission?: boolean },
    ): Promise<string>;
    // Models: loosely typed on purpose.
    readonly Grant: any;
    readonly AccessToken: any;
    readonly RefreshToken: any;
    readonly IdToken: any;
    readonly Client: any;
  }

  type ErrorClass = new (...args: any[]) => Error & { error: string; error_description?: string; status: number };
  export const errors: {
    CustomOIDCProviderError: new (error: string, description?: string) => Error;
    InvalidScope: new (description: string, scope?: string) => Error;
    SessionNotFound: ErrorClass;
    [name: string]: ErrorClass;
  };

  export default Provider;
}

// Where oidc-provider 9 and Okta's custom authorization servers disagree, behave like Okta.
import type { KoaContextWithOIDC, Middleware, Provider } from 'oidc-provider';
import { OKTA_ROUTES } from './routes.js';

/**
 * oidc-provider 9 accepts client_secret_basic and client_secret_post interchangeably; Okta holds
 * a client to its registered method. Its secret check is the one hook that runs after the
 * method is known, so a secret sent the other way compares as wrong (invalid_client).
 */
export function holdClientsToTheirAuthMethod(provider: Provider, providerClass: { readonly ctx?: KoaContextWithOIDC }) {
  const { prototype } = provider.Client;
  const compare = prototype.compareClientSecret as (secret: string) => boolean;
  prototype.compareClientSecret = function (this: { clientAuthMethod: string }, secret: string) {
    const sentInBody = providerClass.ctx?.oidc.params.client_secret !== undefined;
    return sentInBody === (this.clientAuthMethod === 'client_secret_post') && compare.call(this, secret);
  };
}

/**
 * Okta issues a refresh token for scope offline_access without prompt=consent; oidc-provider
 * (following OIDC Core §11) drops the scope unless consent is prompted. So such requests get
 * prompt=consent added (consent is automatic: one extra hop through the login path). The
 * request log keeps the query as the client sent it.
 */
export function offlineAccessLikeOkta(issuerPath: string): Middleware {
  return async (ctx, next) => {
    if (ctx.method === 'GET' && ctx.path === OKTA_ROUTES.authorization) {
      const params = new URLSearchParams(ctx.querystring);
      const prompts = (params.get('prompt') ?? '').split(' ').filter(Boolean);
      if (params.get('scope')?.split(' ').includes('offline_access') && !prompts.includes('consent') && !prompts.includes('none')) {
        params.set('prompt', [...prompts, 'consent'].join(' '));
        ctx.querystring = params.toString();
        ctx.req.originalUrl = issuerPath + ctx.url; // oidc-provider derives its mount path from it
      }
    }
    return next();
  };
}

/** Okta (and RFC 6749 §5.2) answer a grant type the client may not use with unauthorized_client. */
export const unauthorizedClient: Middleware = async (ctx, next) => {
  await next();
  const body = ctx.body as { error?: string; error_description?: string } | undefined;
  if (body?.error === 'invalid_request' && body.error_description === 'requested grant type is not allowed for this client') {
    const configured = (ctx.oidc.client as unknown as { grantTypes?: string[] } | undefined)?.grantTypes?.join(', ') ?? '';
    ctx.body = {
      error: 'unauthorized_client',
      error_description: `The client is not authorized to use the provided grant type. Configured grant types: [${configured}].`,
    };
  }
};

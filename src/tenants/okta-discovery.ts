import { Injectable } from '@nestjs/common';
import type { FieldProblem } from '../common/errors/problem.js';
import { isPlainHost } from '../common/http/host-name.js';
import { OutboundError, OutboundHttp } from '../common/http/outbound-http.js';
import type { z } from 'zod';
import type { oktaEndpointsSchema } from './tenant-config.schema.js';

export type OktaEndpoints = z.infer<typeof oktaEndpointsSchema>;

export type DiscoveryResult = { ok: true; endpoints: OktaEndpoints; document: Record<string, unknown> } | { ok: false; problem: FieldProblem };

/** How a validation reads an issuer's discovery document (OktaDiscovery.discover, or `once()` of it). */
export type Discover = (issuer: string) => Promise<DiscoveryResult>;

const fail = (reason: string): DiscoveryResult => ({ ok: false, problem: { field: 'okta.issuer', reason } });

/**
 * Reads a tenant's discovery document ({issuer}/.well-known/openid-configuration) over verified TLS and
 * checks it describes exactly the configured issuer, so a trailing slash or an org-versus-custom
 * authorization server mix-up is caught when the configuration is saved, not at the first sign-in.
 */
@Injectable()
export class OktaDiscovery {
  constructor(private readonly http: OutboundHttp) {}

  /**
   * A discover that fetches each issuer's document once for as long as the caller keeps it: for one change that may
   * be saved several times (an RQ ID load merged again into a newer version), so n loads at the same time cost the
   * customer's Okta n fetches, not one per attempt (~n²/2).
   */
  once(): Discover {
    const fetched = new Map<string, Promise<DiscoveryResult>>();
    return (issuer) => {
      if (!fetched.has(issuer)) fetched.set(issuer, this.discover(issuer));
      return fetched.get(issuer)!;
    };
  }

  async discover(issuer: string): Promise<DiscoveryResult> {
    const url = `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
    const answered = (status: number) => fail(`the discovery document at ${url} answered HTTP ${status}; check the issuer is an Okta authorization server`);
    let res;
    try {
      res = await this.http.fetch(url, { headers: { accept: 'application/json' } });
    } catch (e) {
      // A 429 (thrown as rate-limited; no tenant here, so no back-off) is an answer all the same.
      if (e instanceof OutboundError && e.status !== undefined) return answered(e.status);
      if (e instanceof OutboundError) return fail(`the discovery document at ${url} could not be fetched: ${e.message}`);
      throw e;
    }
    if (res.status !== 200) return answered(res.status);
    if (!/^application\/(.+\+)?json\b/i.test(res.headers['content-type'] ?? '')) {
      return fail(`the discovery document at ${url} is not JSON (content type ${res.headers['content-type'] ?? 'none'})`);
    }
    let doc: Record<string, unknown>;
    try {
      doc = JSON.parse(res.body.toString('utf8'));
    } catch {
      return fail(`the discovery document at ${url} is not valid JSON`);
    }
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return fail(`the discovery document at ${url} is not a JSON object`);
    if (doc.issuer !== issuer) return fail(issuerMismatch(issuer, doc.issuer));
    const need = { authorization: 'authorization_endpoint', token: 'token_endpoint', userinfo: 'userinfo_endpoint', jwks: 'jwks_uri' } as const;
    const endpoints: Record<string, string> = {};
    for (const [key, name] of Object.entries(need)) {
      const v = doc[name];
      if (!isHttpsUrl(v)) return fail(`the discovery document has no HTTPS ${name}`);
      endpoints[key] = v;
    }
    const endSession = doc.end_session_endpoint;
    if (endSession !== undefined && !isHttpsUrl(endSession)) return fail('the discovery document\'s end_session_endpoint is not an HTTPS URL');
    const strings = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : undefined);
    return {
      ok: true,
      document: doc,
      endpoints: {
        authorization: endpoints.authorization!,
        token: endpoints.token!,
        userinfo: endpoints.userinfo!,
        jwks: endpoints.jwks!,
        endSession: endSession as string | undefined,
        scopesSupported: strings(doc.scopes_supported),
        tokenEndpointAuthMethods: strings(doc.token_endpoint_auth_methods_supported),
        ...(doc.authorization_response_iss_parameter_supported === true ? { issParameter: true } : {}),
      },
    };
  }
}

/** Names both values, and the usual cause: a trailing slash, or the org authorization server instead of a custom one. */
export function issuerMismatch(configured: string, published: unknown): string {
  const said = typeof published === 'string' ? published : JSON.stringify(published ?? null);
  let hint = 'use exactly the issuer the discovery document names';
  if (typeof published === 'string') {
    if (configured.replace(/\/+$/, '') === published.replace(/\/+$/, '')) hint = configured.endsWith('/') ? 'remove the trailing slash' : 'add the trailing slash Okta publishes';
    else if (/\/oauth2\/[^/]+\/?$/.test(configured) !== /\/oauth2\/[^/]+\/?$/.test(published)) {
      hint = /\/oauth2\//.test(published) ? 'this is a custom authorization server; use its issuer, with /oauth2/{id}' : 'this answered as the Okta org authorization server, not a custom one: check the /oauth2/{id} part';
    }
  }
  return `the configured issuer "${configured}" does not exactly match the issuer "${said}" in its discovery document: ${hint}`;
}

/** An endpoint this service calls or sends browsers to: an absolute https URL with a plain host (isPlainHost). */
function isHttpsUrl(v: unknown): v is string {
  if (typeof v !== 'string' || !v.startsWith('https://')) return false;
  try {
    return isPlainHost(new URL(v).hostname);
  } catch {
    return false;
  }
}

import { ProblemError } from '../../common/errors/problem.js';
import { Injectable } from '@nestjs/common';
import { SecretKeyMissing } from '../../common/crypto/secret-box.js';
import { importJWK, type JWK } from 'jose';
import { basicCredentials } from '../../auth/okta-oauth-client.js';
import { Clock } from '../../common/clock.js';
import { OutboundError, OutboundHttp, type OutboundResponse } from '../../common/http/outbound-http.js';
import { PROVISIONING_SCOPES } from '../config-validator.js';
import { issuerMismatch, type OktaEndpoints } from '../okta-discovery.js';
import type { TenantConfig } from '../tenant-config.schema.js';
import { TenantsService } from '../tenants.service.js';
import { TlsProbe } from './tls-probe.js';

export type CheckStatus = 'pass' | 'warn' | 'fail';

export interface CheckResult {
  id: 'discovery' | 'tls' | 'jwks' | 'scopes' | 'client-authentication' | 'endpoints';
  title: string;
  status: CheckStatus;
  /** One or two sentences an account manager can read to the customer. */
  summary: string;
  /** The technical facts behind it, for an engineer. Never a secret or a token. */
  details: Record<string, unknown>;
}

export interface TroubleshootReport {
  tenant: string;
  version: number;
  issuer: string;
  ranAt: string;
  status: CheckStatus;
  checks: CheckResult[];
}

const TITLES: Record<CheckResult['id'], string> = {
  discovery: 'Okta discovery document',
  tls: 'Security certificate (TLS)',
  jwks: 'Signing keys (JWKS)',
  scopes: 'Scopes the integration needs',
  'client-authentication': 'Client ID and secret',
  endpoints: 'Sign-in endpoints',
};
const STANDARD_SCOPES = new Set(['openid', 'email', 'profile', 'phone', 'address', 'offline_access', 'groups']);
const EXPIRY_WARNING_DAYS = 30;
const DAY = 86_400_000;

const result = (id: CheckResult['id'], status: CheckStatus, summary: string, details: Record<string, unknown> = {}): CheckResult => ({ id, title: TITLES[id], status, summary, details });
const worst = (a: CheckStatus, b: CheckStatus): CheckStatus => (a === 'fail' || b === 'fail' ? 'fail' : a === 'warn' || b === 'warn' ? 'warn' : 'pass');
const day = (d: Date) => d.toISOString().slice(0, 10);

/**
 * The troubleshooting tool: proves, for one tenant and configuration version, that its Okta is set up the way
 * sign-in needs it. Reads only; the client-credentials probe asks Okta for nothing it keeps (any token is dropped).
 */
@Injectable()
export class Troubleshooter {
  constructor(
    private readonly tenants: TenantsService,
    private readonly http: OutboundHttp,
    private readonly tls: TlsProbe,
    private readonly clock: Clock,
  ) {}

  async run(tenant: { id: string; slug: string }, options: { version?: number; clientSecretId?: string } = {}): Promise<TroubleshootReport> {
    if (options.clientSecretId !== undefined && !(await this.tenants.secrets(tenant.id)).some((s) => s.id === options.clientSecretId)) {
      throw ProblemError.validation([{ field: 'clientSecretId', reason: 'there is no client secret with this id for this tenant' }]);
    }
    const stored = await this.tenants.storedVersion(tenant.id, options.version);
    const config = stored.config;
    const label = { id: tenant.id, slug: tenant.slug };
    const discovery = await this.discovery(config, label);
    const doc = discovery.doc;
    const endpoints: OktaEndpoints = doc ? endpointsOf(doc, config.okta.endpoints) : config.okta.endpoints;
    const secretId = options.clientSecretId ?? config.okta.clientSecretId;
    // While Okta rate-limits us, its checks are not run (each call would be refused here) rather than failed.
    const limited = discovery.limitedUntil;
    const skip = (id: CheckResult['id']) => Promise.resolve(result(id, 'warn', `Not checked: Okta is rate-limiting this service until ${limited!.at}.`, { limitedUntil: limited!.at }));
    const checks = [
      discovery.check,
      ...(await Promise.all([
        this.certificate(config.okta.issuer),
        limited ? skip('jwks') : this.jwks(endpoints.jwks, doc, label),
        limited ? skip('scopes') : Promise.resolve(this.scopes(config, doc)),
        limited ? skip('client-authentication') : this.clientAuthentication(label, config, endpoints, doc, secretId, options.clientSecretId !== undefined),
        limited ? skip('endpoints') : this.endpoints(config, endpoints, label),
      ])),
    ];
    return {
      tenant: tenant.slug,
      version: stored.version,
      issuer: config.okta.issuer,
      ranAt: this.clock.now().toISOString(),
      status: checks.map((c) => c.status).reduce(worst, 'pass'),
      checks,
    };
  }

  private async get(url: string, label: { id: string; slug: string }, endpoint: 'discovery' | 'jwks' | 'userinfo'): Promise<OutboundResponse | OutboundError> {
    try {
      return await this.http.fetch(url, { headers: { accept: 'application/json' }, tenant: label, endpoint, retry: endpoint !== 'userinfo' });
    } catch (e) {
      if (e instanceof OutboundError) return e;
      throw e;
    }
  }

  private async discovery(config: TenantConfig, label: { id: string; slug: string }): Promise<{ check: CheckResult; doc?: Record<string, unknown>; limitedUntil?: { at: string } }> {
    const issuer = config.okta.issuer;
    const url = `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
    const res = await this.get(url, label, 'discovery');
    // HTTP 429 now, or the back-off an earlier one started (OutboundHttp refused the call): Okta answers, it is
    // limiting us; neither unreachable nor misconfigured. The error says when Okta may be called again.
    const limitedMs = res instanceof OutboundError && res.kind === 'rate-limited' ? res.retryAt : undefined;
    if (limitedMs !== undefined) {
      const at = new Date(Math.ceil(limitedMs / 1000) * 1000).toISOString().replace('.000Z', 'Z');
      const inS = Math.max(1, Math.ceil((limitedMs - Date.now()) / 1000));
      const summary = `The customer's Okta is rate-limiting this service (HTTP 429), so it is not called again until ${at} (in ${inS} s); until then this tenant's sign-ins are refused and the other Okta checks cannot run. Run the checks again after that.`;
      return { check: result('discovery', 'warn', summary, { url, status: 429, limitedUntil: at, retryAfterS: inS }), limitedUntil: { at } };
    }
    if (res instanceof OutboundError) {
      return { check: result('discovery', 'fail', `This service could not reach the customer's Okta at ${new URL(issuer).host}. Sign-ins cannot work until it can.`, { url, error: res.message }) };
    }
    const doc = parseJson(res);
    if (res.status !== 200 || !doc) {
      return { check: result('discovery', 'fail', `The customer's Okta did not answer with its configuration (HTTP ${res.status}${doc ? '' : ', not JSON'}). Check the issuer is the authorization server's, e.g. https://company.okta.com/oauth2/default.`, { url, status: res.status, contentType: res.headers['content-type'] ?? null }) };
    }
    if (doc.issuer !== issuer) {
      return { check: result('discovery', 'fail', `Okta calls itself by another name than the one configured, so every sign-in would be rejected: ${issuerMismatch(issuer, doc.issuer)}.`, { url, configured: issuer, published: doc.issuer }), doc };
    }
    const fresh = endpointsOf(doc, config.okta.endpoints);
    const moved = (['authorization', 'token', 'userinfo', 'jwks'] as const).filter((k) => fresh[k] !== config.okta.endpoints[k]);
    if (moved.length) {
      return { check: result('discovery', 'warn', `Okta answers, but now lists a different ${moved.join(', ')} address than when this configuration was saved. Save the configuration again so sign-ins use the current ones.`, { url, moved: Object.fromEntries(moved.map((k) => [k, { saved: config.okta.endpoints[k], now: fresh[k] }])) }), doc };
    }
    return { check: result('discovery', 'pass', 'Okta answers at its discovery address and names exactly the configured issuer.', { url, issuer }), doc };
  }

  private async certificate(issuer: string): Promise<CheckResult> {
    const probe = await this.tls.probe(issuer);
    if (!probe.ok) return result('tls', 'fail', `This service could not open a secure connection to ${probe.host}: ${probe.reason}`, { host: probe.host, port: probe.port });
    const leaf = probe.chain[0]!;
    const expires = new Date(leaf.validTo);
    const daysLeft = Math.floor((expires.getTime() - this.clock.now().getTime()) / DAY);
    const details = { host: probe.host, port: probe.port, protocol: probe.protocol, trusted: probe.trusted, publiclyTrusted: probe.publiclyTrusted, trustError: probe.trustError, hostnameMatches: probe.hostnameMatches, expires: leaf.validTo, daysLeft, chain: probe.chain };
    const host = probe.host;
    if (expires.getTime() <= this.clock.now().getTime() || probe.trustError === 'CERT_HAS_EXPIRED') {
      return result('tls', 'fail', `The security certificate of ${host} expired on ${day(expires)}. Sign-ins fail until the customer renews it.`, details);
    }
    if (probe.trustError === 'DEPTH_ZERO_SELF_SIGNED_CERT' || probe.trustError === 'SELF_SIGNED_CERT_IN_CHAIN' || (leaf.selfSigned && !probe.trusted)) {
      return result('tls', 'fail', `The security certificate of ${host} is self-signed, so it is not publicly trusted. The customer must use a certificate from a public certificate authority.`, details);
    }
    if (!probe.hostnameMatches || probe.trustError === 'ERR_TLS_CERT_ALTNAME_INVALID') {
      return result('tls', 'fail', `The security certificate presented is not for ${host}. The customer's Okta address and its certificate do not match.`, { ...details, hostnameError: probe.hostnameError });
    }
    if (!probe.trusted) {
      return result('tls', 'fail', `The security certificate of ${host} is not issued by a trusted certificate authority (${probe.trustError}). The customer must use a publicly trusted certificate, with its full chain.`, details);
    }
    if (daysLeft < EXPIRY_WARNING_DAYS) {
      return result('tls', 'warn', `The security certificate of ${host} is valid but expires soon, on ${day(expires)} (in ${daysLeft} day${daysLeft === 1 ? '' : 's'}). Ask the customer to renew it before then, or sign-ins will stop.`, details);
    }
    const trust = probe.publiclyTrusted
      ? 'publicly trusted'
      : 'trusted through a certificate authority added to this service (NODE_EXTRA_CA_CERTS), not a public one: right for a test or private setup, while a customer\'s Okta has a publicly trusted certificate';
    return result('tls', 'pass', `The security certificate of ${host} is valid and ${trust}; it expires on ${day(expires)} (in ${daysLeft} days).`, details);
  }

  private async jwks(url: string, doc: Record<string, unknown> | undefined, label: { id: string; slug: string }): Promise<CheckResult> {
    const res = await this.get(url, label, 'jwks');
    // A 429 is an answer (its status), not a download that failed.
    if (res instanceof OutboundError && res.status === undefined) return result('jwks', 'fail', `This service could not download Okta's signing keys, so it could not check any sign-in: ${res.message}`, { url });
    const body = res instanceof OutboundError ? undefined : parseJson(res);
    const keys = Array.isArray(body?.keys) ? (body!.keys as JWK[]) : undefined;
    if (res.status !== 200 || !keys) return result('jwks', 'fail', `Okta's signing keys address did not answer with a key set (HTTP ${res.status}). Sign-ins cannot be verified.`, { url, status: res.status });
    const usable: Array<{ kid?: string; alg?: string; kty?: string }> = [];
    const problems: string[] = [];
    for (const [i, k] of keys.entries()) {
      if (k.use && k.use !== 'sig') continue;
      try {
        await importJWK(k, k.alg ?? (k.kty === 'RSA' ? 'RS256' : k.kty === 'EC' ? 'ES256' : undefined));
        usable.push({ kid: k.kid, alg: k.alg, kty: k.kty });
      } catch {
        problems.push(`key ${k.kid ?? i} could not be read`);
      }
    }
    const signingAlgs = Array.isArray(doc?.id_token_signing_alg_values_supported) ? (doc!.id_token_signing_alg_values_supported as string[]) : undefined;
    const details = { url, keys: usable, problems, idTokenSigningAlgorithms: signingAlgs ?? null };
    if (usable.length === 0) return result('jwks', 'fail', 'Okta publishes no signing key this service can use, so no sign-in could be verified.', details);
    const algs = [...new Set(usable.map((k) => k.alg ?? `${k.kty} (no alg)`))];
    if (signingAlgs && !signingAlgs.includes('RS256')) {
      return result('jwks', 'warn', `Okta signs ID tokens with ${signingAlgs.join(', ')}; Okta normally uses RS256. Check the authorization server's settings.`, details);
    }
    if (usable.some((k) => !k.kid)) return result('jwks', 'warn', 'Okta publishes a signing key without an identifier (kid); key rotation may break sign-ins.', details);
    if (problems.length) return result('jwks', 'warn', `Okta publishes ${usable.length} usable signing key${usable.length === 1 ? '' : 's'}, but ${problems.join('; ')}.`, details);
    return result('jwks', 'pass', `Okta publishes ${usable.length} signing key${usable.length === 1 ? '' : 's'} (${algs.join(', ')}), so this service can check that sign-ins really come from it.`, details);
  }

  private scopes(config: TenantConfig, doc: Record<string, unknown> | undefined): CheckResult {
    const needed = [...new Set([...config.okta.scopes, ...(config.okta.autoProvisioning ? PROVISIONING_SCOPES : ['openid'])])];
    const supported = Array.isArray(doc?.scopes_supported) ? (doc!.scopes_supported as string[]) : undefined;
    if (!supported) return result('scopes', 'warn', 'Okta does not list the scopes it supports, so they could not be checked here; a test sign-in will show whether they work.', { needed });
    const missing = needed.filter((s) => !supported.includes(s));
    const details = { needed, supported, missing };
    const missingStandard = missing.filter((s) => STANDARD_SCOPES.has(s));
    if (missingStandard.length) return result('scopes', 'fail', `Okta does not support the ${missingStandard.join(', ')} scope${missingStandard.length === 1 ? '' : 's'} this integration asks for; sign-ins will be refused.`, details);
    if (missing.length) {
      return result('scopes', 'warn', `Okta does not list the ${missing.join(', ')} scope${missing.length === 1 ? '' : 's'}. The customer must add ${missing.length === 1 ? 'it' : 'them'} to the authorization server (Security > API > Scopes); if ${missing.length === 1 ? 'it exists' : 'they exist'} but ${missing.length === 1 ? 'is' : 'are'} not marked "include in public metadata", this is fine.`, details);
    }
    return result('scopes', 'pass', `Okta supports every scope the integration asks for (${needed.join(', ')}).`, details);
  }

  private async clientAuthentication(label: { id: string; slug: string }, config: TenantConfig, endpoints: OktaEndpoints, doc: Record<string, unknown> | undefined, secretId: string, staged: boolean): Promise<CheckResult> {
    const method = config.okta.tokenEndpointAuthMethod;
    const which = staged ? 'the staged client secret' : 'the client secret';
    const methods = Array.isArray(doc?.token_endpoint_auth_methods_supported) ? (doc!.token_endpoint_auth_methods_supported as string[]) : undefined;
    const base = { method, secret: staged ? 'staged' : 'in force', tokenEndpoint: endpoints.token };
    if (methods && !methods.includes(method)) return result('client-authentication', 'fail', `Okta does not accept the configured way of sending the client secret (${method}); it accepts ${methods.join(', ')}.`, base);
    const grants = Array.isArray(doc?.grant_types_supported) ? (doc!.grant_types_supported as string[]) : undefined;
    if (grants && !grants.includes('client_credentials')) {
      return result('client-authentication', 'warn', 'This Okta authorization server offers no way to test the client ID and secret without a user (no client-credentials grant). Test them with a real sign-in.', { ...base, probe: 'not possible' });
    }
    let secret: string;
    try {
      secret = await this.tenants.openSecret(label.id, secretId);
    } catch (e) {
      if (e instanceof SecretKeyMissing) {
        return result('client-authentication', 'fail', `${cap(which)} cannot be opened: it was sealed with key "${e.keyId}", which is not in SECRETS_KEYS. An operator must add that key back, then reseal (POST /admin/secrets/reseal).`, base);
      }
      return result('client-authentication', 'fail', `${cap(which)} cannot be used (it was retired). Save a version with a current secret.`, base);
    }
    const form = new URLSearchParams({ grant_type: 'client_credentials' });
    const headers: Record<string, string> = { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' };
    if (method === 'client_secret_basic') headers.authorization = basicCredentials(config.okta.clientId, secret);
    else {
      form.set('client_id', config.okta.clientId);
      form.set('client_secret', secret);
    }
    let res: OutboundResponse;
    try {
      res = await this.http.fetch(endpoints.token, { method: 'POST', headers, body: form.toString(), tenant: label, endpoint: 'token' });
    } catch (e) {
      if (!(e instanceof OutboundError)) throw e;
      if (e.status === 429) return result('client-authentication', 'warn', 'Okta is limiting requests right now, so the client ID and secret could not be tested. Try again in a minute.', { ...base, probe: 'client_credentials', status: 429, oktaError: null });
      return result('client-authentication', 'warn', `The client ID and secret could not be tested: ${e.message}`, { ...base, probe: 'client_credentials' });
    }
    const body = parseJson(res);
    const error = typeof body?.error === 'string' ? body.error.slice(0, 64).replace(/[^a-z_]/gi, '') : undefined;
    const details = { ...base, probe: 'client_credentials', status: res.status, oktaError: error ?? null };
    if (res.status === 200) return result('client-authentication', 'pass', `Okta accepted the client ID and ${which} (${method}).`, details);
    if (error === 'invalid_client') {
      return result('client-authentication', 'fail', `Okta rejected the client ID or ${which}. Check both were copied from the Okta app integration, and that it is set to ${method === 'client_secret_basic' ? 'send the secret in the Authorization header (client_secret_basic)' : 'receive the secret in the request body (client_secret_post)'}.`, details);
    }
    if (error === 'unauthorized_client' || error === 'invalid_scope' || error === 'unsupported_grant_type') {
      return result('client-authentication', 'pass', `Okta accepted the client ID and ${which} (${method}). It does not let this app ask for a token without a user, which is normal for a sign-in app, so nothing more was tested.`, details);
    }
    return result('client-authentication', 'warn', `Okta answered the test in an unexpected way (HTTP ${res.status}${error ? `, ${error}` : ''}), so the client ID and secret could not be confirmed. Test them with a real sign-in.`, details);
  }

  private async endpoints(config: TenantConfig, endpoints: OktaEndpoints, label: { id: string; slug: string }): Promise<CheckResult> {
    const origin = new URL(config.okta.issuer).origin;
    const list = { authorization: endpoints.authorization, token: endpoints.token, userinfo: endpoints.userinfo, jwks: endpoints.jwks };
    const notHttps = Object.entries(list).filter(([, u]) => !u.startsWith('https://')).map(([k]) => k);
    if (notHttps.length) return result('endpoints', 'fail', `Okta lists ${notHttps.join(', ')} address${notHttps.length === 1 ? '' : 'es'} that are not secure (HTTPS).`, { endpoints: list });
    const elsewhere = Object.entries(list).filter(([, u]) => new URL(u).origin !== origin).map(([k]) => k);
    if (config.okta.autoProvisioning) {
      const res = await this.get(endpoints.userinfo, label, 'userinfo');
      const ok = !(res instanceof OutboundError) && (res.status === 401 || res.status === 400);
      if (!ok) {
        const what = res instanceof OutboundError && res.status === undefined ? res.message : `HTTP ${res.status}`;
        return result('endpoints', 'fail', `Okta's user profile (UserInfo) address does not answer as expected (${what}); auto-provisioning needs it.`, { endpoints: list });
      }
    }
    if (elsewhere.length) return result('endpoints', 'warn', `Okta sends ${elsewhere.join(', ')} to another address than its issuer (${origin}). That works, but is unusual for Okta.`, { endpoints: list, elsewhere });
    return result('endpoints', 'pass', config.okta.autoProvisioning ? 'Okta lists secure sign-in, token, user profile and key addresses, and its user profile address answers.' : 'Okta lists secure sign-in, token and key addresses.', { endpoints: list });
  }
}

function endpointsOf(doc: Record<string, unknown>, fallback: OktaEndpoints): OktaEndpoints {
  const s = (k: string, d: string) => (typeof doc[k] === 'string' ? (doc[k] as string) : d);
  return { ...fallback, authorization: s('authorization_endpoint', fallback.authorization), token: s('token_endpoint', fallback.token), userinfo: s('userinfo_endpoint', fallback.userinfo), jwks: s('jwks_uri', fallback.jwks) };
}

function parseJson(res: OutboundResponse): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(res.body.toString('utf8'));
    return v && typeof v === 'object' && !Array.isArray(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

const cap = (s: string) => s[0]!.toUpperCase() + s.slice(1);

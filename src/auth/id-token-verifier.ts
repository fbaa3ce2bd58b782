import { Injectable } from '@nestjs/common';
import { createLocalJWKSet, errors as joseErrors, jwtVerify, type JSONWebKeySet, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { AppConfig } from '../config/app-config.js';
import { type CachedDocument, MetadataCache, MetadataInvalid, type MetadataRequest, MetadataServerError } from '../common/http/metadata-cache.js';
import { OutboundError } from '../common/http/outbound-http.js';
import type { TenantLabel } from '../observability/metrics.js';
import { fromOutbound, UpstreamError } from './upstream-errors.js';

type LocalJwks = ReturnType<typeof createLocalJWKSet>;

export interface IdTokenExpectations {
  issuer: string;
  clientId: string;
  jwksUri: string;
  /** Whose Okta (back-off, metrics). */
  tenant?: TenantLabel;
  /** The nonce sent with the authorization request; null for grants without one (it must then be absent). */
  nonce: string | null;
}

/**
 * Verifies a tenant's ID token with jose: signature against the tenant's JWKS, `iss` exact, `aud`/`azp`,
 * `exp`/`iat`/`nbf` with a small skew, `nonce`. Closes passport-openidconnect 0.1.x's gap: it never checks
 * the signature. The JWKS comes from MetadataCache (per tenant, Cache-Control honoured); a `kid` that is not
 * in the cached set — Okta rotated its key mid-day — triggers one early refetch, rate-limited per tenant,
 * so a flood of unknown kids cannot turn into a flood of requests to Okta.
 */
@Injectable()
export class IdTokenVerifier {
  /** jose key sets, built once per fetched document. */
  private readonly sets = new WeakMap<CachedDocument, LocalJwks>();

  constructor(
    private readonly cache: MetadataCache,
    private readonly config: AppConfig,
  ) {}

  async verify(idToken: string, expect: IdTokenExpectations): Promise<JWTPayload> {
    const req: MetadataRequest = { tenant: expect.tenant, endpoint: 'jwks', validate: validJwks };
    let payload: JWTPayload;
    try {
      const used: { entry?: CachedDocument } = {};
      try {
        payload = await this.check(idToken, expect, this.keyResolver(expect.jwksUri, req, used));
      } catch (e) {
        // The key set has this token's kid, but its key cannot verify anything (material missing or malformed, an RSA
        // modulus too short): kept, that copy would refuse every sign-in until it expires (up to METADATA_MAX_AGE_S),
        // even once Okta serves a good one. Refetched as for an unknown kid, within the same budget.
        if (!unusableKey(e) || !used.entry) throw e;
        const fresher = await this.cache.refresh(expect.jwksUri, req);
        if (!fresher || fresher === used.entry) throw new MetadataInvalid(UNUSABLE_KEY);
        try {
          payload = await this.check(idToken, expect, (header, token) => this.setOf(fresher)(header, token));
        } catch (again) {
          throw unusableKey(again) ? new MetadataInvalid(UNUSABLE_KEY) : again;
        }
      }
    } catch (e) {
      if (e instanceof OutboundError) throw fromOutbound(e, 'its signing keys');
      if (e instanceof MetadataServerError) throw new UpstreamError('okta-server-error', `Your company's Okta had an error answering the key set request (HTTP ${e.status}).`);
      if (e instanceof MetadataInvalid) throw new UpstreamError('okta-bad-response', `Your company's Okta key set could not be used: ${e.message}.`);
      throw new UpstreamError('id-token-invalid', `The ID token from your company's Okta was rejected: ${describe(e)}.`);
    }
    const aud = payload.aud;
    if (Array.isArray(aud) && aud.length > 1 && payload.azp !== expect.clientId) {
      throw new UpstreamError('id-token-invalid', 'The ID token from your company\'s Okta was rejected: it is for several audiences and names another authorized party.');
    }
    if (payload.azp !== undefined && payload.azp !== expect.clientId) {
      throw new UpstreamError('id-token-invalid', 'The ID token from your company\'s Okta was rejected: it was issued to another client (azp).');
    }
    if (expect.nonce === null ? payload.nonce !== undefined : payload.nonce !== expect.nonce) {
      throw new UpstreamError('id-token-invalid', 'The ID token from your company\'s Okta was rejected: its nonce does not match this sign-in.');
    }
    return payload;
  }

  private async check(idToken: string, expect: IdTokenExpectations, keys: JWTVerifyGetKey): Promise<JWTPayload> {
    const { payload } = await jwtVerify(idToken, keys, {
      issuer: expect.issuer,
      audience: expect.clientId,
      algorithms: ['RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512', 'PS256'],
      clockTolerance: this.config.env.ID_TOKEN_CLOCK_SKEW_S,
      requiredClaims: ['iss', 'sub', 'aud', 'exp', 'iat'],
      maxTokenAge: '1 hour',
    });
    return payload;
  }

  /** The tenant's cached key set, refetched (within budget) for an unknown kid; `used` says which copy answered. */
  private keyResolver(uri: string, req: MetadataRequest, used: { entry?: CachedDocument }): JWTVerifyGetKey {
    return async (header, token) => {
      const current = await this.cache.get(uri, req);
      used.entry = current;
      try {
        return await this.setOf(current)(header, token);
      } catch (e) {
        if (!(e instanceof joseErrors.JWKSNoMatchingKey)) throw e;
        const fresher = await this.cache.refresh(uri, req);
        if (!fresher || fresher === current) throw e;
        used.entry = fresher;
        return this.setOf(fresher)(header, token);
      }
    };
  }

  private setOf(entry: CachedDocument): LocalJwks {
    let set = this.sets.get(entry);
    if (!set) {
      set = createLocalJWKSet(entry.doc as unknown as JSONWebKeySet);
      this.sets.set(entry, set);
    }
    return set;
  }
}

const UNUSABLE_KEY = 'the key this ID token names cannot be used to check it';

/**
 * The failures that come from the key itself rather than from the token: jose's for a JWK it cannot import, and
 * what WebCrypto throws for key material it refuses (a TypeError, a DOMException), e.g. an RSA modulus too short.
 */
function unusableKey(e: unknown): boolean {
  if (e instanceof OutboundError || e instanceof MetadataInvalid || e instanceof MetadataServerError || e instanceof UpstreamError) return false;
  if (e instanceof joseErrors.JOSEError) return e instanceof joseErrors.JWKInvalid || e instanceof joseErrors.JOSENotSupported;
  // Not `instanceof Error`: WebCrypto's errors may come from another realm (a vm context, as under jest).
  return typeof e === 'object' && e !== null;
}

function validJwks(doc: Record<string, unknown>): void {
  if (!Array.isArray(doc.keys) || doc.keys.some((k) => !k || typeof k !== 'object')) throw new MetadataInvalid('the key set has no keys array');
  createLocalJWKSet(doc as unknown as JSONWebKeySet);
}

function describe(e: unknown): string {
  if (e instanceof joseErrors.JWSSignatureVerificationFailed) return 'its signature is not valid';
  if (e instanceof joseErrors.JWKSNoMatchingKey) return 'it is signed with a key that is not in the Okta key set';
  if (e instanceof joseErrors.JWTExpired) return 'it has expired';
  if (e instanceof joseErrors.JWTClaimValidationFailed) return claimProblem(e.claim, e.reason);
  if (e instanceof joseErrors.JOSEAlgNotAllowed) return 'it uses a signing algorithm that is not allowed';
  if (e instanceof joseErrors.JWSInvalid || e instanceof joseErrors.JWTInvalid) return 'it is malformed';
  if (e instanceof joseErrors.JWKSInvalid) return 'the Okta key set is not valid';
  return 'it could not be verified';
}

/**
 * A failed claim check in words a user or account manager can read. Without quotes: an OAuth error_description
 * cannot carry them (oauthDescription turns each into '?'); jose's reason codes (check_failed) say nothing to them.
 * `claim` is jose's name of a registered claim, never Okta's text.
 */
function claimProblem(claim: string, reason: string): string {
  if (reason === 'missing') return `it has no ${claim} claim`;
  switch (claim) {
    case 'aud': return 'it was issued to another client (aud)';
    case 'iss': return 'it was issued by another issuer (iss)';
    case 'nbf': return 'it is not valid yet (nbf)';
    case 'iat': return 'it was issued in the future (iat)'; // too long ago is JWTExpired (maxTokenAge)
    default: return `its ${claim} claim is not valid`;
  }
}

import { Injectable } from '@nestjs/common';
import { createRemoteJWKSet, customFetch, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import { AppConfig } from '../config/app-config.js';
import { OutboundHttp } from '../common/http/outbound-http.js';
import { UpstreamError } from './upstream-errors.js';

type RemoteJwks = ReturnType<typeof createRemoteJWKSet>;

export interface IdTokenExpectations {
  issuer: string;
  clientId: string;
  jwksUri: string;
  /** The nonce sent with the authorization request; null for grants without one (it must then be absent). */
  nonce: string | null;
}

const MAX_JWKS = 5000;
/** An unknown `kid` may force a key-set fetch at most this often per tenant. */
const FORCED_RELOAD_MS = 5000;

/**
 * Verifies a tenant's ID token with jose: signature against the tenant's JWKS (cached; refetched on an unknown
 * `kid`, at most once per cooldown), `iss` exact, `aud`/`azp`, `exp`/`iat`/`nbf` with a small skew, `nonce`.
 * Closes passport-openidconnect 0.1.x's gap: it never checks the signature.
 */
@Injectable()
export class IdTokenVerifier {
  private readonly jwks = new Map<string, RemoteJwks>();
  private readonly forcedReloads = new Map<string, number>();

  constructor(
    private readonly http: OutboundHttp,
    private readonly config: AppConfig,
  ) {}

  async verify(idToken: string, expect: IdTokenExpectations): Promise<JWTPayload> {
    let payload: JWTPayload;
    const keys = this.keySet(expect.jwksUri);
    const options = {
      issuer: expect.issuer,
      audience: expect.clientId,
      algorithms: ['RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512', 'PS256'],
      clockTolerance: this.config.env.ID_TOKEN_CLOCK_SKEW_S,
      requiredClaims: ['iss', 'sub', 'aud', 'exp', 'iat'],
      maxTokenAge: '1 hour',
    };
    try {
      try {
        ({ payload } = await jwtVerify(idToken, keys, options));
      } catch (e) {
        // A key we have not seen: Okta rotated its signing key. Fetch the key set again, at most once per
        // FORCED_RELOAD_MS per key set, then verify once more.
        if (!(e instanceof joseErrors.JWKSNoMatchingKey) || !this.mayForceReload(expect.jwksUri)) throw e;
        await keys.reload();
        ({ payload } = await jwtVerify(idToken, keys, options));
      }
    } catch (e) {
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

  private mayForceReload(uri: string): boolean {
    const now = Date.now();
    if (now - (this.forcedReloads.get(uri) ?? 0) < FORCED_RELOAD_MS) return false;
    this.forcedReloads.set(uri, now);
    if (this.forcedReloads.size > MAX_JWKS) this.forcedReloads.delete(this.forcedReloads.keys().next().value!);
    return true;
  }

  private keySet(uri: string): RemoteJwks {
    let set = this.jwks.get(uri);
    if (!set) {
      const http = this.http;
      set = createRemoteJWKSet(new URL(uri), {
        cooldownDuration: 30_000,
        cacheMaxAge: 600_000,
        timeoutDuration: this.config.env.OUTBOUND_TIMEOUT_MS,
        [customFetch]: async (url: string, init: { headers: Headers }) => {
          const res = await http.fetch(url, { headers: { ...Object.fromEntries(init.headers), accept: 'application/json' } });
          return new Response(res.status === 204 || res.status === 304 ? null : new Uint8Array(res.body), { status: res.status, headers: res.headers });
        },
      });
      if (this.jwks.size >= MAX_JWKS) this.jwks.delete(this.jwks.keys().next().value!);
      this.jwks.set(uri, set);
    }
    return set;
  }
}

function describe(e: unknown): string {
  if (e instanceof joseErrors.JWSSignatureVerificationFailed) return 'its signature is not valid';
  if (e instanceof joseErrors.JWKSNoMatchingKey) return 'it is signed with a key that is not in the Okta key set';
  if (e instanceof joseErrors.JWTExpired) return 'it has expired';
  if (e instanceof joseErrors.JWTClaimValidationFailed) return `its "${e.claim}" claim is not valid (${e.reason})`;
  if (e instanceof joseErrors.JOSEAlgNotAllowed) return 'it uses a signing algorithm that is not allowed';
  if (e instanceof joseErrors.JWSInvalid || e instanceof joseErrors.JWTInvalid) return 'it is malformed';
  if (e instanceof joseErrors.JWKSTimeout) return 'the Okta key set could not be fetched in time';
  if (e instanceof joseErrors.JWKSInvalid) return 'the Okta key set is not valid';
  if (e instanceof Error && e.name === 'OutboundError') return `the Okta key set could not be fetched (${e.message})`;
  return 'it could not be verified';
}

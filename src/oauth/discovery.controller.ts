import { Controller, Get, Header, NotFoundException, Param, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { AppConfig } from '../config/app-config.js';
import { supportedScopes } from './authorize-validator.js';
import { GrantRegistry } from './grants/grant-registry.js';
import { SigningKeys } from './keys/signing-keys.js';

/** How long the metadata documents and the JWKS may be cached (a signing key is published before it signs). */
const METADATA_CACHE = 'public, max-age=300';

/**
 * The document, marked cacheable. Set here, as it is returned, not with @Header: Nest sets those before the handler
 * runs, so a refusal (a 404 for a path that is nobody's metadata) went out as public for five minutes too.
 */
function cacheable<T>(res: Response, document: T): T {
  res.set('Cache-Control', METADATA_CACHE);
  return document;
}

/**
 * This service's metadata and JWKS, how apps find its endpoints and verify its tokens: OpenID Connect discovery,
 * and the same document as OAuth 2.0 Authorization Server Metadata (RFC 8414), whose §3 lets a server that
 * speaks both answer one document at both well-known addresses.
 */
@ApiExcludeController()
@Controller()
export class DiscoveryController {
  /** The issuer's path ('' for an issuer at the host's root), for RFC 8414 §3's address of a path issuer. */
  private readonly issuerPath: string;

  constructor(
    private readonly config: AppConfig,
    private readonly keys: SigningKeys,
    private readonly grants: GrantRegistry,
  ) {
    this.issuerPath = new URL(config.publicUrl).pathname.replace(/\/+$/, '');
  }

  @Get('.well-known/openid-configuration')
  discovery(@Res({ passthrough: true }) res: Response) {
    return cacheable(res, this.metadata());
  }

  /**
   * RFC 8414 §3: `/.well-known/oauth-authorization-server` after the host, then the issuer's path, if it has one.
   * For an issuer at the host's root, this route. For one with a path (PUBLIC_URL https://sso.example.com/broker)
   * the next route: https://sso.example.com/.well-known/oauth-authorization-server/broker is outside the issuer's
   * own prefix, so a proxy in front must send it here unchanged (README); this route still answers below the
   * prefix, where clients that append the suffix to the issuer, OIDC-style, look.
   */
  @Get('.well-known/oauth-authorization-server')
  authorizationServer(@Res({ passthrough: true }) res: Response) {
    return cacheable(res, this.metadata());
  }

  @Get('.well-known/oauth-authorization-server/*issuerPath')
  authorizationServerOfPath(@Param('issuerPath') path: string[], @Res({ passthrough: true }) res: Response) {
    if (!this.issuerPath || `/${path.join('/')}` !== this.issuerPath) throw new NotFoundException('No such resource.');
    return cacheable(res, this.metadata());
  }

  private metadata() {
    const base = this.config.publicUrl;
    return {
      issuer: base,
      authorization_endpoint: `${base}/oauth2/authorize`,
      token_endpoint: `${base}/oauth2/token`,
      jwks_uri: `${base}/oauth2/jwks`,
      userinfo_endpoint: `${base}/oauth2/userinfo`,
      revocation_endpoint: `${base}/oauth2/revoke`,
      revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
      introspection_endpoint: `${base}/oauth2/introspect`,
      introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      end_session_endpoint: `${base}/oauth2/logout`,
      response_types_supported: ['code'],
      response_modes_supported: ['query'],
      grant_types_supported: this.grants.types(),
      code_challenge_methods_supported: ['S256'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: [this.keys.signingKey().alg],
      scopes_supported: supportedScopes,
      claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'auth_time', 'nonce', 'name', 'given_name', 'family_name', 'preferred_username', 'updated_at', 'email', 'tenant', 'env', 'sid'],
      authorization_response_iss_parameter_supported: true,
      request_parameter_supported: false,
      request_uri_parameter_supported: false,
    };
  }

  @Get('oauth2/jwks')
  @Header('Content-Type', 'application/jwk-set+json')
  jwks(@Res({ passthrough: true }) res: Response) {
    return cacheable(res, this.keys.jwks());
  }
}

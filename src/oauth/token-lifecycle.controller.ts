import { Body, Controller, Headers, HttpCode, Post, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { InvalidClient, UnauthorizedClient } from '../common/errors/oauth-errors.js';
import { ClientsService } from './clients/clients.service.js';
import { formParams, required } from './token-request.js';
import { type IntrospectionResponse, TokenIntrospection } from './tokens/token-introspection.js';

/**
 * Token lifecycle endpoints for apps, both client-authenticated exactly like the token endpoint:
 * - POST /oauth2/revoke (RFC 7009): any client revokes its own tokens (200, also for a token that is unknown,
 *   expired, used or revoked, whoever sends it, §2.2); a live token issued to another client is left alone and
 *   refused with invalid_request (§2.1).
 * - POST /oauth2/introspect (RFC 7662): for confidential clients registered as resource servers (`introspection: true`); tokens of the other
 *   environment are inactive to them.
 */
@ApiExcludeController()
@Controller('oauth2')
export class TokenLifecycleController {
  constructor(
    private readonly clients: ClientsService,
    private readonly tokens: TokenIntrospection,
  ) {}

  @Post('revoke')
  @HttpCode(200)
  async revoke(@Body() body: unknown, @Headers('content-type') contentType: string | undefined, @Headers('authorization') authorization: string | undefined, @Res() res: Response): Promise<void> {
    const params = formParams(body, contentType);
    const client = await this.clients.authenticate(authorization, params);
    const token = required(params, 'token');
    await this.tokens.revoke(token, params.token_type_hint, client);
    // RFC 7009 §2.2: 200, and the body is ignored; sent empty with no content type (res.send('') says text/html).
    res.status(200).set({ 'Cache-Control': 'no-store', Pragma: 'no-cache' }).end();
  }

  @Post('introspect')
  @HttpCode(200)
  async introspect(@Body() body: unknown, @Headers('content-type') contentType: string | undefined, @Headers('authorization') authorization: string | undefined, @Res({ passthrough: true }) res: Response): Promise<IntrospectionResponse> {
    const params = formParams(body, contentType);
    const client = await this.clients.authenticate(authorization, params);
    if (client.clientType !== 'confidential') throw new InvalidClient('Token introspection is only for confidential clients (resource servers).');
    // RFC 7662 §4: only the clients registered as resource servers, not every app with a secret.
    if (!client.introspection) throw new UnauthorizedClient('This client is not registered as a resource server (introspection: true), so it may not introspect tokens.');
    const token = required(params, 'token');
    res.set({ 'Cache-Control': 'no-store', Pragma: 'no-cache' });
    return this.tokens.introspect(token, params.token_type_hint, client);
  }
}

import { Body, Controller, Headers, HttpCode, Post, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { InvalidGrant, UnauthorizedClient, UnsupportedGrantType } from '../common/errors/oauth-errors.js';
import { TrainingDisabled } from '../database/directory-databases.js';
import { ClientsService } from './clients/clients.service.js';
import type { GrantType } from './clients/client.entity.js';
import { GrantRegistry } from './grants/grant-registry.js';
import { formParams, required, type TokenResponse } from './token-request.js';
import { clipName } from '../common/validation/field-path.js';

/** The token endpoint (RFC 6749 §3.2): authenticates the client, then hands the grant to its handler. */
@ApiExcludeController()
@Controller('oauth2')
export class TokenController {
  constructor(
    private readonly clients: ClientsService,
    private readonly grants: GrantRegistry,
  ) {}

  @Post('token')
  @HttpCode(200)
  async token(@Body() body: unknown, @Headers('content-type') contentType: string | undefined, @Headers('authorization') authorization: string | undefined, @Res({ passthrough: true }) res: Response): Promise<TokenResponse> {
    const params = formParams(body, contentType);
    const type = required(params, 'grant_type');
    const handler = this.grants.get(type);
    if (!handler) throw new UnsupportedGrantType(`grant_type ${clipName(type)} is not supported.`);
    const client = await this.clients.authenticate(authorization, params);
    if (!client.grantTypes.includes(type as GrantType)) throw new UnauthorizedClient(`This client may not use the ${type} grant.`);
    res.set({ 'Cache-Control': 'no-store', Pragma: 'no-cache' });
    try {
      return await handler.handle(client, params, { correlationId: (res.req as { id?: string }).id, setHeader: (name, value) => res.set(name, value) });
    } catch (e) {
      // A grant of a tenant whose training is off (a code, a refresh token, a password sign-in for training): RFC 6749
      // §5.2 has no access_denied here; the grant is what cannot be used now. Every grant refuses it before its code
      // or refresh token is used, so it works again once training is back on.
      if (e instanceof TrainingDisabled) throw new InvalidGrant(e.description);
      throw e;
    }
  }
}

import { Injectable } from '@nestjs/common';
import type { GrantType, OAuthClientEntity } from '../clients/client.entity.js';
import type { TokenResponse } from '../token-request.js';
import { AuthorizationCodeGrant } from './authorization-code.grant.js';
import { RefreshTokenGrant } from './refresh-token.grant.js';

export interface GrantHandler {
  handle(client: OAuthClientEntity, params: Record<string, string>, context: { correlationId?: string }): Promise<TokenResponse>;
}

/** The token endpoint's grants, one handler each; further grants (the password grant) register here. */
@Injectable()
export class GrantRegistry {
  private readonly handlers = new Map<GrantType, GrantHandler>();

  constructor(code: AuthorizationCodeGrant, refresh: RefreshTokenGrant) {
    this.register('authorization_code', code);
    this.register('refresh_token', refresh);
  }

  register(type: GrantType, handler: GrantHandler): void {
    this.handlers.set(type, handler);
  }

  get(type: string): GrantHandler | undefined {
    return this.handlers.get(type as GrantType);
  }

  types(): GrantType[] {
    return [...this.handlers.keys()];
  }
}

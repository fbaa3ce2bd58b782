import { Injectable } from '@nestjs/common';
import type { GrantType, OAuthClientEntity } from '../clients/client.entity.js';
import type { TokenResponse } from '../token-request.js';
import { AuthorizationCodeGrant } from './authorization-code.grant.js';
import { RefreshTokenGrant } from './refresh-token.grant.js';

export interface GrantContext {
  correlationId?: string;
  /** Sets a response header (e.g. Retry-After on a throttled attempt), also when the grant then fails. */
  setHeader?: (name: string, value: string) => void;
}

export interface GrantHandler {
  handle(client: OAuthClientEntity, params: Record<string, string>, context: GrantContext): Promise<TokenResponse>;
}

/** The token endpoint's grants, one handler each; further grants register here (the password grant does, from the auth module). */
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

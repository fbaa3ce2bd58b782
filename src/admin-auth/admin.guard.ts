import { type CanActivate, type ExecutionContext, Injectable, createParamDecorator } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { safeEqual, sha256 } from '../common/crypto/tokens.js';
import { ProblemError } from '../common/errors/problem.js';

/** Who is calling the admin API: recorded as the author of every change. */
export interface AdminActor {
  id: string;
  role: 'operator';
}

/**
 * The admin API's credential check. Today: the bootstrap operator key from the environment
 * (X-Admin-Key header, or Authorization: Bearer). Individual account-manager credentials replace this.
 */
@Injectable()
export class AdminGuard implements CanActivate {
  private readonly keyHash: string;

  constructor(config: AppConfig) {
    this.keyHash = sha256(config.adminApiKey);
  }

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<{ headers: Record<string, string | undefined>; actor?: AdminActor }>();
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const key = req.headers['x-admin-key'] ?? bearer;
    if (!key || !safeEqual(sha256(key), this.keyHash)) throw ProblemError.unauthorized('An admin API key is required (X-Admin-Key header).');
    req.actor = { id: 'operator:bootstrap-key', role: 'operator' };
    return true;
  }
}

export const Actor = createParamDecorator((_: unknown, ctx: ExecutionContext): AdminActor => ctx.switchToHttp().getRequest().actor);

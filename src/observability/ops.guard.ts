import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { safeEqual, sha256 } from '../common/crypto/tokens.js';
import { ProblemError } from '../common/errors/problem.js';
import { oneHeaderCredential } from '../common/web/bearer.js';

/**
 * Operators' endpoints (/metrics, /health/idp) name tenants, so they are not public: `Authorization: Bearer
 * <OPS_TOKEN>` (what Prometheus sends), or the bootstrap admin key while OPS_TOKEN is unset (also as X-Admin-Key; never both).
 */
@Injectable()
export class OpsGuard implements CanActivate {
  private readonly hashes: string[];

  constructor(config: AppConfig) {
    this.hashes = [sha256(config.env.OPS_TOKEN ?? config.adminApiKey)];
  }

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<{ headers: Record<string, string | undefined> }>();
    const given = oneHeaderCredential(req.headers);
    if (!given || !this.hashes.some((h) => safeEqual(sha256(given), h))) {
      throw ProblemError.unauthorized('An operator token is required (Authorization: Bearer <OPS_TOKEN>).', 'Bearer realm="iqsso-ops"');
    }
    return true;
  }
}

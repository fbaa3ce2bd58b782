import { type CanActivate, type ExecutionContext, Injectable, createParamDecorator } from '@nestjs/common';
import { ScimError } from '../common/errors/scim-error.js';
import { bearerCredentials } from '../common/web/bearer.js';
import { failedPrecondition, IF_NONE_MATCH_STAR_FAILS } from '../common/web/preconditions.js';
import { type ScimCaller, ScimTokens } from './scim-tokens.service.js';

type ScimRequest = { method: string; headers: Record<string, string | undefined>; params: Record<string, string>; scim?: ScimCaller };

/**
 * SCIM requests carry the tenant's bearer token (RFC 7644 §2, RFC 6750). A token is good only for the tenant in
 * the URL: a wrong, revoked or other tenant's token is the same 401, so tenants cannot be probed. Then If-Match.
 */
@Injectable()
export class ScimGuard implements CanActivate {
  constructor(private readonly tokens: ScimTokens) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<ScimRequest>();
    const token = bearerCredentials(req.headers.authorization);
    if (!token) throw ScimError.unauthorized('A SCIM bearer token is required (Authorization: Bearer).');
    const caller = await this.tokens.authenticate(token, req.params.tenant ?? '');
    if (!caller) throw ScimError.unauthorized('The SCIM bearer token is not valid for this tenant.');
    req.scim = caller;
    // RFC 7644 §3.14 and RFC 9110 §13.1.1, once the caller is known: Users carry no ETag or meta.version here
    // (ServiceProviderConfig: etag not supported), so only If-Match: * can hold; any tag is 412, nothing written.
    const failed = failedPrecondition(req.method, req.headers);
    if (failed === 'If-Match') throw new ScimError(412, 'This service gives SCIM resources no ETags (etag is not supported), so If-Match cannot match; send the request without it, or with If-Match: *.');
    if (failed === 'If-None-Match') throw new ScimError(412, IF_NONE_MATCH_STAR_FAILS);
    return true;
  }
}

export const Scim = createParamDecorator((_: unknown, ctx: ExecutionContext): ScimCaller => ctx.switchToHttp().getRequest<ScimRequest>().scim!);

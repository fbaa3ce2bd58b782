import type { IncomingHttpHeaders } from 'node:http';

/**
 * Whether a request's If-Match holds. RFC 9110 §13.1.1: a server that gets If-Match must evaluate it, and a change
 * conditioned on a tag that does not match is refused with 412, never done as if unconditional. Neither the admin
 * API nor SCIM gives entity tags (the admin API's condition is `baseVersion`; SCIM's ServiceProviderConfig says
 * etag is not supported and no resource has a meta.version), so no tag can match a current representation; `*`
 * (any current representation) holds, and a missing resource is the route's own 404.
 *
 * Evaluated by each surface after it authenticated the caller (the admin interceptor, the SCIM guard), never at the
 * edge: §13.2.1 has a server ignore preconditions when its answer without them would not be a 2xx or 412, so an
 * unauthenticated request is a 401 whatever If-Match it sends.
 */
export function ifMatchHolds(headers: IncomingHttpHeaders): boolean {
  const ifMatch = headers['if-match'];
  return ifMatch === undefined || ifMatch.trim() === '*';
}

import type { IncomingHttpHeaders } from 'node:http';

/**
 * Which precondition of a request fails (RFC 9110 §13.1, evaluated in §13.2.2's order), if one does; the caller
 * answers 412 and changes nothing. Neither the admin API nor SCIM gives entity tags (the admin API's condition is
 * `baseVersion`; SCIM's ServiceProviderConfig says etag is not supported and no resource has a meta.version):
 * - If-Match: no tag can match a current representation, so only `*` holds (a missing resource is the route's own 404);
 * - If-None-Match: no tag matches either, so a list of tags holds; `*` ("only if nothing is there", the create-only
 *   condition) does not hold for a change, since what it changes exists, or the collection it adds to does. For GET
 *   and HEAD it would be a 304, which no client of these APIs can be waiting for without tags: left to the route.
 *
 * Evaluated by each surface after it authenticated the caller (the admin interceptor, the SCIM guard), never at the
 * edge: §13.2.1 has a server ignore preconditions when its answer without them would not be a 2xx or 412, so an
 * unauthenticated request is a 401 whatever it sends.
 */
export function failedPrecondition(method: string, headers: IncomingHttpHeaders): 'If-Match' | 'If-None-Match' | undefined {
  const ifMatch = headers['if-match'];
  if (ifMatch !== undefined && ifMatch.trim() !== '*') return 'If-Match';
  const ifNoneMatch = headers['if-none-match'];
  if (ifNoneMatch !== undefined && method !== 'GET' && method !== 'HEAD' && ifNoneMatch.split(',').some((t) => t.trim() === '*')) return 'If-None-Match';
  return undefined;
}

/** Why If-None-Match: * fails on a change (failedPrecondition), in every surface's 412. */
export const IF_NONE_MATCH_STAR_FAILS = 'If-None-Match: * holds only where nothing exists yet, and what this request changes exists (or the collection it adds to does); send it without If-None-Match.';

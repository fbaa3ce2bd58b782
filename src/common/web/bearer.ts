import { ProblemError } from '../errors/problem.js';

/**
 * What follows the Bearer scheme in an Authorization header (RFC 6750 §2.1), the scheme's name matched in any
 * case ("bearer", "BEARER": RFC 9110 §11.1): the rest after the spaces that end the name, '' for the bare scheme,
 * undefined for no header or another scheme ("Basic …", "Bearerx"). The callers check the credential itself.
 * Character tests only, no regex: it runs on every API call that is not an exact repeat (access-token.guard.ts).
 */
export function bearerCredentials(authorization: string | undefined): string | undefined {
  if (authorization === undefined || authorization.length < 6) return undefined;
  // Nearly every client writes "Bearer": one comparison; any other spelling is compared case-folded.
  if (!authorization.startsWith('Bearer') && authorization.slice(0, 6).toLowerCase() !== 'bearer') return undefined;
  let i = 6;
  while (authorization[i] === ' ' || authorization[i] === '\t') i++;
  if (i === 6 && authorization.length > 6) return undefined;
  return authorization.slice(i);
}

/**
 * The credential of an admin or operators' request: the `X-Admin-Key` header or `Authorization: Bearer`, undefined
 * with neither (an empty value is none). Both at once is refused rather than one silently winning: a client
 * sending two has a mistake somewhere (a proxy adding one, a stale default), and the request would run as
 * whichever credential this code happened to prefer. The same rule as /v1/me's token given twice.
 */
export function oneHeaderCredential(headers: { authorization?: string; 'x-admin-key'?: string | string[] }): string | undefined {
  const header = headers['x-admin-key'];
  const key = typeof header === 'string' && header !== '' ? header : undefined;
  const bearer = bearerCredentials(headers.authorization) || undefined;
  if (key !== undefined && bearer !== undefined) {
    throw new ProblemError(400, 'Bad Request', 'Send one credential: the X-Admin-Key header or Authorization: Bearer, not both.', [
      { field: 'X-Admin-Key', reason: 'was sent together with Authorization: Bearer' },
      { field: 'Authorization', reason: 'was sent together with X-Admin-Key' },
    ]);
  }
  return key ?? bearer;
}

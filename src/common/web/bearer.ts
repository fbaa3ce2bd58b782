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

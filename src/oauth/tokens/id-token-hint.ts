import { compactVerify } from 'jose';
import type { Environment } from '../../database/directory-databases.js';
import type { SigningKeys } from '../keys/signing-keys.js';

/** What an id_token_hint says, once it is known to be one of our ID tokens. */
export interface IdTokenHint {
  /** Our user id, in the directory of `environment` (a training user id is not a production one). */
  subject: string;
  environment: Environment;
  clientId: string;
  audience: string[];
  sid?: string;
}

/**
 * An ID token of ours given back as a hint (OIDC Core §3.1.2.1 at /oauth2/authorize, RP-Initiated Logout §2 at
 * /oauth2/logout): signed with one of our keys (current or recent), our issuer, typ JWT if any (an access token is
 * at+jwt). Its expiry is not checked: an expired ID token is still a good hint, as both allow. Undefined when it
 * is not one; each endpoint refuses that in its own form.
 */
export async function readIdTokenHint(token: string, keys: SigningKeys, issuer: string): Promise<IdTokenHint | undefined> {
  let payload: Record<string, unknown> | null;
  try {
    const verified = await compactVerify(token, (header) => {
      const key = keys.verificationKey(header.kid);
      if (!key) throw new Error('unknown key');
      return key;
    }, { algorithms: ['RS256', 'ES256'] });
    if (verified.protectedHeader.typ !== undefined && verified.protectedHeader.typ !== 'JWT') return undefined;
    payload = JSON.parse(new TextDecoder().decode(verified.payload));
  } catch {
    return undefined;
  }
  if (typeof payload !== 'object' || payload === null || payload.iss !== issuer || typeof payload.sub !== 'string' || (payload.env !== 'production' && payload.env !== 'training')) return undefined;
  const audience = typeof payload.aud === 'string' ? [payload.aud] : Array.isArray(payload.aud) ? payload.aud.filter((a): a is string => typeof a === 'string') : [];
  const clientId = typeof payload.azp === 'string' ? payload.azp : audience[0];
  if (!clientId) return undefined;
  return { subject: payload.sub, environment: payload.env, clientId, audience, ...(typeof payload.sid === 'string' ? { sid: payload.sid } : {}) };
}

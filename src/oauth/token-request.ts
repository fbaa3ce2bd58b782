import { InvalidRequest } from '../common/errors/oauth-errors.js';
import { isFormType } from '../common/web/body-parsers.js';
import { clipName } from '../common/validation/field-path.js';

/**
 * Form parameters of a token/revocation/introspection request. RFC 6749 §3.2: a parameter may not be sent
 * twice, and the body must be application/x-www-form-urlencoded.
 */
export function formParams(body: unknown, contentType: string | undefined): Record<string, string> {
  if (!isFormType(contentType)) {
    throw new InvalidRequest('The request body must be application/x-www-form-urlencoded.');
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries((body ?? {}) as Record<string, unknown>)) {
    if (typeof v !== 'string') throw new InvalidRequest(`The parameter ${clipName(k)} is repeated or malformed.`);
    if (v.length > 8192) throw new InvalidRequest(`The parameter ${clipName(k)} is too long.`);
    out[k] = v;
  }
  return out;
}

export function required(params: Record<string, string>, name: string): string {
  const v = params[name];
  if (!v) throw new InvalidRequest(`The ${name} parameter is required.`);
  return v;
}

export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
  id_token?: string;
  refresh_token?: string;
}

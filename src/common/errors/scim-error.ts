/**
 * A SCIM 2.0 error (RFC 7644 §3.12), rendered as application/scim+json:
 * {"schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"], "status": "400", "scimType": "invalidFilter", "detail": "..."}.
 * `detail` is safe to show: never a token or a secret.
 */
export const SCIM_ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';

export type ScimType =
  | 'invalidFilter' | 'tooMany' | 'uniqueness' | 'mutability' | 'invalidSyntax' | 'invalidPath'
  | 'noTarget' | 'invalidValue' | 'invalidVers' | 'sensitive';

export class ScimError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
    readonly scimType?: ScimType,
  ) {
    super(detail);
  }

  static invalidFilter(detail: string) { return new ScimError(400, detail, 'invalidFilter'); }
  static invalidValue(detail: string) { return new ScimError(400, detail, 'invalidValue'); }
  static invalidSyntax(detail: string) { return new ScimError(400, detail, 'invalidSyntax'); }
  static invalidPath(detail: string) { return new ScimError(400, detail, 'invalidPath'); }
  static noTarget(detail: string) { return new ScimError(400, detail, 'noTarget'); }
  static mutability(detail: string) { return new ScimError(400, detail, 'mutability'); }
  static uniqueness(detail: string) { return new ScimError(409, detail, 'uniqueness'); }
  static notFound(detail = 'No such resource.') { return new ScimError(404, detail); }
  static unauthorized(detail = 'A valid SCIM bearer token for this tenant is required.') { return new ScimError(401, detail); }

  body() {
    return { schemas: [SCIM_ERROR_SCHEMA], status: String(this.status), ...(this.scimType ? { scimType: this.scimType } : {}), detail: this.detail };
  }
}

/**
 * A real stand-in for a customer's Okta: HTTPS on 127.0.0.1 (test PKI from tools/pki.mjs),
 * one oidc-provider per Okta custom authorization server at /oauth2/{id}, Okta's endpoint paths,
 * claims and password grant, plus request log, faults and key tools for tests.
 */
export { startOktaStandIn, type OktaStandIn, type StandInOptions } from './server.js';
export { AuthServer, type ClientInput } from './auth-server.js';
export { IQMETRIX_CLAIMS, STANDARD_CLAIMS, type TestUser, type UserInput, type UserPatch } from './accounts.js';
export { Faults, endpointOf, type Endpoint, type Fault, type RequestRecord } from './faults.js';
export { tamperSignature, type SignJwtOptions } from './keys.js';
export { PASSWORD_GRANT_ERRORS } from './password-grant.js';
export { SCOPES } from './provider-config.js';
export { OKTA_ROUTES } from './routes.js';

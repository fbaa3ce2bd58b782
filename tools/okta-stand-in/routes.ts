/** Okta custom authorization server paths, relative to the issuer (`${origin}/oauth2/{id}`). */
export const OKTA_ROUTES = {
  authorization: '/v1/authorize',
  token: '/v1/token',
  userinfo: '/v1/userinfo',
  jwks: '/v1/keys',
  end_session: '/v1/logout',
  revocation: '/v1/revoke',
  introspection: '/v1/introspect',
};

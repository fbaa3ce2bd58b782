import type { NextFunction, Request, RequestHandler, Response } from 'express';

/**
 * Which endpoints a browser app may call from another origin (CORS, the Fetch standard), and how:
 * - `public`: this service's metadata and JWKS, the same for everyone and carrying no secret:
 *   `Access-Control-Allow-Origin: *` (never with credentials) and `Cross-Origin-Resource-Policy: cross-origin`
 *   (helmet's same-origin would stop a page under COEP require-corp from loading them).
 * - `apps`: what a browser app (a public client, e.g. Hub) needs with its code and tokens: the token and
 *   revocation endpoints, OIDC UserInfo and the apps' API. Only origins of registered clients' redirect URIs (exact
 *   comparison, never a reflection of whatever was sent), `Vary: Origin`, and no
 *   `Access-Control-Allow-Credentials`: these requests carry a form or a bearer token, never a cookie. CORP stays
 *   same-origin: it governs only no-cors loads (an <img>, a <script>), which have no business here, not CORS reads.
 * Everything else never answers CORS: introspection (resource servers, not browsers), the admin API, the console,
 * the sign-in and sign-out pages, health, metrics, SCIM.
 */
type Policy = { kind: 'public' | 'apps'; methods: string };

const POLICIES = new Map<string, Policy>([
  ['/.well-known/openid-configuration', { kind: 'public', methods: 'GET, HEAD' }],
  ['/.well-known/oauth-authorization-server', { kind: 'public', methods: 'GET, HEAD' }],
  ['/oauth2/jwks', { kind: 'public', methods: 'GET, HEAD' }],
  ['/oauth2/token', { kind: 'apps', methods: 'POST' }],
  ['/oauth2/revoke', { kind: 'apps', methods: 'POST' }],
  ['/oauth2/userinfo', { kind: 'apps', methods: 'GET, POST' }],
  ['/v1/me', { kind: 'apps', methods: 'GET, POST' }],
  ['/v1/training/me', { kind: 'apps', methods: 'GET, POST' }],
]);
/** RFC 8414 §3's address for an issuer with a path (discovery.controller.ts). */
const METADATA_OF_PATH = '/.well-known/oauth-authorization-server/';

/** What a browser app sends beyond the CORS-safelisted headers: the bearer token or Basic credentials, a form's or JSON's type, a correlation id. */
const ALLOWED_HEADERS = 'Authorization, Content-Type, X-Request-Id';
/** What its script may read beyond the safelisted response headers: the Bearer challenge, a 429's wait, the correlation id. */
const EXPOSED_HEADERS = 'WWW-Authenticate, Retry-After, X-Request-Id';
/** How long a browser may reuse a preflight's answer (seconds; Chromium caps it at 7200). */
const PREFLIGHT_MAX_AGE_S = '600';

function policyOf(path: string): Policy | undefined {
  // Routing is not strict: /oauth2/token/ reaches the token endpoint, so it answers CORS alike.
  const p = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  return POLICIES.get(p) ?? (p.startsWith(METADATA_OF_PATH) ? POLICIES.get('/.well-known/oauth-authorization-server') : undefined);
}

/** A CORS preflight (Fetch §3.2.2): OPTIONS naming the method the real request will use. */
const isPreflight = (req: Request) => req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined;

/**
 * The CORS headers, set before anything can answer (rate limits, parsers, the guard, the handler), so an error a
 * browser app should read (invalid_grant, a 401's challenge, a 429) carries them as a success does. A preflight
 * is then answered like any OPTIONS (AllExceptionsFilter: 204 with Allow), with these headers on it.
 * `allows` says whether an origin is a registered client's (ClientOrigins): from memory, or after one read.
 */
export function cors(allows: (origin: string) => boolean | Promise<boolean>): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const policy = policyOf(req.path);
    if (!policy) return next();
    if (policy.kind === 'public') {
      res.setHeader('Access-Control-Allow-Origin', '*');
      res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
      if (isPreflight(req)) {
        res.setHeader('Access-Control-Allow-Methods', policy.methods);
        res.setHeader('Access-Control-Max-Age', PREFLIGHT_MAX_AGE_S);
      }
      return next();
    }
    // The answer depends on Origin, whether it is allowed or not (a cache must not serve one origin's to another).
    if (res.getHeader('Vary') === undefined) res.setHeader('Vary', 'Origin');
    else res.vary('Origin');
    const origin = req.headers.origin;
    if (origin === undefined || origin === 'null') return next();
    const allow = () => {
      res.setHeader('Access-Control-Allow-Origin', origin);
      if (isPreflight(req)) {
        res.setHeader('Access-Control-Allow-Methods', policy.methods);
        res.setHeader('Access-Control-Allow-Headers', ALLOWED_HEADERS);
        res.setHeader('Access-Control-Max-Age', PREFLIGHT_MAX_AGE_S);
      } else {
        res.setHeader('Access-Control-Expose-Headers', EXPOSED_HEADERS);
      }
    };
    const allowed = allows(origin);
    if (allowed === true) allow();
    if (typeof allowed === 'boolean') return next();
    allowed.then((ok) => {
      if (ok) allow();
      next();
    }, () => next());
  };
}

import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { InvalidClient } from '../../common/errors/oauth-errors.js';
import { type FieldProblem, ProblemError } from '../../common/errors/problem.js';
import { isPlainHost } from '../../common/http/host-name.js';
import { randomToken, safeEqual, sha256 } from '../../common/crypto/tokens.js';
import { oneLine } from '../../common/validation/zod.js';
import { OAuthClientEntity } from './client.entity.js';
import { ClientOrigins } from './client-origins.js';

/** ASCII controls (U+0000-U+001F, U+007F) and whitespace: the URL parser drops or encodes them. */
const CONTROL_OR_SPACE = /[\u0000-\u001F\u007F\s]/u;

const hasControlOrSpace = (uri: string) => CONTROL_OR_SPACE.test(uri);

/**
 * Whether a (post-logout) redirect URI a request names is one of the client's: the one matcher of authorize and
 * sign-out. Matched exactly, except that a loopback IP redirect URI (http://127.0.0.1 or http://[::1]) matches
 * with any port: a native app listens on whatever port the system gives it at that moment, and RFC 8252 §7.3 says
 * the server MUST accept any port there. Only the port may differ; scheme, host, path and query are exact. One
 * carrying a control character or whitespace never matches, even if such a URI was stored before registration
 * refused them.
 */
export function isRegisteredUri(registered: readonly string[], uri: string): boolean {
  if (hasControlOrSpace(uri)) return false;
  if (registered.includes(uri)) return true;
  const asked = LOOPBACK.exec(uri);
  if (!asked || (asked[2] !== undefined && Number(asked[2]) > 65535)) return false;
  return registered.some((r) => {
    const m = LOOPBACK.exec(r);
    return m !== null && m[1] === asked[1] && m[3] === asked[3] && !hasControlOrSpace(r);
  });
}

/**
 * A loopback IP redirect URI: host (1), port (2, optional, without leading zeros) and the rest, path and query (3),
 * as text. `localhost` is not one (RFC 8252 §8.3: a name, whose resolution the server cannot vouch for), so a
 * localhost redirect URI is matched exactly, port included.
 */
const LOOPBACK = /^http:\/\/(127\.0\.0\.1|\[::1\])(?::([1-9][0-9]{0,4}))?(\/[^#]*)$/;

/**
 * A redirect URI as registered, matched exactly (a loopback IP one with any port: isRegisteredUri): HTTPS, loopback
 * HTTP for native apps (RFC 8252 §7.3; localhost with a warning, §8.3), or a private-use scheme (RFC 8252 §7.1). Never a fragment (RFC 6749 §3.1.2), userinfo, or an empty or wildcard
 * host (it is matched exactly, so "*" would only mislead a reader into thinking it matches subdomains).
 * Redirects are built from new URL(uri), so the URI must be written as the parser writes it (and carry no
 * control character or whitespace, which it drops or encodes): what is registered is exactly what is used.
 */
const redirectUri = z.string().max(2000).superRefine((v, ctx) => {
  const refuse = (message: string) => ctx.addIssue({ code: 'custom', message });
  if (hasControlOrSpace(v)) return refuse('must not contain control characters or whitespace');
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    return refuse('must be an absolute URL');
  }
  if (v.includes('#')) return refuse('must not have a fragment (#)');
  const special = u.protocol === 'https:' || u.protocol === 'http:';
  // The authority as written (the URL parser makes "https:///cb" into host "cb" and drops an empty userinfo).
  const authority = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i.exec(v)?.[1];
  if (special && authority === undefined) return refuse('must be written scheme://host/path');
  if (authority !== undefined) {
    if (authority.includes('@') || u.username || u.password) return refuse('must not contain a user name or password');
    if (authority === '' || (special && !u.hostname)) return refuse('must have a host');
  }
  if (u.hostname.includes('*') || /%2a/i.test(authority ?? '')) return refuse('must not have a wildcard (*) in its host; every redirect URI is matched exactly');
  if (special && !isPlainHost(u.hostname)) return refuse('must have a plain host name: letters, digits, hyphens and dots (international names in punycode), or an IP address');
  const ok = u.protocol === 'https:' || (u.protocol === 'http:' && ['127.0.0.1', '[::1]', 'localhost'].includes(u.hostname)) || /^[a-z][a-z0-9+.-]*\.[a-z0-9+.-]+:$/.test(u.protocol);
  if (!ok) return refuse('must be an absolute https URL without fragment, a loopback http URL, or a private-use scheme like com.iqmetrix.rq:/callback');
  if (u.href !== v) refuse(`must be written exactly as redirects use it: ${u.href}`);
});

/** HTTP Basic credentials (RFC 7617 §2): Base64, its padding only at the end. */
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const MALFORMED_BASIC = 'The Basic credentials are malformed: they must be the Base64 of client_id:client_secret (RFC 6749 section 2.3.1).';

/**
 * A `localhost` redirect URI is registered (RFC 8252 §8.3 does not recommend it, it does not forbid it), with a
 * warning: the app may end up listening beyond the loopback interface, and a firewall or the device's name
 * resolution can send the browser elsewhere. It is matched exactly, port included (isRegisteredUri).
 */
function localhostWarnings(input: CreateClientInput): FieldProblem[] {
  const reason = 'uses localhost, which RFC 8252 §8.3 does not recommend: register http://127.0.0.1/… or http://[::1]/… instead, whose port may then be any at sign-in (a localhost URI is matched exactly, port included)';
  return (['redirectUris', 'postLogoutRedirectUris'] as const).flatMap((list) =>
    input[list].flatMap((uri, i) => (new URL(uri).hostname === 'localhost' ? [{ field: `${list}[${i}]`, reason }] : [])));
}

/** The form of every client id: registration enforces it, and a lookup of anything else answers "unknown" without a read. */
const CLIENT_ID = /^[A-Za-z0-9._-]{3,100}$/;

export const createClientSchema = z.strictObject({
  clientId: z.string().regex(CLIENT_ID, 'must be 3-100 letters, digits, dot, underscore or hyphen'),
  name: oneLine(),
  type: z.enum(['public', 'confidential']),
  redirectUris: z.array(redirectUri).min(1).max(20),
  postLogoutRedirectUris: z.array(redirectUri).max(20).default([]),
  grantTypes: z.array(z.enum(['authorization_code', 'refresh_token', 'password'])).min(1).default(['authorization_code', 'refresh_token']),
  environment: z.enum(['production', 'training']).default('production'),
  introspection: z.boolean().default(false).describe('A resource server: may call /oauth2/introspect (confidential clients only).'),
});
export type CreateClientInput = z.infer<typeof createClientSchema>;

/** What may change on a registered client (PATCH /admin/clients/{clientId}); every other key is a 422. */
export const updateClientSchema = z
  .object({
    introspection: z.boolean().describe('A resource server: may call /oauth2/introspect (confidential clients without the password grant only).'),
  })
  .strict();
export type UpdateClientInput = z.infer<typeof updateClientSchema>;

/**
 * Who may introspect (RFC 7662 §4: the server decides which clients may): a confidential client whose secret stays
 * on a server. Not a public client (no secret), nor one registered for the password grant: that is the POS app,
 * whose secret is on every till, and with introspection anyone holding a till could read any user's token.
 * Register the resource server as a client of its own. (Also a CHECK constraint, migrations/control/…-client-introspection.)
 */
function introspectionProblem(c: { type: 'public' | 'confidential'; grantTypes: readonly string[] }): FieldProblem | undefined {
  if (c.type === 'public') return { field: 'introspection', reason: 'only a confidential client (a resource server with a secret) may introspect tokens' };
  if (c.grantTypes.includes('password')) {
    return { field: 'introspection', reason: 'a client with the password grant has its secret on every device it runs on, so it may not introspect tokens; register the resource server as a client of its own' };
  }
  return undefined;
}

export type ClientView = Omit<OAuthClientEntity, 'secretHash' | 'createdAt'> & { createdAt: string };

const COLUMNS = 'client_id, name, client_type, redirect_uris, post_logout_redirect_uris, grant_types, environment, may_introspect, created_at';

/** A row of oauth_clients as the entity (secretHash only when it was selected). */
function fromRow(r: Record<string, unknown>): OAuthClientEntity {
  const c = Object.assign(new OAuthClientEntity(), {
    clientId: r.client_id, name: r.name, clientType: r.client_type, redirectUris: r.redirect_uris, postLogoutRedirectUris: r.post_logout_redirect_uris,
    grantTypes: r.grant_types, environment: r.environment, introspection: r.may_introspect, createdAt: r.created_at,
  });
  if ('secret_hash' in r) c.secretHash = r.secret_hash as string | null;
  return c;
}

@Injectable()
export class ClientsService {
  constructor(
    private readonly db: DataSource,
    private readonly origins: ClientOrigins,
  ) {}

  async create(input: CreateClientInput): Promise<{ client: ClientView; clientSecret?: string; warnings: FieldProblem[] }> {
    if (input.type === 'public' && input.grantTypes.includes('password')) {
      throw ProblemError.validation([{ field: 'grantTypes', reason: 'the password grant is only for confidential clients' }]);
    }
    const refused = input.introspection ? introspectionProblem(input) : undefined;
    if (refused) throw ProblemError.validation([refused]);
    const repo = this.db.getRepository(OAuthClientEntity);
    if (await repo.existsBy({ clientId: input.clientId })) throw ProblemError.conflict(`Client ${input.clientId} already exists.`, [{ field: 'clientId', reason: 'already exists' }]);
    const clientSecret = input.type === 'confidential' ? randomToken(32) : undefined;
    await repo.insert({
      clientId: input.clientId, name: input.name, clientType: input.type, secretHash: clientSecret ? sha256(clientSecret) : null,
      redirectUris: input.redirectUris, postLogoutRedirectUris: input.postLogoutRedirectUris, grantTypes: input.grantTypes, environment: input.environment,
      introspection: input.introspection,
    });
    // Its redirect URIs' origins may call the token endpoint from a browser at once here (on other instances
    // within CLIENT_ORIGINS_TTL_MS).
    this.origins.invalidate();
    return { client: await this.view(input.clientId), clientSecret, warnings: localhostWarnings(input) };
  }

  /** Changes what may change on a client (today: whether it may introspect), under the same rules as registration. */
  async update(clientId: string, input: UpdateClientInput): Promise<ClientView> {
    const c = await this.find(clientId);
    if (!c) throw ProblemError.notFound(`Client "${clientId}"`);
    const refused = input.introspection ? introspectionProblem({ type: c.clientType, grantTypes: c.grantTypes }) : undefined;
    if (refused) throw ProblemError.validation([refused]);
    await this.db.query(`UPDATE oauth_clients SET may_introspect = $2 WHERE client_id = $1`, [clientId, input.introspection]);
    return this.view(clientId);
  }

  async list(): Promise<ClientView[]> {
    const rows = await this.db.getRepository(OAuthClientEntity).find({ order: { clientId: 'ASC' } });
    return rows.map(toView);
  }

  async view(clientId: string): Promise<ClientView> {
    const c = await this.find(clientId);
    if (!c) throw ProblemError.notFound(`Client "${clientId}"`);
    return toView(c);
  }

  /** Every authorize and sign-out request reads its client: one raw read (a repository's costs ~1.4x the CPU, measured). */
  find(clientId: string): Promise<OAuthClientEntity | null> {
    return this.read(clientId, false);
  }

  private async read(clientId: string, withSecret: boolean): Promise<OAuthClientEntity | null> {
    if (!CLIENT_ID.test(clientId)) return null;
    const rows = await this.db.query(`SELECT ${COLUMNS}${withSecret ? ', secret_hash' : ''} FROM oauth_clients WHERE client_id = $1`, [clientId]);
    return rows[0] ? fromRow(rows[0]) : null;
  }

  /**
   * Client authentication at the token endpoint (RFC 6749 §2.3): HTTP Basic or client_secret_post for
   * confidential clients, client_id alone for public ones. More than one method at once is refused.
   */
  async authenticate(authorization: string | undefined, body: Record<string, unknown>): Promise<OAuthClientEntity> {
    let clientId: string | undefined;
    let secret: string | undefined;
    const bodyId = typeof body.client_id === 'string' ? body.client_id : undefined;
    const bodySecret = typeof body.client_secret === 'string' ? body.client_secret : undefined;
    if (authorization) {
      // The scheme first (its name in any case, RFC 9110 §11.1), then its credentials: a client that did send
      // Basic is told its credentials are malformed, not that it used another scheme.
      const header = authorization.trim();
      if (!/^basic(?:[ \t]|$)/i.test(header)) throw new InvalidClient('The Authorization header must use the Basic scheme.');
      const credentials = header.slice(5).trim();
      if (!BASE64.test(credentials)) throw new InvalidClient(MALFORMED_BASIC);
      const decoded = Buffer.from(credentials, 'base64').toString('utf8');
      const i = decoded.indexOf(':');
      if (i < 0) throw new InvalidClient(MALFORMED_BASIC);
      try {
        const dec = (v: string) => decodeURIComponent(v.replace(/\+/g, '%20'));
        clientId = dec(decoded.slice(0, i));
        secret = dec(decoded.slice(i + 1));
      } catch {
        throw new InvalidClient('The Basic credentials are not form-encoded correctly.');
      }
      if (bodySecret !== undefined) throw new InvalidClient('Use one client authentication method, not both Basic and client_secret.');
      if (bodyId !== undefined && bodyId !== clientId) throw new InvalidClient('client_id does not match the authenticated client.');
    } else {
      clientId = bodyId;
      secret = bodySecret;
    }
    if (!clientId) throw new InvalidClient('Client authentication is required (client_id).');
    const client = await this.read(clientId, true);
    if (!client) throw new InvalidClient('Unknown client or wrong credentials.');
    if (client.clientType === 'confidential') {
      if (!secret || !client.secretHash || !safeEqual(sha256(secret), client.secretHash)) throw new InvalidClient('Unknown client or wrong credentials.');
    } else if (secret !== undefined) {
      throw new InvalidClient('This is a public client; it has no secret to send.');
    }
    return client;
  }
}

function toView(c: OAuthClientEntity): ClientView {
  const { secretHash: _s, createdAt, ...rest } = c;
  return { ...rest, createdAt: createdAt.toISOString() };
}

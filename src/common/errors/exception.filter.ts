import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger, MethodNotAllowedException, NotFoundException } from '@nestjs/common';
import type { Request, Response } from 'express';
import { SecretKeyMissing } from '../crypto/secret-box.js';
import { html, sendPage } from '../web/page.js';
import { isDatabaseUnavailable, isInvalidTextInput } from './database-errors.js';
import { AuthorizationRedirectError, InvalidRequest, MissingToken, OAuthError, ServerError, TemporarilyUnavailable } from './oauth-errors.js';
import { BrowserError, ProblemError } from './problem.js';
import { ScimError } from './scim-error.js';
import { MALFORMED_ENCODING, UNSTORABLE_TEXT, UnsafeInput } from './unsafe-input.js';

type Surface = 'oauth-json' | 'browser' | 'rest' | 'scim';

/** The realm of the apps' Bearer-protected API (/v1/me, /v1/training/me, /oauth2/userinfo) in every challenge it makes (RFC 6750 §3). */
const API_REALM = 'api';

/** A rate limit of this service was exceeded (see abuse/rate-limits.ts): 429 with Retry-After, in each surface's form. */
export class TooManyRequests extends Error {
  constructor(
    message: string,
    readonly retryAfterS: number,
  ) {
    super(message);
  }
}

/**
 * Why the JSON body parser refused a body: not JSON at all, or valid JSON that is not an object or array
 * (null, "x", 42: body-parser's strict mode refuses them with the same error, keeping the text as `body`).
 */
function unparsedJsonMessage(e: unknown): string {
  const text = (e as { body?: unknown } | undefined)?.body;
  if (typeof text === 'string') {
    try {
      JSON.parse(text);
      return 'The request body must be a JSON object.';
    } catch {
      /* not JSON */
    }
  }
  return 'The request body is not valid JSON.';
}

/** Which protocol's error form a path speaks. */
export function surfaceOf(path: string): Surface {
  if (/^\/oauth2\/(token|revoke|introspect)\b/.test(path)) return 'oauth-json';
  if (/^\/oauth2\/(authorize|callback|logout)\b/.test(path) || path.startsWith('/signin')) return 'browser';
  if (path.startsWith('/scim/')) return 'scim';
  return 'rest';
}

/**
 * The one place exceptions become HTTP. OAuth endpoints answer {error, error_description}; browser pages get
 * a safe HTML page or a redirect back to the app; the REST API answers problem details. Never a stack trace.
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly log = new Logger('Errors');

  /** `allowedMethods`: the methods the routes answer for a path (common/web/allowed-methods.ts), for 405 and OPTIONS. */
  constructor(private readonly allowedMethods: (path: string) => string[] = () => []) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const req = ctx.getRequest<Request & { id?: string }>();
    const res = ctx.getResponse<Response>();
    if (res.headersSent) return;
    const surface = surfaceOf(req.path);

    // No route took the request, but the path has routes for other methods (RFC 9110 §15.5.6, §9.3.7): OPTIONS
    // is told them; any other method gets a 405 with them, in the surface's own form below.
    const allow = exception instanceof NotFoundException && /^Cannot /.test(exception.message) ? this.allowedMethods(req.path) : [];
    if (allow.length > 0) {
      res.set('Allow', allow.join(', '));
      if (req.method === 'OPTIONS') {
        res.status(204).end();
        return;
      }
      exception = new MethodNotAllowedException(`This resource answers ${allow.join(', ')} only.`);
    }

    // Refused characters (the input guard), or text Postgres refused (the backstop): the client's 400.
    const unsafe = this.unsafeInput(exception, req);
    if (unsafe) {
      // SCIM: a value it cannot take is invalidValue; a request that is not even well-formed text, invalidSyntax.
      if (surface === 'scim') this.sendScim(res, req, unsafe.malformed ? ScimError.invalidSyntax(unsafe.sentence) : ScimError.invalidValue(unsafe.sentence));
      else if (surface === 'oauth-json') this.sendOAuth(res, new InvalidRequest(unsafe.sentence));
      else if (surface === 'browser') sendPage(res, 400, 'This request could not be handled', html`<p>${unsafe.sentence}</p>${this.reference(req)}`);
      else this.sendProblem(res, req, new ProblemError(400, 'Bad Request', unsafe.detail, unsafe.errors));
      return;
    }
    if (surface === 'scim') {
      this.sendScim(res, req, exception);
      return;
    }
    if (exception instanceof AuthorizationRedirectError) {
      res.set('Cache-Control', 'no-store').redirect(302, exception.location());
      return;
    }
    if (exception instanceof BrowserError) {
      sendPage(res, exception.status, exception.title, html`<p>${exception.detail}</p>${this.reference(req)}`);
      return;
    }
    if (exception instanceof OAuthError) {
      if (exception.status >= 500) this.log.error({ err: exception, correlationId: req.id }, 'OAuth server error');
      if (surface === 'browser') {
        sendPage(res, exception.status, 'Sign-in could not continue', html`<p>${exception.description}</p><p class="muted">(${exception.error})</p>${this.reference(req)}`);
        return;
      }
      if (surface === 'rest') {
        // Bearer-protected REST API (RFC 6750 §3): the challenge in the header (always with its realm), the body as
        // problem details. A request with no token is told only that one is needed, in both (§3.1: no error code);
        // a token sent and bad (401), short of scope (403) or sent wrongly (400, invalid_request) is named by its code.
        if (exception instanceof MissingToken) {
          res.set('WWW-Authenticate', `Bearer realm="${API_REALM}"`);
          this.sendProblem(res, req, new ProblemError(401, 'Unauthorized', exception.description));
          return;
        }
        if (exception.status === 400 || exception.status === 401 || exception.status === 403) {
          // The description holds no quote or backslash: OAuthError made it safe for error_description (RFC 6750 §3).
          res.set('WWW-Authenticate', `Bearer realm="${API_REALM}", error="${exception.error}", error_description="${exception.description}"`);
        }
        // The title is the status phrase like every about:blank problem's; the OAuth error code is its own member.
        this.sendProblem(res, req, new ProblemError(exception.status, exception.error, exception.description), { error: exception.error });
        return;
      }
      this.sendOAuth(res, exception);
      return;
    }
    if (exception instanceof ProblemError) {
      this.sendProblem(res, req, exception);
      return;
    }

    // Health checks (terminus) answer 503 with their own report, which probes and operators read as is.
    if (req.path.startsWith('/health/') && exception instanceof HttpException && exception.getStatus() === 503) {
      res.status(503).set('Cache-Control', 'no-store').json(exception.getResponse());
      return;
    }

    // A sealed value (a tenant's client secret...) needs a key this instance's SECRETS_KEYS lacks: the operators'
    // configuration, named in the log and to admins; apps and users get a plain 503.
    if (exception instanceof SecretKeyMissing) {
      this.log.error({ keyId: exception.keyId, correlationId: req.id }, 'A sealed value needs a key that is not in SECRETS_KEYS');
      const message = 'The service cannot open a secret it needs right now; an operator has to fix its configuration.';
      if (surface === 'oauth-json') this.sendOAuth(res, new TemporarilyUnavailable(message));
      else if (surface === 'browser') sendPage(res, 503, 'Temporarily unavailable', html`<p>${message}</p>${this.reference(req)}`);
      else this.sendProblem(res, req, new ProblemError(503, 'Service Unavailable', `${exception.message}: add that key back to SECRETS_KEYS (after the active one), then reseal (POST /admin/secrets/reseal).`));
      return;
    }

    // Postgres restarting or failing over: a clear 503 in each surface's form, never a 500.
    if (isDatabaseUnavailable(exception)) {
      this.log.error({ err: exception, correlationId: req.id }, 'Database unavailable');
      const message = 'The service is briefly unavailable; please try again in a moment.';
      res.set('Retry-After', '5');
      if (surface === 'oauth-json') this.sendOAuth(res, new TemporarilyUnavailable(message));
      else if (surface === 'browser') sendPage(res, 503, 'Temporarily unavailable', html`<p>${message}</p>${this.reference(req)}`);
      else this.sendProblem(res, req, new ProblemError(503, 'Service Unavailable', message));
      return;
    }

    // Framework and parser errors (unknown route, malformed JSON, body too large, wrong method, rate limits).
    const http = this.fromHttpException(exception);
    if (!http) {
      this.log.error({ err: exception, correlationId: req.id }, 'Unhandled error');
    } else if (http.status === 429) {
      if (http.retryAfterS) res.set('Retry-After', String(http.retryAfterS));
      if (surface === 'oauth-json') return this.sendOAuth(res, Object.assign(new TemporarilyUnavailable(http.message), { status: 429 }));
    } else if (http.status >= 400) {
      this.log.warn({ correlationId: req.id, status: http.status, reason: http.message }, 'Request refused');
    }
    const status = http?.status ?? 500;
    const message = http?.message ?? 'An unexpected error occurred. Quote the reference below to support.';
    if (surface === 'oauth-json') {
      this.sendOAuth(res, status >= 500 ? new ServerError('The server could not handle the request.') : Object.assign(new InvalidRequest(message), { status }));
    } else if (surface === 'browser') {
      sendPage(res, status, status >= 500 ? 'Something went wrong' : 'This request could not be handled', html`<p>${message}</p>${this.reference(req)}`);
    } else {
      this.sendProblem(res, req, new ProblemError(status, 'Internal Server Error', message));
    }
  }

  private unsafeInput(e: unknown, req: Request & { id?: string }): { sentence: string; detail: string; malformed?: boolean; errors?: { field: string; reason: string }[] } | undefined {
    if (e instanceof UnsafeInput) {
      this.log.warn({ correlationId: req.id, status: 400, part: e.part, field: e.field, reason: e.reason }, 'Request refused');
      return { sentence: e.sentence(), detail: e.detail(), malformed: e.reason === MALFORMED_ENCODING, errors: [{ field: e.field, reason: e.reason }] };
    }
    if (isInvalidTextInput(e)) {
      // Only the SQLSTATE and Postgres' own message: never the statement's parameters (the input itself).
      const pg = e as { code?: string; driverError?: { code?: string; message?: string }; message?: string };
      this.log.warn({ correlationId: req.id, status: 400, sqlState: pg.driverError?.code ?? pg.code, reason: pg.driverError?.message ?? pg.message }, 'Request refused: text the database cannot store');
      return { sentence: UNSTORABLE_TEXT, detail: UNSTORABLE_TEXT };
    }
    return undefined;
  }

  /** Status and message of a framework or parser error (the problem's title is the status phrase: ProblemError). */
  private fromHttpException(e: unknown): { status: number; message: string; retryAfterS?: number } | undefined {
    if (e instanceof TooManyRequests) return { status: 429, message: e.message, retryAfterS: e.retryAfterS };
    // body-parser errors (Nest wraps them in an HttpException with the original as cause): our own wording,
    // never the parser's ("Unexpected end of JSON input").
    const parser = this.fromParserError(e instanceof HttpException && e.cause ? e.cause : e);
    if (parser) return parser;
    if (e instanceof HttpException) {
      const status = e.getStatus();
      // Nest wraps body-parser's SyntaxError; its message is the JSON parser's, not ours.
      if ((e.cause as { type?: string } | undefined)?.type === 'entity.parse.failed') return { status, message: unparsedJsonMessage(e.cause) };
      const body = e.getResponse();
      const raw = typeof body === 'object' && body && 'message' in body ? (body as { message: unknown }).message : e.message;
      const message = Array.isArray(raw) ? raw.join('; ') : String(raw);
      return { status, message: status === 404 && /^Cannot /.test(message) ? 'No such resource.' : message };
    }
    return undefined;
  }

  private fromParserError(e: unknown): { status: number; message: string } | undefined {
    const err = e as { status?: number; type?: string; expose?: boolean; detail?: unknown };
    if (err && typeof err.status === 'number' && err.status >= 400 && err.status < 500 && err.expose) {
      const message =
        typeof err.detail === 'string' ? err.detail // our own (UnsupportedCharset), never body-parser's wording
        : err.type === 'entity.parse.failed' ? unparsedJsonMessage(err)
        : err.type === 'entity.too.large' ? 'The request body is too large.'
        : err.type === 'parameters.too.many' ? 'The request has too many parameters.'
        : err.type === 'encoding.unsupported' || err.type === 'charset.unsupported' ? 'The request body encoding is not supported.'
        : 'The request body could not be read.';
      return { status: err.status, message };
    }
    return undefined;
  }

  private reference(req: Request & { id?: string }) {
    return req.id ? html`<p class="muted">Reference: ${String(req.id)}</p>` : html``;
  }

  /** SCIM endpoints (RFC 7644 §3.12) speak only SCIM errors, whatever went wrong. */
  private sendScim(res: Response, req: Request & { id?: string }, exception: unknown): void {
    let e: ScimError;
    if (exception instanceof ScimError) e = exception;
    else if (exception instanceof ProblemError) e = new ScimError(exception.status, exception.detail ?? exception.title, exception.status === 400 || exception.status === 422 ? 'invalidValue' : undefined);
    else {
      const http = this.fromHttpException(exception);
      if (!http) this.log.error({ err: exception, correlationId: req.id }, 'Unhandled SCIM error');
      const status = http?.status ?? 500;
      e = new ScimError(status, http?.message ?? `An unexpected error occurred (reference ${req.id ?? 'none'}).`, status === 400 ? 'invalidSyntax' : undefined);
    }
    if (e.status === 401) res.set('WWW-Authenticate', 'Bearer realm="scim"');
    if (exception instanceof TooManyRequests) res.set('Retry-After', String(exception.retryAfterS));
    res.status(e.status).set('Cache-Control', 'no-store').type('application/scim+json').send(JSON.stringify(e.body()));
  }

  private sendOAuth(res: Response, e: OAuthError): void {
    res.status(e.status).set({ 'Cache-Control': 'no-store', Pragma: 'no-cache' });
    if (e.status === 401) res.set('WWW-Authenticate', e.error === 'invalid_token' ? `Bearer error="invalid_token"` : 'Basic realm="oauth2"');
    res.json({ error: e.error, error_description: e.description });
  }

  /** `extensions`: members of this problem beyond RFC 9457's (§3.2), e.g. the OAuth error code of a Bearer refusal. */
  private sendProblem(res: Response, req: Request & { id?: string }, p: ProblemError, extensions: Record<string, string> = {}): void {
    if (p.challenge) res.set('WWW-Authenticate', p.challenge);
    res
      .status(p.status)
      .type('application/problem+json')
      .send(JSON.stringify({ type: p.type, title: p.title, status: p.status, detail: p.detail, ...extensions, errors: p.errors, instance: req.originalUrl?.split('?')[0], correlationId: req.id }));
  }
}

import { Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Clock } from '../../common/clock.js';
import { isLoopbackIpRedirect } from '../../common/http/host-name.js';

/** How long an instance answers from its copy of the origins; a client registered on another instance is allowed after at most this. */
export const CLIENT_ORIGINS_TTL_MS = 30_000;
/** After a failed read (Postgres down), the last copy serves this long before the next try. */
const RETRY_MS = 5_000;

/**
 * The browser origins that may call the token, revocation and API endpoints from JavaScript (CORS, see
 * common/web/cors.ts): the origins of the http(s) redirect URIs of the registered clients. Every client is
 * enabled (there is no disabled state); a private-use scheme (com.iqmetrix.rq:/cb) and a loopback IP URI, both a
 * native app's, have no web origin (webOrigin).
 *
 * The token endpoint is hot, so each instance keeps the set in memory, read from Postgres (one small query) when
 * it is older than CLIENT_ORIGINS_TTL_MS, and at once after a client is registered through this instance. Another
 * instance's registration therefore takes effect here within that bound: nothing is decided from memory alone
 * for longer. While Postgres cannot be read, the last copy keeps serving (retried every few seconds); with none,
 * no origin is allowed.
 */
@Injectable()
export class ClientOrigins {
  private readonly log = new Logger(ClientOrigins.name);
  private origins: ReadonlySet<string> = new Set();
  private freshUntil = 0;
  private loading?: Promise<ReadonlySet<string>>;
  /** Counts registrations: a read that began before one may miss it, so it is used but not taken as fresh. */
  private generation = 0;

  constructor(
    private readonly db: DataSource,
    private readonly clock: Clock,
  ) {}

  /** Whether an Origin header is one of them: an answer from memory while it is fresh, else after one read. */
  allows(origin: string): boolean | Promise<boolean> {
    if (this.clock.now().getTime() < this.freshUntil) return this.origins.has(origin);
    return this.load().then((set) => set.has(origin));
  }

  /** A client was registered: read again on the next question. */
  invalidate(): void {
    this.generation++;
    this.freshUntil = 0;
    this.loading = undefined;
  }

  private load(): Promise<ReadonlySet<string>> {
    if (this.loading) return this.loading;
    const generation = this.generation;
    const loading = this.read()
      .then((set) => {
        if (generation !== this.generation) return set;
        this.origins = set;
        this.freshUntil = this.clock.now().getTime() + CLIENT_ORIGINS_TTL_MS;
        return set;
      }, (e: unknown) => {
        this.log.warn({ code: (e as { code?: string }).code }, 'Could not read the client origins for CORS; the last copy serves');
        if (generation === this.generation) this.freshUntil = this.clock.now().getTime() + RETRY_MS;
        return this.origins;
      })
      .finally(() => {
        if (this.loading === loading) this.loading = undefined;
      });
    this.loading = loading;
    return loading;
  }

  private async read(): Promise<ReadonlySet<string>> {
    const rows: Array<{ uri: string }> = await this.db.query(`SELECT DISTINCT unnest(redirect_uris) AS uri FROM oauth_clients`);
    const set = new Set<string>();
    for (const { uri } of rows) {
      const origin = webOrigin(uri);
      if (origin) set.add(origin);
    }
    return set;
  }
}

/**
 * The origin a browser app at `uri` calls from (RFC 6454 serialization, as URL.origin writes it), if it has one.
 * None for a URI with a control character or whitespace (stored before registration refused them): authorize
 * never redirects to one (isRegisteredUri), so no page of it can hold a code. None for a loopback IP one
 * (http://127.0.0.1, http://[::1]): those are a native app's (RFC 8252 §7.3), which calls without CORS, and they
 * match with any port, so the one origin their registration names (port 80 for http://127.0.0.1/cb) was arbitrary.
 * A `localhost` one keeps its exact origin, as it is matched exactly.
 */
export function webOrigin(uri: string): string | undefined {
  if (/[\u0000-\u001F\u007F\s]/u.test(uri)) return undefined;
  try {
    const u = new URL(uri);
    if (isLoopbackIpRedirect(u)) return undefined;
    return u.protocol === 'https:' || u.protocol === 'http:' ? u.origin : undefined;
  } catch {
    return undefined;
  }
}

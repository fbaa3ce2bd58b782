/**
 * A tiny non-browser user agent over real HTTP(S): node fetch with `redirect: 'manual'`, a
 * cookie jar (RFC 6265: host-only/Domain, Path, Secure, HttpOnly, Max-Age/Expires; ports share
 * cookies, as in browsers), redirect following, the Okta stand-in's login form filled in, and
 * self-submitting forms (form_post, logout) posted like a browser running their script would.
 * No JavaScript, no SameSite enforcement.
 */
import { isIP } from 'node:net';

export interface Cookie {
  name: string;
  value: string;
  domain: string;
  hostOnly: boolean;
  path: string;
  secure: boolean;
  httpOnly: boolean;
  sameSite?: string;
  /** Epoch ms; undefined for a session cookie. */
  expiresAt?: number;
}

export class CookieJar {
  private cookies: Cookie[] = [];

  /** Store the Set-Cookie headers of a response from `url`. */
  store(url: URL, setCookies: string[]): void {
    for (const header of setCookies) {
      const cookie = parseSetCookie(url, header);
      if (!cookie) continue;
      this.cookies = this.cookies.filter((c) => !(c.name === cookie.name && c.domain === cookie.domain && c.path === cookie.path));
      if (cookie.expiresAt === undefined || cookie.expiresAt > Date.now()) this.cookies.push(cookie);
    }
  }

  /** The cookies a request to `url` carries, longest path first. */
  matching(url: URL): Cookie[] {
    const host = hostOf(url);
    const now = Date.now();
    this.cookies = this.cookies.filter((c) => c.expiresAt === undefined || c.expiresAt > now);
    return this.cookies
      .filter((c) => (c.hostOnly ? host === c.domain : domainMatches(host, c.domain))
        && pathMatches(url.pathname, c.path)
        && (!c.secure || isTrustworthy(url)))
      .sort((a, b) => b.path.length - a.path.length);
  }

  header(url: URL): string | undefined {
    const cookies = this.matching(url);
    return cookies.length ? cookies.map((c) => `${c.name}=${c.value}`).join('; ') : undefined;
  }

  get(name: string, url?: URL): Cookie | undefined {
    return (url ? this.matching(url) : this.cookies).find((c) => c.name === name);
  }

  all(): Cookie[] {
    return [...this.cookies];
  }

  clear(): void {
    this.cookies = [];
  }
}

// Like browsers, loopback http counts as a secure context (Secure cookies are set and sent).
const isTrustworthy = (url: URL) => url.protocol === 'https:'
  || ['localhost', '127.0.0.1', '::1'].includes(hostOf(url));
const hostOf = (url: URL) => url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
const domainMatches = (host: string, domain: string) => host === domain
  || (!isIP(host) && host.endsWith(`.${domain}`));

function pathMatches(requestPath: string, cookiePath: string): boolean {
  if (requestPath === cookiePath) return true;
  return requestPath.startsWith(cookiePath) && (cookiePath.endsWith('/') || requestPath[cookiePath.length] === '/');
}

function defaultPath(url: URL): string {
  const path = url.pathname;
  return !path.startsWith('/') || path.lastIndexOf('/') === 0 ? '/' : path.slice(0, path.lastIndexOf('/'));
}

function parseSetCookie(url: URL, header: string): Cookie | undefined {
  const [pair = '', ...attributes] = header.split(';');
  const eq = pair.indexOf('=');
  if (eq < 1) return undefined;
  const host = hostOf(url);
  const cookie: Cookie = {
    name: pair.slice(0, eq).trim(),
    value: pair.slice(eq + 1).trim(),
    domain: host,
    hostOnly: true,
    path: defaultPath(url),
    secure: false,
    httpOnly: false,
  };
  let maxAge: number | undefined;
  for (const attribute of attributes) {
    const i = attribute.indexOf('=');
    const key = (i < 0 ? attribute : attribute.slice(0, i)).trim().toLowerCase();
    const value = i < 0 ? '' : attribute.slice(i + 1).trim();
    if (key === 'domain' && value) {
      const domain = value.replace(/^\./, '').toLowerCase();
      if (!domainMatches(host, domain)) return undefined; // a cookie for some other site: rejected
      cookie.domain = domain;
      cookie.hostOnly = false;
    } else if (key === 'path') cookie.path = value.startsWith('/') ? value : defaultPath(url);
    else if (key === 'secure') cookie.secure = true;
    else if (key === 'httponly') cookie.httpOnly = true;
    else if (key === 'samesite') cookie.sameSite = value.toLowerCase();
    else if (key === 'max-age' && /^-?\d+$/.test(value)) maxAge = Number(value);
    else if (key === 'expires' && cookie.expiresAt === undefined && !Number.isNaN(Date.parse(value))) cookie.expiresAt = Date.parse(value);
  }
  if (maxAge !== undefined) cookie.expiresAt = maxAge <= 0 ? 0 : Date.now() + maxAge * 1000;
  if (cookie.secure && !isTrustworthy(url)) return undefined;
  return cookie;
}

export interface PageResponse {
  url: string;
  status: number;
  headers: Headers;
  body: string;
}

export interface Hop {
  method: string;
  url: string;
  status: number;
  location?: string;
}

export interface FollowOptions {
  /** Stop (without requesting it) at the first URL starting with this, e.g. the app's redirect URI. */
  stopAt: string;
  /** Credentials for the login form; without them a login form is returned as the response. */
  username?: string;
  password?: string;
  /** Default 25. */
  maxHops?: number;
}

export interface FollowResult {
  /** True when a URL starting with `stopAt` was reached. */
  reached: boolean;
  /** The `stopAt` URL reached, or the URL of `response`. */
  url: string;
  /** For a form POSTed to `stopAt` (response_mode=form_post), its fields. */
  form?: Record<string, string>;
  /** When not reached: the page that stopped us (error page, failed login form, ...). */
  response?: PageResponse;
  /** Every request made, in order. */
  trail: Hop[];
}

interface Form {
  method: string;
  action: string;
  fields: Record<string, string>;
  passwordField?: string;
  usernameField?: string;
}

const attr = (tag: string, name: string) => {
  const m = new RegExp(`\\s${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)'|([^\\s>]+))`, 'i').exec(tag);
  return m ? decodeEntities(m[1] ?? m[2] ?? m[3] ?? '') : undefined;
};

function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos);/gi, (_, e: string) => {
    const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
    if (e[0] !== '#') return named[e.toLowerCase()]!;
    return String.fromCodePoint(e[1]?.toLowerCase() === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
  });
}

/** The forms of an HTML page (inputs only; enough for login and self-submitting forms). */
export function parseForms(html: string, pageUrl: string): Form[] {
  return [...html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)].map(([, formTag = '', inner = '']) => {
    const form: Form = {
      method: (attr(formTag, 'method') ?? 'get').toUpperCase(),
      action: new URL(attr(formTag, 'action') || pageUrl, pageUrl).href,
      fields: {},
    };
    for (const [input] of inner.matchAll(/<input\b[^>]*>/gi)) {
      const name = attr(input, 'name');
      if (!name) continue;
      const type = (attr(input, 'type') ?? 'text').toLowerCase();
      if (type === 'password') form.passwordField ??= name;
      else if (['text', 'email'].includes(type)) form.usernameField ??= name;
      if (!['submit', 'button', 'checkbox', 'radio'].includes(type)) form.fields[name] = attr(input, 'value') ?? '';
    }
    return form;
  });
}

function submit(form: Form): { method: string; url: string; body?: URLSearchParams } {
  const body = new URLSearchParams(form.fields);
  if (form.method === 'POST') return { method: 'POST', url: form.action, body };
  const url = new URL(form.action);
  url.search = body.toString();
  return { method: 'GET', url: url.href };
}

const isHtml = (page: PageResponse) => /html/i.test(page.headers.get('content-type') ?? '');

export class Browser {
  readonly jar = new CookieJar();

  constructor(private readonly options: { timeoutMs?: number; userAgent?: string } = {}) {}

  /** GET `url` with the jar's cookies; redirects are not followed. */
  get(url: string, headers: Record<string, string> = {}): Promise<PageResponse> {
    return this.request('GET', url, undefined, headers);
  }

  /** POST a urlencoded form to `url` with the jar's cookies; redirects are not followed. */
  post(url: string, form: Record<string, string> | URLSearchParams, headers: Record<string, string> = {}): Promise<PageResponse> {
    return this.request('POST', url, new URLSearchParams(form), headers);
  }

  async request(method: string, url: string, body?: URLSearchParams, headers: Record<string, string> = {}): Promise<PageResponse> {
    const target = new URL(url);
    const cookie = this.jar.header(target);
    const response = await fetch(target, {
      method,
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(this.options.timeoutMs ?? 15_000),
      headers: {
        accept: 'text/html,application/json;q=0.9,*/*;q=0.8',
        'user-agent': this.options.userAgent ?? 'okta-sso-broker-tests/1.0',
        ...(cookie ? { cookie } : {}),
        ...headers,
      },
    });
    this.jar.store(target, response.headers.getSetCookie());
    return { url: target.href, status: response.status, headers: response.headers, body: await response.text() };
  }

  /**
   * Follow redirects from `startUrl`; fill in and post the login form when one appears (once);
   * post self-submitting forms; stop at the first URL starting with `stopAt`.
   */
  async follow(startUrl: string, { stopAt, username, password, maxHops = 25 }: FollowOptions): Promise<FollowResult> {
    const trail: Hop[] = [];
    let next: { method: string; url: string; body?: URLSearchParams } = { method: 'GET', url: startUrl };
    let loggedIn = false;
    while (trail.length < maxHops) {
      if (next.url.startsWith(stopAt)) {
        const form = next.method === 'POST' && next.body ? Object.fromEntries(next.body) : undefined;
        return { reached: true, url: next.url, form, trail };
      }
      const page = await this.request(next.method, next.url, next.body);
      const location = page.headers.get('location') ?? undefined;
      trail.push({ method: next.method, url: page.url, status: page.status, location });

      if (location && [301, 302, 303, 307, 308].includes(page.status)) {
        const keep = page.status === 307 || page.status === 308;
        next = keep ? { ...next, url: new URL(location, page.url).href } : { method: 'GET', url: new URL(location, page.url).href };
        continue;
      }
      const forms = isHtml(page) ? parseForms(page.body, page.url) : [];
      const login = forms.find((f) => f.passwordField && f.usernameField);
      if (login && username !== undefined && password !== undefined && !loggedIn) {
        loggedIn = true;
        next = submit({ ...login, fields: { ...login.fields, [login.usernameField!]: username, [login.passwordField!]: password } });
        continue;
      }
      const autoSubmit = forms[0] && /document\.forms\[0\]\.submit\(\)/.test(page.body) ? forms[0] : undefined;
      if (autoSubmit && !login) {
        next = submit(autoSubmit);
        continue;
      }
      return { reached: false, url: page.url, response: page, trail };
    }
    throw new Error(`browser: more than ${maxHops} hops from ${startUrl}:\n${trail.map((h) => `${h.status} ${h.method} ${h.url}`).join('\n')}`);
  }
}

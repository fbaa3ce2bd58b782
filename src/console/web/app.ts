import { ApiError, api, setCsrfToken, whenSignedOut } from './api.js';
import { type Child, h, replace } from './dom.js';

/**
 * The console's shell: who is signed in, the router (History API under /console), the page layout, and a
 * polite live region that announces progress and page changes to screen readers.
 */
export interface Session {
  name: string;
  role: 'operator' | 'manager';
  expiresAt: string;
  csrfToken: string;
}

export interface Screen {
  title: string;
  render(main: HTMLElement, params: Record<string, string>): Promise<void> | void;
}

type Route = { pattern: RegExp; keys: string[]; screen: (params: Record<string, string>) => Screen };

const routes: Route[] = [];
let session: Session | null = null;
let signInScreen: () => Screen;

export function route(path: string, screen: (params: Record<string, string>) => Screen): void {
  const keys: string[] = [];
  const pattern = new RegExp(`^${path.replace(/:([a-z]+)/g, (_, k: string) => (keys.push(k), '([^/]+)'))}/?$`);
  routes.push({ pattern, keys, screen });
}

export function currentSession(): Session | null {
  return session;
}

export function setSession(s: Session | null): void {
  session = s;
  setCsrfToken(s?.csrfToken ?? '');
}

export function setSignInScreen(screen: () => Screen): void {
  signInScreen = screen;
}

/** Announces a message through the page's live region (progress, results, page changes). */
export function announce(text: string): void {
  const live = document.getElementById('live')!;
  live.textContent = '';
  // A new text node after a tick, so the same message twice is announced twice.
  setTimeout(() => (live.textContent = text), 30);
}

export function navigate(path: string, replaceState = false): void {
  if (replaceState) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  void render();
}

/** A link inside the console: same-page navigation, keeps the browser's own behaviour for new tabs. */
export function link(path: string, ...children: Child[]): HTMLAnchorElement {
  const a = h('a', { href: path }, ...children);
  a.addEventListener('click', (e) => {
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(path);
  });
  return a;
}

function header(): HTMLElement {
  const signOut = h('button', { type: 'button', class: 'secondary' }, 'Sign out');
  signOut.addEventListener('click', async () => {
    try {
      await api('DELETE', '/console/api/session');
    } catch {
      /* the session may already be gone */
    }
    setSession(null);
    announce('Signed out.');
    navigate('/console', true);
  });
  return h('header', { class: 'top' },
    h('div', { class: 'top-inner' },
      link('/console', h('span', { class: 'brand' }, 'iQmetrix SSO console')),
      session ? h('div', { class: 'who' }, h('span', {}, session.name, ' ', h('span', { class: 'muted' }, `(${session.role === 'operator' ? 'operator' : 'account manager'})`)), signOut) : null));
}

let rendering = 0;
export async function render(): Promise<void> {
  const ticket = ++rendering;
  const root = document.getElementById('app')!;
  const main = h('main', { id: 'main', tabindex: -1 });
  const path = location.pathname.replace(/\/+$/, '') || '/console';
  let screen: Screen | undefined;
  let params: Record<string, string> = {};
  if (!session) {
    screen = signInScreen();
  } else {
    for (const r of routes) {
      const m = r.pattern.exec(path);
      if (m) {
        params = Object.fromEntries(r.keys.map((k, i) => [k, decodeURIComponent(m[i + 1]!)]));
        screen = r.screen(params);
        break;
      }
    }
  }
  replace(root, h('a', { href: '#main', class: 'skip' }, 'Skip to content'), header(), main);
  if (!screen) {
    document.title = 'Not found · SSO console';
    replace(main, h('h1', { tabindex: -1 }, 'Page not found'), h('p', {}, 'This console page does not exist. ', link('/console', 'Go to your tenants')));
    return;
  }
  document.title = `${screen.title} · SSO console`;
  try {
    await screen.render(main, params);
  } catch (e) {
    if (ticket !== rendering) return;
    const err = e instanceof ApiError ? e : new ApiError(0, 'Error', e instanceof Error ? e.message : String(e));
    replace(main, h('h1', { tabindex: -1 }, err.status === 404 ? 'Not found' : 'Something went wrong'), h('p', { class: 'message message-error', role: 'alert' }, err.detail),
      err.correlationId ? h('p', { class: 'muted' }, `Reference: ${err.correlationId}`) : null, h('p', {}, link('/console', 'Back to your tenants')));
  }
  if (ticket !== rendering) return;
  const h1 = main.querySelector('h1');
  if (h1) {
    h1.setAttribute('tabindex', '-1');
    if (document.activeElement === document.body || !main.contains(document.activeElement)) h1.focus();
  }
  announce(document.title.replace(' · SSO console', ''));
}

export async function start(): Promise<void> {
  whenSignedOut(() => {
    if (!session) return;
    setSession(null);
    announce('Your console session has ended. Sign in again.');
    void render();
  });
  try {
    setSession(await api<Session>('GET', '/console/api/session', undefined, { quiet401: true }));
  } catch {
    setSession(null);
  }
  window.addEventListener('popstate', () => void render());
  await render();
}

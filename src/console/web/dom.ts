/**
 * The console's whole "framework": build elements from data. Text always goes in as text nodes
 * (textContent), never as HTML, so nothing an API returns can become markup or script.
 */
export type Child = Node | string | number | null | undefined | false | Child[];
export type Attrs = Record<string, string | number | boolean | null | undefined | EventListener> & { class?: string };

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false || k === 'value' || k === 'checked') continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v as EventListener);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  // After the children: a <select>'s value needs its options.
  if (attrs.value !== undefined && attrs.value !== null && 'value' in el) (el as HTMLInputElement).value = String(attrs.value);
  if (attrs.checked !== undefined && 'checked' in el) (el as HTMLInputElement).checked = Boolean(attrs.checked);
  return el;
}

export function append(el: Node, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
}

export function replace(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, children);
}

let ids = 0;
export function uid(prefix: string): string {
  return `${prefix}-${++ids}`;
}

/** A readable local time with the ISO value in <time datetime>. */
export function time(iso: string | null | undefined): Child {
  if (!iso) return '—';
  const d = new Date(iso);
  return h('time', { datetime: d.toISOString() }, d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' }));
}

/** JSON-ish values shown as text. */
export function show(value: unknown): string {
  if (value === undefined) return '(absent)';
  if (value === null) return '(empty)';
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

export function badge(text: string, kind: 'ok' | 'warn' | 'fail' | 'info' | 'muted' = 'info'): HTMLElement {
  return h('span', { class: `badge badge-${kind}` }, text);
}

import type { FieldProblem } from './api.js';
import { type Child, h, replace, uid } from './dom.js';

/**
 * Form fields with a label, a hint and an error slot tied to the control (aria-describedby, aria-invalid),
 * and the mapping of the API's per-field reasons (problem+json errors[{field, reason}]) onto them.
 * A field is found by its `data-field` path as the API names it (e.g. `okta.issuer`, `domains`).
 */
export interface FieldOpts {
  label: string;
  field: string;
  hint?: string;
  value?: string;
  type?: string;
  required?: boolean;
  autocomplete?: string;
  placeholder?: string;
  multiline?: boolean;
  rows?: number;
  spellcheck?: boolean;
  /** How a problem about one element of this field (`domains.2`) names it: "line 3". */
  item?: string;
  inputmode?: string;
}

function shell(o: { field: string; label: string; hint?: string; item?: string }, id: string, control: HTMLElement, checkbox = false): HTMLElement {
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  control.setAttribute('aria-describedby', [o.hint ? hintId : '', errorId].filter(Boolean).join(' '));
  const label = h('label', { for: id }, o.label);
  const hint = o.hint ? h('p', { class: 'hint', id: hintId }, o.hint) : null;
  const error = h('p', { class: 'field-error', id: errorId, hidden: true });
  return checkbox
    ? h('div', { class: 'field field-check', 'data-field': o.field, 'data-item': o.item }, control, label, hint, error)
    : h('div', { class: 'field', 'data-field': o.field, 'data-item': o.item }, label, hint, error, control);
}

export function textField(o: FieldOpts): { root: HTMLElement; input: HTMLInputElement | HTMLTextAreaElement } {
  const id = uid('f');
  const common = {
    id, name: o.field, required: o.required, autocomplete: o.autocomplete ?? 'off', placeholder: o.placeholder,
    spellcheck: o.spellcheck === undefined ? 'false' : String(o.spellcheck), inputmode: o.inputmode,
  };
  const input = o.multiline ? h('textarea', { ...common, rows: o.rows ?? 4 }) : h('input', { ...common, type: o.type ?? 'text' });
  input.value = o.value ?? '';
  return { root: shell(o, id, input), input };
}

export function checkField(o: { label: string; field: string; hint?: string; checked: boolean }): { root: HTMLElement; input: HTMLInputElement } {
  const id = uid('f');
  const input = h('input', { id, type: 'checkbox', name: o.field, checked: o.checked });
  return { root: shell(o, id, input, true), input };
}

export function selectField(o: { label: string; field: string; hint?: string; value: string; options: Array<[string, string]> }): { root: HTMLElement; input: HTMLSelectElement } {
  const id = uid('f');
  const input = h('select', { id, name: o.field, value: o.value }, o.options.map(([v, l]) => h('option', { value: v }, l)));
  return { root: shell(o, id, input), input };
}

/** One value per line (domains, RQ IDs): blank lines dropped. */
export function lines(text: string): string[] {
  return text.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
}

/**
 * What a screen showed when it was drawn, to tell a value the user changed from one left alone: a section
 * writes a value into the document only when it changed (or the document has none yet, as when onboarding),
 * so every value it leaves alone goes back exactly as it was loaded.
 */
export interface Tracked<T> {
  now(): T;
  changed(): boolean;
  /** The value shown now becomes the one "as loaded" (after the screen reloaded its document). */
  reset(): void;
}
export function tracked<T>(now: () => T): Tracked<T> {
  let first = JSON.stringify(now());
  return { now, changed: () => JSON.stringify(now()) !== first, reset: () => void (first = JSON.stringify(now())) };
}

/**
 * An editable table of rows (a map like claim value → RQ role, or a list of rule objects), with add and
 * remove buttons that keep keyboard focus in a sensible place. Each row loaded from the document keeps the
 * item it came from (`kept`), so a list of objects can be written back with the properties the table does
 * not show, and a row left as it was can be written back exactly as it was loaded.
 */
export interface Column {
  label: string;
  placeholder?: string;
  type?: string;
  options?: Array<[string, string]>;
}
export interface RowEntry {
  cells: string[];
  /** The document's item this row was loaded from (undefined for a row added here). */
  kept?: unknown;
  /** Whether the row still shows what it was loaded with. */
  unchanged: boolean;
}
export function rowsEditor(o: {
  field: string; label: string; hint?: string; columns: Column[]; rows: string[][]; addLabel: string; item?: string;
  /** The item each of `rows` was loaded from. */
  kept?: unknown[];
  /** A read-only column about the loaded item (what the table does not edit), e.g. a custom field's value map. */
  extra?: { label: string; cell(kept: unknown): Child };
}): { root: HTMLElement; get(): string[][]; entries(): RowEntry[] } {
  const id = uid('t');
  const body = h('tbody');
  const loaded = new WeakMap<Element, { kept: unknown; cells: string[] }>();
  const cellsOf = (tr: Element) => [...tr.querySelectorAll('input,select')].map((c) => (c as HTMLInputElement).value.trim());
  const addRow = (values: string[], focus = false, from?: { kept: unknown }) => {
    const tr = h('tr');
    const n = () => [...body.children].indexOf(tr) + 1;
    const cells = o.columns.map((c, i) => {
      const control = c.options
        ? h('select', { 'aria-label': `${c.label}, row ${body.children.length + 1}`, value: values[i] ?? c.options[0]?.[0] ?? '' }, c.options.map(([v, l]) => h('option', { value: v }, l)))
        : h('input', { type: c.type ?? 'text', 'aria-label': `${c.label}, row ${body.children.length + 1}`, placeholder: c.placeholder, value: values[i] ?? '', autocomplete: 'off', spellcheck: 'false' });
      return h('td', {}, control);
    });
    const remove = h('button', { type: 'button', class: 'link-button', 'aria-label': `Remove row ${body.children.length + 1}` }, 'Remove');
    remove.addEventListener('click', () => {
      const i = n();
      tr.remove();
      relabel();
      const next = body.children[i - 1] ?? body.children[i - 2];
      ((next?.querySelector('input,select') as HTMLElement | null) ?? add).focus();
    });
    tr.append(...cells, o.extra ? h('td', { class: 'muted' }, o.extra.cell(from?.kept)) : '', h('td', {}, remove));
    body.append(tr);
    if (from) loaded.set(tr, { kept: from.kept, cells: cellsOf(tr) });
    if (focus) (cells[0]?.firstChild as HTMLElement | null)?.focus();
  };
  const relabel = () =>
    [...body.children].forEach((tr, r) => {
      tr.querySelectorAll('input,select').forEach((c, i) => c.setAttribute('aria-label', `${o.columns[i]!.label}, row ${r + 1}`));
      tr.querySelector('button')?.setAttribute('aria-label', `Remove row ${r + 1}`);
    });
  o.rows.forEach((r, i) => addRow(r, false, { kept: o.kept?.[i] }));
  const add = h('button', { type: 'button', class: 'secondary' }, o.addLabel);
  add.addEventListener('click', () => addRow([], true));
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const table = h('table', { class: 'rows-editor', 'aria-labelledby': `${id}-label`, 'aria-describedby': [o.hint ? hintId : '', errorId].filter(Boolean).join(' ') },
    h('thead', {}, h('tr', {}, o.columns.map((c) => h('th', { scope: 'col' }, c.label)), o.extra ? h('th', { scope: 'col' }, o.extra.label) : null, h('th', {}, h('span', { class: 'sr-only' }, 'Actions')))),
    body);
  const root = h('div', { class: 'field', 'data-field': o.field, 'data-item': o.item ?? 'row' },
    h('p', { class: 'label', id: `${id}-label` }, o.label),
    o.hint ? h('p', { class: 'hint', id: hintId }, o.hint) : null,
    h('p', { class: 'field-error', id: errorId, hidden: true }),
    h('div', { class: 'table-scroll' }, table),
    add);
  const entries = () =>
    [...body.children]
      .map((tr) => {
        const cells = cellsOf(tr);
        const from = loaded.get(tr);
        return { cells, kept: from?.kept, unchanged: from !== undefined && JSON.stringify(cells) === JSON.stringify(from.cells) };
      })
      .filter((r) => r.cells.some(Boolean));
  return { root, get: () => entries().map((r) => r.cells), entries };
}

/** `config.roles.map["Store Manager"]` and `domains[1]` become `roles.map.Store Manager` and `domains.1`. */
export function normalizeField(field: string): string {
  return field
    .replace(/\[(\d+)\]/g, '.$1')
    .replace(/\["((?:[^"\\]|\\.)*)"\]/g, '.$1')
    .replace(/^config\./, '')
    .replace(/^\./, '');
}

export function clearProblems(scope: HTMLElement): void {
  scope.querySelectorAll('.field-error').forEach((e) => {
    e.replaceChildren();
    (e as HTMLElement).hidden = true;
  });
  scope.querySelectorAll('[aria-invalid]').forEach((e) => e.removeAttribute('aria-invalid'));
  scope.querySelectorAll('.error-summary').forEach((e) => e.remove());
}

/**
 * Shows each problem next to its field (the longest `data-field` path that names it) and all of them in a
 * summary at the top of the form (role=alert, focused, each a link to its field). Returns the fields hit.
 */
export function showProblems(form: HTMLElement, problems: Array<FieldProblem>, title = 'The service did not accept this'): HTMLElement[] {
  clearProblems(form);
  const fields = [...form.querySelectorAll<HTMLElement>('[data-field]')];
  const hit: HTMLElement[] = [];
  const items: Child[] = [];
  for (const p of problems) {
    const path = normalizeField(p.field);
    let best: HTMLElement | undefined;
    for (const f of fields) {
      const name = f.dataset.field!;
      if ((path === name || path.startsWith(`${name}.`)) && (!best || name.length > best.dataset.field!.length)) best = f;
    }
    let reason = p.reason;
    if (best && path !== best.dataset.field) {
      const rest = path.slice(best.dataset.field!.length + 1);
      const [first, ...more] = rest.split('.');
      const where = /^\d+$/.test(first!) ? `${best.dataset.item ?? 'item'} ${Number(first) + 1}` : `“${first}”`;
      reason = `${where}${more.length ? ` (${more.join('.')})` : ''}: ${reason}`;
    }
    if (best) {
      const slot = best.querySelector<HTMLElement>('.field-error')!;
      slot.hidden = false;
      slot.append(h('span', {}, reason));
      const control = best.querySelector<HTMLElement>('input,textarea,select,table');
      control?.setAttribute('aria-invalid', 'true');
      if (!hit.includes(best)) hit.push(best);
      const label = best.querySelector('label,.label')?.textContent ?? path;
      const target = best.querySelector<HTMLElement>('input,textarea,select');
      const link = h('a', { href: `#${target?.id ?? ''}` }, `${label}: ${reason}`);
      link.addEventListener('click', (e) => {
        e.preventDefault();
        best!.dispatchEvent(new CustomEvent('reveal', { bubbles: true }));
        target?.focus();
      });
      items.push(h('li', {}, link));
    } else {
      items.push(h('li', {}, p.field && p.field !== '(body)' ? `${p.field}: ${p.reason}` : p.reason));
    }
  }
  const summary = h('div', { class: 'error-summary', role: 'alert', tabindex: -1 }, h('h2', {}, title), h('ul', {}, items));
  form.prepend(summary);
  summary.focus();
  return hit;
}

/** A message area for one form or panel: role=status for progress, role=alert for failures. */
export function messageArea(): { root: HTMLElement; info(text: string): void; error(text: string, detail?: Child): void; clear(): void } {
  const root = h('div', { class: 'message', role: 'status', 'aria-live': 'polite' });
  return {
    root,
    info: (text) => {
      root.className = 'message message-info';
      replace(root, text);
    },
    error: (text, detail) => {
      root.className = 'message message-error';
      replace(root, h('strong', {}, text), detail ? ' ' : null, detail ?? null);
    },
    clear: () => {
      root.className = 'message';
      replace(root);
    },
  };
}

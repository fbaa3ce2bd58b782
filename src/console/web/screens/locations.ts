import { ApiError, api, enc } from '../api.js';
import { type Screen, announce } from '../app.js';
import { type Child, h, replace } from '../dom.js';
import { clearProblems, messageArea, showProblems } from '../forms.js';
import { tenantFrame } from './tenant-frame.js';

export interface Location {
  externalId: string;
  name: string;
  parentExternalId: string | null;
}

interface LoadReport {
  added?: string[];
  changed?: string[];
  unchanged?: number;
  rejected?: Array<{ row?: number; line?: number; externalId?: string; field?: string; reason: string }>;
}

/** The company tree as nested lists under its roots (an unknown parent makes a node a root). */
export function tree(locations: Location[]): HTMLElement {
  const ids = new Set(locations.map((l) => l.externalId));
  const children = new Map<string | null, Location[]>();
  for (const l of locations) {
    const parent = l.parentExternalId && ids.has(l.parentExternalId) ? l.parentExternalId : null;
    children.set(parent, [...(children.get(parent) ?? []), l]);
  }
  const seen = new Set<string>();
  const branch = (parent: string | null): Child => {
    const kids = children.get(parent) ?? [];
    if (!kids.length) return null;
    return h('ul', {}, kids.map((l) => {
      if (seen.has(l.externalId)) return null;
      seen.add(l.externalId);
      return h('li', {}, h('span', { class: 'node' }, h('code', {}, l.externalId), ' ', l.name), branch(l.externalId));
    }));
  };
  return h('div', { class: 'tree', id: 'tree' }, branch(null) ?? h('p', {}, 'No locations yet.'));
}

/** Area 3: the company tree (External Node Identifiers): browse, search, bulk load with its report. */
export function locationsScreen(params: Record<string, string>): Screen {
  return {
    title: 'Company tree',
    async render(main) {
      const { tenant, content } = await tenantFrame(main, params.slug!, 'locations', 'Company tree');
      const path = `/admin/tenants/${enc(tenant.slug)}/locations`;
      let all = await api<Location[]>('GET', path);
      const view = h('div', {});
      const count = h('p', { class: 'muted', 'aria-live': 'polite' });
      const search = h('input', { type: 'search', id: 'loc-search', autocomplete: 'off', spellcheck: 'false' });
      const draw = () => {
        const q = search.value.trim().toLowerCase();
        if (!q) {
          replace(view, tree(all));
          count.textContent = `${all.length} location${all.length === 1 ? '' : 's'}`;
          return;
        }
        const hits = all.filter((l) => l.externalId.toLowerCase().includes(q) || l.name.toLowerCase().includes(q));
        count.textContent = `${hits.length} of ${all.length} match “${search.value.trim()}”`;
        replace(view, hits.length
          ? h('table', { class: 'stack', id: 'loc-results' }, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'External Node Identifier'), h('th', { scope: 'col' }, 'Name'), h('th', { scope: 'col' }, 'Parent'))),
            h('tbody', {}, hits.slice(0, 500).map((l) => h('tr', {}, h('td', { 'data-label': 'Identifier' }, h('code', {}, l.externalId)), h('td', { 'data-label': 'Name' }, l.name), h('td', { 'data-label': 'Parent' }, l.parentExternalId ?? '—')))))
          : h('p', {}, 'No location matches.'));
      };
      search.addEventListener('input', draw);
      draw();

      // Bulk load: a file (CSV or JSON) or pasted text, sent as it is to the tenant API, which checks every row.
      const file = h('input', { type: 'file', id: 'loc-file', accept: '.csv,.json,text/csv,application/json', 'aria-describedby': 'loc-file-hint' });
      const paste = h('textarea', { id: 'loc-paste', rows: 5, spellcheck: 'false', 'aria-describedby': 'loc-file-hint' });
      const msg = messageArea();
      const report = h('div', { id: 'loc-report' });
      const submit = h('button', { type: 'submit' }, 'Load locations');
      const form = h('form', { novalidate: true, id: 'loc-form' },
        h('div', { class: 'field', 'data-field': 'locations', 'data-item': 'row' },
          h('p', { class: 'hint', id: 'loc-file-hint' }, 'CSV with the columns externalId,name,parentExternalId (a header row first), or JSON: a list of {externalId, name, parentExternalId}. Existing identifiers are updated; nothing is removed.'),
          h('p', { class: 'field-error', hidden: true }),
          h('label', { for: 'loc-file' }, 'File'), file,
          h('label', { for: 'loc-paste' }, 'Or paste the rows'), paste),
        h('div', { class: 'actions' }, submit), msg.root, report);
      form.addEventListener('submit', async (e) => {
        e.preventDefault();
        clearProblems(form);
        replace(report);
        const f = file.files?.[0];
        const text = f ? await f.text() : paste.value;
        if (!text.trim()) {
          msg.error('Nothing to load:', 'choose a file or paste rows.');
          return;
        }
        const json = f ? /\.json$/i.test(f.name) || f.type === 'application/json' : /^\s*[[{]/.test(text);
        let body: unknown = text;
        if (json) {
          try {
            const parsed = JSON.parse(text);
            body = Array.isArray(parsed) ? { locations: parsed } : parsed;
          } catch {
            msg.error('This is not valid JSON.', 'Check the file, or use CSV.');
            return;
          }
        }
        msg.info('Loading…');
        submit.disabled = true;
        try {
          const r = await api<LoadReport>('PUT', path, body, { contentType: json ? 'application/json' : 'text/csv' });
          msg.clear();
          showReport(report, r);
          all = await api<Location[]>('GET', path);
          draw();
          announce(`Loaded: ${r.added?.length ?? 0} added, ${r.changed?.length ?? 0} changed, ${r.rejected?.length ?? 0} rejected.`);
        } catch (err) {
          msg.clear();
          if (err instanceof ApiError && err.errors.length) showProblems(form, err.errors, `Rejected: ${err.detail || 'the file has invalid rows'}`);
          else msg.error('The locations were not loaded.', err instanceof Error ? err.message : String(err));
        } finally {
          submit.disabled = false;
        }
      });

      content.append(
        h('div', { class: 'columns' },
          h('section', { class: 'section', 'aria-labelledby': 'loc-browse' }, h('h2', { id: 'loc-browse' }, 'Browse and search'),
            h('label', { for: 'loc-search' }, 'Search by identifier or name'), search, count, view),
          h('section', { class: 'section', 'aria-labelledby': 'loc-load' }, h('h2', { id: 'loc-load' }, 'Bulk load'), form)),
      );
    },
  };
}

function showReport(el: HTMLElement, r: LoadReport): void {
  const list = (title: string, items: Child[], kind: string) =>
    h('section', { class: `report report-${kind}` }, h('h3', {}, `${title} (${items.length})`), items.length ? h('ul', {}, items.map((i) => h('li', {}, i))) : null);
  replace(el,
    h('h2', { tabindex: -1 }, 'Load report'),
    list('Added', (r.added ?? []).map((x) => h('code', {}, x)), 'ok'),
    list('Changed', (r.changed ?? []).map((x) => h('code', {}, x)), 'info'),
    r.unchanged !== undefined ? h('p', {}, `Unchanged: ${r.unchanged}`) : null,
    list('Rejected', (r.rejected ?? []).map((x) => [x.row ?? x.line ? `Row ${x.row ?? x.line}` : '', x.externalId ? [' ', h('code', {}, x.externalId)] : null, x.field ? ` (${x.field})` : '', `: ${x.reason}`]), 'fail'));
  (el.querySelector('h2') as HTMLElement).focus();
}

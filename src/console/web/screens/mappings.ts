import { ApiError, type FieldProblem, api, enc } from '../api.js';
import { type Screen, announce } from '../app.js';
import { RQ_ID_KINDS, type RqIdKind, type TenantView, mappingSections, toInput } from '../config.js';
import { type Child, h, replace } from '../dom.js';
import { clearProblems, messageArea, selectField, showProblems } from '../forms.js';
import { saveBar } from '../save.js';
import { tenantFrame } from './tenant-frame.js';

/** The answer of PUT /admin/tenants/{slug}/rq-ids. */
interface RqIdsReport {
  version: number | null;
  status: 'active' | 'draft' | 'unchanged';
  kinds: Record<RqIdKind, { added: string[]; removed: string[]; unchanged: number }>;
  rejected: Array<{ row: number; kind?: string; id?: string; reason: string }>;
  warnings: FieldProblem[];
}

const KIND_LABELS: Record<RqIdKind, string> = {
  organizationalRoles: 'Organizational roles', commissionGroups: 'Commission groups', securityRoles: 'Security roles', commissionTypes: 'Commission types',
};

/** Area 3: how claims become an RQ user — roles, RQ IDs, commission types, custom fields, claim overrides. */
export function mappingsScreen(params: Record<string, string>): Screen {
  return {
    title: 'Mappings',
    async render(main) {
      const { tenant, content } = await tenantFrame(main, params.slug!, 'mappings', 'Mappings');
      // The document the form edits: the version in force when the screen was drawn, or after an RQ ID load.
      let current: TenantView = tenant;
      const load = rqIdsLoad(tenant.slug, async (report) => {
        if (report.status !== 'active') return;
        current = await api<TenantView>('GET', `/admin/tenants/${enc(tenant.slug)}`);
        setRqIds(current.config?.rqIds ?? {});
      });
      const { sections, setRqIds } = mappingSections(toInput(tenant), { rqIdsLoad: load.root });
      const form = h('form', { novalidate: true, id: 'mappings-form' }, sections.map((s) => s.root));
      load.attach(form);
      form.append(saveBar(form, tenant.slug, () => toInput(current), sections, `/console/t/${enc(tenant.slug)}/history`, () => current.activeVersion) as Node);
      content.append(form);
    },
  };
}

/**
 * The RQ IDs bulk load (the same `PUT …/rq-ids` as the API: CSV `kind,id` or JSON lists), with the API's report:
 * per kind what was added, removed and kept, and each rejected row with its reason. A load is a version of its own.
 */
function rqIdsLoad(slug: string, loaded: (r: RqIdsReport) => Promise<void>): { root: HTMLElement; attach(form: HTMLElement): void } {
  const file = h('input', { type: 'file', id: 'rq-file', accept: '.csv,.json,text/csv,application/json', 'aria-describedby': 'rq-file-hint' });
  const paste = h('textarea', { id: 'rq-paste', rows: 4, spellcheck: 'false', 'aria-describedby': 'rq-file-hint' });
  const mode = selectField({ label: 'Load as', field: 'mode', value: 'merge', options: [['merge', 'Add to the IDs already listed'], ['replace', 'Replace each list the file names']] });
  const activate = selectField({ label: 'Then', field: 'activate', value: 'true', options: [['true', 'Put the new version in force at once'], ['false', 'Stage it as a draft']] });
  const msg = messageArea();
  const report = h('div', { id: 'rq-report' });
  const button = h('button', { type: 'button', class: 'secondary' }, 'Load RQ IDs');
  const root = h('div', { class: 'section', role: 'group', 'aria-labelledby': 'rq-load' },
    h('h3', { id: 'rq-load' }, 'Load RQ IDs from a file'),
    h('div', { class: 'field', 'data-field': 'rqIdsLoad', 'data-item': 'row' },
      h('p', { class: 'hint', id: 'rq-file-hint' }, 'CSV with the columns kind,id (a header row first; kind is organizationalRole, commissionGroup, securityRole or commissionType), or JSON lists like {"securityRoles": ["RQ-StoreManager"], "commissionTypes": ["FT"]}. Every row is checked on its own; the load is saved at once as a new version, and the lists above then show it.'),
      h('p', { class: 'field-error', hidden: true }),
      h('label', { for: 'rq-file' }, 'RQ IDs file'), file,
      h('label', { for: 'rq-paste' }, 'Or paste the RQ IDs'), paste),
    mode.root, activate.root,
    h('div', { class: 'actions' }, button), msg.root, report);
  let form: HTMLElement = root;
  button.addEventListener('click', async () => {
    clearProblems(form);
    replace(report);
    const f = file.files?.[0];
    const text = f ? await f.text() : paste.value;
    if (!text.trim()) {
      msg.error('Nothing to load:', 'choose a file or paste the RQ IDs.');
      return;
    }
    const json = f ? /\.json$/i.test(f.name) || f.type === 'application/json' : /^\s*[[{]/.test(text);
    const options = { mode: mode.input.value, activate: activate.input.value === 'true' };
    let body: unknown = text;
    let path = `/admin/tenants/${enc(slug)}/rq-ids`;
    if (json) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        msg.error('This is not valid JSON.', 'Check the file, or use CSV.');
        return;
      }
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
        msg.error('This JSON is not an object of lists.', `Give lists named ${RQ_ID_KINDS.join(', ')}, or use CSV.`);
        return;
      }
      body = { ...parsed, ...options };
    } else {
      path += `?${new URLSearchParams({ mode: options.mode, activate: String(options.activate) })}`;
    }
    msg.info('Loading…');
    button.disabled = true;
    try {
      const r = await api<RqIdsReport>('PUT', path, body, { contentType: json ? 'application/json' : 'text/csv' });
      msg.clear();
      await loaded(r);
      showReport(report, r, json);
      const added = RQ_ID_KINDS.reduce((n, k) => n + r.kinds[k].added.length, 0);
      const removed = RQ_ID_KINDS.reduce((n, k) => n + r.kinds[k].removed.length, 0);
      announce(`Loaded: ${added} added, ${removed} removed, ${r.rejected.length} rejected.`);
    } catch (err) {
      msg.clear();
      if (err instanceof ApiError && err.errors.length) showProblems(form, err.errors, `The RQ IDs were not loaded: ${err.detail || 'the configuration they would make is refused'}`);
      else msg.error('The RQ IDs were not loaded.', err instanceof Error ? err.message : String(err));
    } finally {
      button.disabled = false;
    }
  });
  return { root, attach: (f) => void (form = f) };
}

function showReport(el: HTMLElement, r: RqIdsReport, json: boolean): void {
  const ids = (items: string[]): Child => (items.length ? items.map((x, i) => [i ? ', ' : '', h('code', {}, x)]) : 'none');
  replace(el,
    h('h3', { tabindex: -1 }, 'Load report'),
    h('p', {}, r.status === 'active' ? `Version ${r.version} is now in force.` : r.status === 'draft' ? `Draft v${r.version} staged: activate it from the history.` : 'Nothing changed: no version was made.'),
    h('table', { class: 'stack', id: 'rq-kinds' },
      h('thead', {}, h('tr', {}, ['List', 'Added', 'Removed', 'Unchanged'].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, RQ_ID_KINDS.map((k) => h('tr', { 'data-kind': k },
        h('th', { scope: 'row', 'data-label': 'List' }, KIND_LABELS[k]),
        h('td', { 'data-label': 'Added' }, ids(r.kinds[k].added)),
        h('td', { 'data-label': 'Removed' }, ids(r.kinds[k].removed)),
        h('td', { 'data-label': 'Unchanged' }, String(r.kinds[k].unchanged)))))),
    h('section', { class: 'report report-fail' }, h('h3', {}, `Rejected (${r.rejected.length})`),
      r.rejected.length ? h('ul', {}, r.rejected.map((x) => h('li', {},
        json ? `${x.kind ?? 'item'} ${x.row + 1}` : `Row ${x.row}`, x.id ? [' ', h('code', {}, x.id)] : null, `: ${x.reason}`))) : null),
    r.warnings.length ? h('section', { class: 'report report-info' }, h('h3', {}, `Warnings (${r.warnings.length})`), h('ul', {}, r.warnings.map((w) => h('li', {}, `${w.field}: ${w.reason}`)))) : null);
  (el.querySelector('h3') as HTMLElement).focus();
}

import { ApiError, api, enc } from '../api.js';
import { type Screen, announce, link, navigate } from '../app.js';
import { append, type Child, badge, h, replace, show, time } from '../dom.js';
import { messageArea, selectField, textField } from '../forms.js';
import { tenantFrame } from './tenant-frame.js';

interface Problem {
  field: string;
  reason: string;
}
export interface Audit {
  id: string;
  environment: string;
  source?: string;
  configVersion: number | null;
  issuer?: string | null;
  subject?: string | null;
  username: string | null;
  userId?: string | null;
  outcome: string;
  changes?: Record<string, any>;
  sources?: Record<string, string>;
  reasons?: Problem[];
  warnings?: Problem[];
  claims?: Record<string, unknown> | null;
  correlationId?: string | null;
  createdAt: string;
}

const OUTCOMES = ['created', 'updated', 'unchanged', 'refused', 'failed'];

export function outcomeBadge(o: string): HTMLElement {
  return badge(o, o === 'refused' || o === 'failed' ? 'fail' : o === 'unchanged' ? 'muted' : 'ok');
}

/** The audit list answer, whether a plain list or a page with a cursor. */
function page(r: unknown): { items: Audit[]; next: string | null } {
  if (Array.isArray(r)) return { items: r as Audit[], next: null };
  const p = r as { items?: Audit[]; audits?: Audit[]; data?: Audit[]; next?: string | null; nextCursor?: string | null };
  return { items: p.items ?? p.audits ?? p.data ?? [], next: p.nextCursor ?? p.next ?? null };
}

const toIso = (local: string) => (local ? new Date(local).toISOString() : '');

/** Area 6: provisioning audits filtered by user, outcome and time. */
export function auditsScreen(params: Record<string, string>): Screen {
  return {
    title: 'Audits',
    async render(main) {
      const { tenant, content } = await tenantFrame(main, params.slug!, 'audits', 'Audits');
      const q = new URLSearchParams(location.search);
      const user = textField({ label: 'User', field: 'user', value: q.get('user') ?? '', hint: 'Username, or Okta subject (sub).' });
      const outcome = selectField({ label: 'Outcome', field: 'outcome', value: q.get('outcome') ?? '', options: [['', 'Any'], ...OUTCOMES.map((o) => [o, o] as [string, string])] });
      const from = textField({ label: 'From', field: 'from', type: 'datetime-local', value: q.get('from') ?? '' });
      const to = textField({ label: 'To', field: 'to', type: 'datetime-local', value: q.get('to') ?? '' });
      const form = h('form', { class: 'filters', id: 'audit-filters', role: 'search' }, user.root, outcome.root, from.root, to.root, h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Filter')));
      form.addEventListener('submit', (e) => {
        e.preventDefault();
        const p = new URLSearchParams();
        if (user.input.value.trim()) p.set('user', user.input.value.trim());
        if (outcome.input.value) p.set('outcome', outcome.input.value);
        if (from.input.value) p.set('from', from.input.value);
        if (to.input.value) p.set('to', to.input.value);
        navigate(`/console/t/${enc(tenant.slug)}/audits${p.size ? `?${p}` : ''}`);
      });
      const msg = messageArea();
      const body = h('tbody');
      const more = h('button', { type: 'button', class: 'secondary', hidden: true }, 'Show more');
      const count = h('p', { class: 'muted', role: 'status' });
      const apiQuery = new URLSearchParams({ limit: '50' });
      if (q.get('user')) apiQuery.set('user', q.get('user')!);
      if (q.get('outcome')) apiQuery.set('outcome', q.get('outcome')!);
      if (q.get('from')) apiQuery.set('from', toIso(q.get('from')!));
      if (q.get('to')) apiQuery.set('to', toIso(q.get('to')!));
      let shown = 0;
      const load = async (cursor?: string) => {
        const query = new URLSearchParams(apiQuery);
        if (cursor) query.set('cursor', cursor);
        const r = page(await api('GET', `/admin/tenants/${enc(tenant.slug)}/audits?${query}`));
        for (const a of r.items) {
          body.append(h('tr', { 'data-audit': a.id },
            h('td', { 'data-label': 'Time' }, link(`/console/t/${enc(tenant.slug)}/audits/${enc(a.id)}`, time(a.createdAt))),
            h('td', { 'data-label': 'User' }, a.username ?? a.subject ?? '—'),
            h('td', { 'data-label': 'Outcome' }, outcomeBadge(a.outcome)),
            h('td', { 'data-label': 'Reason' }, a.reasons?.[0]?.reason ?? ''),
            h('td', { 'data-label': 'Environment' }, a.environment),
            h('td', { 'data-label': 'Version' }, a.configVersion ? `v${a.configVersion}` : '—')));
        }
        shown += r.items.length;
        count.textContent = `${shown} attempt${shown === 1 ? '' : 's'} shown${r.next ? ' (more available)' : ''}.`;
        more.hidden = !r.next;
        more.onclick = r.next ? () => void load(r.next!).catch((e) => msg.error('More audits could not be loaded.', (e as Error).message)) : null;
      };
      content.append(form, msg.root,
        h('div', { class: 'table-scroll' }, h('table', { class: 'stack', id: 'audits' },
          h('caption', { class: 'sr-only' }, 'Provisioning attempts, newest first'),
          h('thead', {}, h('tr', {}, ['Time', 'User', 'Outcome', 'Reason', 'Environment', 'Version'].map((c) => h('th', { scope: 'col' }, c)))), body)),
        count, more);
      try {
        await load();
      } catch (e) {
        if (e instanceof ApiError && e.errors.length) msg.error('The filter was not accepted.', h('ul', {}, e.errors.map((p) => h('li', {}, `${p.field}: ${p.reason}`))));
        else throw e;
      }
    },
  };
}

/** One attempt whole: field diff with where each value came from, reasons, warnings, the version in force. */
export function auditScreen(params: Record<string, string>): Screen {
  return {
    title: 'Sign-in audit',
    async render(main) {
      const { tenant, content } = await tenantFrame(main, params.slug!, 'audits', 'Sign-in audit');
      const path = `/admin/tenants/${enc(tenant.slug)}/audits`;
      let a: Audit | undefined;
      try {
        a = await api<Audit>('GET', `${path}/${enc(params.id!)}`);
      } catch (e) {
        if (!(e instanceof ApiError) || e.status !== 404) throw e;
        // A service without the one-attempt endpoint: look in the latest page.
        a = page(await api('GET', `${path}?limit=200`)).items.find((x) => x.id === params.id);
        if (!a) throw e;
      }
      append(content, [auditDetail(a, tenant.slug)]);
      announce(`Audit of ${a.username ?? a.subject ?? 'an attempt'}: ${a.outcome}.`);
    },
  };
}

function changeRows(a: Audit): Array<{ field: string; before: Child; after: Child; source: string }> {
  const out: Array<{ field: string; before: Child; after: Child; source: string }> = [];
  for (const [field, c] of Object.entries(a.changes ?? {})) {
    const source = a.sources?.[field] ?? '';
    if (field === 'locations' && c && ('added' in c || 'removed' in c)) {
      out.push({ field, before: c.removed?.length ? `removed ${c.removed.join(', ')}` : '', after: c.added?.length ? `added ${c.added.join(', ')}` : '', source });
    } else if (c && typeof c === 'object' && ('from' in c || 'to' in c || 'before' in c || 'after' in c)) {
      out.push({ field, before: show(c.from ?? c.before ?? null), after: show(c.to ?? c.after ?? null), source });
    } else out.push({ field, before: '', after: show(c), source });
  }
  return out;
}

const SOURCE_LABEL: Record<string, string> = { id_token: 'ID token', userinfo: 'UserInfo', manual: 'set by hand', admin: 'set by hand', scim: 'SCIM' };

export function auditDetail(a: Audit, slug: string): Child {
  const rows = changeRows(a);
  const unchangedSources = Object.entries(a.sources ?? {}).filter(([f]) => !rows.some((r) => r.field === f));
  return h('div', { id: 'audit' },
    h('dl', { class: 'pairs' },
      h('dt', {}, 'Outcome'), h('dd', {}, outcomeBadge(a.outcome)),
      h('dt', {}, 'When'), h('dd', {}, time(a.createdAt)),
      h('dt', {}, 'User'), h('dd', {}, a.username ?? '—', a.subject ? h('span', { class: 'muted' }, ` (sub ${a.subject})`) : null),
      h('dt', {}, 'Environment'), h('dd', {}, a.environment),
      a.source ? [h('dt', {}, 'Through'), h('dd', {}, a.source)] : null,
      h('dt', {}, 'Configuration version'), h('dd', { 'data-config-version': a.configVersion ?? '' }, a.configVersion ? link(`/console/t/${enc(slug)}/history`, `v${a.configVersion}`) : '—'),
      a.correlationId ? [h('dt', {}, 'Correlation id'), h('dd', {}, h('code', {}, a.correlationId))] : null),
    a.reasons?.length ? h('section', { class: 'problems', 'aria-labelledby': 'a-reasons' }, h('h2', { id: 'a-reasons' }, 'Reasons'), h('ul', {}, a.reasons.map((p) => h('li', {}, h('code', {}, p.field), ': ', p.reason)))) : null,
    h('section', { 'aria-labelledby': 'a-diff' }, h('h2', { id: 'a-diff' }, 'Field changes'),
      rows.length
        ? h('table', { class: 'stack', id: 'audit-diff' },
          h('thead', {}, h('tr', {}, ['Field', 'Before', 'After', 'Came from'].map((c) => h('th', { scope: 'col' }, c)))),
          h('tbody', {}, rows.map((r) => h('tr', { 'data-field': r.field },
            h('th', { scope: 'row', 'data-label': 'Field' }, r.field), h('td', { 'data-label': 'Before' }, r.before), h('td', { 'data-label': 'After' }, r.after),
            h('td', { 'data-label': 'Came from' }, SOURCE_LABEL[r.source] ?? r.source ?? '')))))
        : h('p', { class: 'muted' }, a.outcome === 'unchanged' ? 'Nothing changed (only the last sign-in time).' : 'No field was written.')),
    unchangedSources.length ? h('section', { 'aria-labelledby': 'a-sources' }, h('h2', { id: 'a-sources' }, 'Other values and where they came from'),
      h('ul', { class: 'inline-list' }, unchangedSources.map(([f, s]) => h('li', {}, h('code', {}, f), ` — ${SOURCE_LABEL[s] ?? s}`)))) : null,
    h('section', { class: 'warnings', 'aria-labelledby': 'a-warnings' }, h('h2', { id: 'a-warnings' }, 'Warnings'),
      a.warnings?.length ? h('ul', {}, a.warnings.map((p) => h('li', {}, h('code', {}, p.field), ': ', p.reason))) : h('p', { class: 'muted' }, 'None.')),
    a.claims ? h('details', {}, h('summary', {}, 'Claims received (redacted as stored)'), h('pre', {}, JSON.stringify(a.claims, null, 2))) : null,
    h('p', {}, link(`/console/t/${enc(slug)}/audits`, 'Back to the audits')),
  );
}

import { api, enc } from '../api.js';
import { type Screen, link } from '../app.js';
import type { TenantView } from '../config.js';
import { badge, h, time } from '../dom.js';

export interface TenantStatus {
  slug: string;
  lastSuccess: { at: string; username: string | null; environment: string; auditId: string } | null;
  lastFailure: { at: string; username: string | null; outcome: string; environment: string; auditId: string; reason?: { field: string; reason: string } | null } | null;
  lastTroubleshooting?: { at: string; result: 'pass' | 'warn' | 'fail' } | null;
}

export function statusBadges(t: TenantView): HTMLElement[] {
  const out = [badge(t.status === 'active' ? 'Active' : t.status, t.status === 'active' ? 'ok' : 'muted')];
  if (t.drafts?.length) out.push(badge(`${t.drafts.length} draft${t.drafts.length > 1 ? 's' : ''} pending`, 'warn'));
  return out;
}

export function troubleshootingBadge(s?: TenantStatus['lastTroubleshooting']): HTMLElement {
  if (!s) return badge('Not run', 'muted');
  return h('span', {}, badge(s.result === 'pass' ? 'Pass' : s.result === 'warn' ? 'Warnings' : 'Fail', s.result === 'pass' ? 'ok' : s.result), ' ', time(s.at));
}

/** Area 1: the tenants the manager may see, with what is wrong at a glance. */
export function tenantsScreen(): Screen {
  return {
    title: 'Tenants',
    async render(main) {
      const [tenants, statuses] = await Promise.all([api<TenantView[]>('GET', '/admin/tenants'), api<TenantStatus[]>('GET', '/admin/console/status')]);
      const bySlug = new Map(statuses.map((s) => [s.slug, s]));
      main.append(
        h('div', { class: 'title-row' }, h('h1', {}, 'Tenants'), link('/console/new', 'Onboard a tenant')),
        tenants.length === 0
          ? h('p', {}, 'You look after no tenant yet. Onboard one, or ask an operator to give you a tenant.')
          : h('table', { class: 'stack', id: 'tenants' },
            h('caption', { class: 'sr-only' }, 'Your tenants and their status'),
            h('thead', {}, h('tr', {}, ['Tenant', 'Status', 'Version in force', 'Last successful sign-in', 'Last failure', 'Troubleshooting'].map((c) => h('th', { scope: 'col' }, c)))),
            h('tbody', {}, tenants.map((t) => {
              const s = bySlug.get(t.slug);
              return h('tr', { 'data-tenant': t.slug },
                h('th', { scope: 'row', 'data-label': 'Tenant' }, link(`/console/t/${enc(t.slug)}`, t.name), h('br'), h('span', { class: 'muted' }, t.slug)),
                h('td', { 'data-label': 'Status' }, statusBadges(t)),
                h('td', { 'data-label': 'Version in force' }, t.activeVersion ? `v${t.activeVersion}` : '—'),
                h('td', { 'data-label': 'Last successful sign-in' }, s?.lastSuccess ? [time(s.lastSuccess.at), h('br'), h('span', { class: 'muted' }, s.lastSuccess.username ?? '')] : 'None yet'),
                h('td', { 'data-label': 'Last failure' }, s?.lastFailure
                  ? [time(s.lastFailure.at), h('br'), link(`/console/t/${enc(t.slug)}/audits/${enc(s.lastFailure.auditId)}`, s.lastFailure.reason?.reason ?? s.lastFailure.outcome)]
                  : 'None'),
                h('td', { 'data-label': 'Troubleshooting' }, troubleshootingBadge(s?.lastTroubleshooting)));
            }))),
      );
    },
  };
}

import { api, enc } from '../api.js';
import { link } from '../app.js';
import type { TenantView } from '../config.js';
import { h } from '../dom.js';
import { statusBadges } from './tenants.js';

export const TABS: Array<[string, string]> = [
  ['', 'Overview'], ['okta', 'Okta and domains'], ['mappings', 'Mappings'], ['locations', 'Company tree'],
  ['training', 'Training'], ['history', 'History'], ['troubleshoot', 'Troubleshoot'], ['audits', 'Audits'],
];

/** The heading and tab navigation every tenant page shares; returns the tenant and the content area. */
export async function tenantFrame(main: HTMLElement, slug: string, tab: string, title: string): Promise<{ tenant: TenantView; content: HTMLElement }> {
  const tenant = await api<TenantView>('GET', `/admin/tenants/${enc(slug)}`);
  const base = `/console/t/${enc(slug)}`;
  const content = h('div', { class: 'tab-content' });
  main.append(
    h('p', { class: 'crumbs' }, link('/console', 'Tenants'), ' / ', tenant.name),
    h('div', { class: 'title-row' }, h('h1', {}, `${title}`, h('span', { class: 'sr-only' }, ` — ${tenant.name}`)), h('div', { class: 'badges' }, statusBadges(tenant))),
    h('nav', { class: 'tabs', 'aria-label': 'Tenant pages' }, h('ul', {}, TABS.map(([t, label]) => {
      const a = link(t ? `${base}/${t}` : base, label);
      if (t === tab) a.setAttribute('aria-current', 'page');
      return h('li', {}, a);
    }))),
    content,
  );
  return { tenant, content };
}

import { api, enc } from '../api.js';
import { type Screen, link } from '../app.js';
import { append, badge, h, time } from '../dom.js';
import { tenantFrame } from './tenant-frame.js';
import { type TenantStatus, troubleshootingBadge } from './tenants.js';

/** A tenant at a glance: what is in force, what is pending, how its last sign-ins went. */
export function overviewScreen(params: Record<string, string>): Screen {
  return {
    title: 'Overview',
    async render(main) {
      const { tenant, content } = await tenantFrame(main, params.slug!, '', 'Overview');
      const statuses = await api<TenantStatus[]>('GET', '/admin/console/status');
      const s = statuses.find((x) => x.slug === tenant.slug);
      const c = tenant.config;
      const base = `/console/t/${enc(tenant.slug)}`;
      append(content, [
        h('div', { class: 'cards' },
          h('section', { class: 'card', 'aria-labelledby': 'ov-state' }, h('h2', { id: 'ov-state' }, 'Configuration'),
            h('dl', { class: 'pairs' },
              h('dt', {}, 'Status'), h('dd', {}, badge(tenant.status === 'active' ? 'Active' : tenant.status, tenant.status === 'active' ? 'ok' : 'muted')),
              h('dt', {}, 'Version in force'), h('dd', {}, tenant.activeVersion ? `v${tenant.activeVersion}` : 'none'),
              h('dt', {}, 'Drafts pending'), h('dd', {}, tenant.drafts?.length ? link(`${base}/history`, tenant.drafts.map((d) => `v${d}`).join(', ')) : 'none'))),
          h('section', { class: 'card', 'aria-labelledby': 'ov-signins' }, h('h2', { id: 'ov-signins' }, 'Sign-ins'),
            h('dl', { class: 'pairs' },
              h('dt', {}, 'Last success'), h('dd', {}, s?.lastSuccess ? [time(s.lastSuccess.at), ' · ', s.lastSuccess.username ?? ''] : 'none yet'),
              h('dt', {}, 'Last failure'), h('dd', {}, s?.lastFailure ? [time(s.lastFailure.at), ' · ', link(`${base}/audits/${enc(s.lastFailure.auditId)}`, s.lastFailure.reason?.reason ?? s.lastFailure.outcome)] : 'none'),
              h('dt', {}, 'Troubleshooting'), h('dd', {}, troubleshootingBadge(s?.lastTroubleshooting), ' ', link(`${base}/troubleshoot`, 'Run checks'))))),
        c ? h('section', { class: 'card', 'aria-labelledby': 'ov-okta' }, h('h2', { id: 'ov-okta' }, 'Okta'),
          h('dl', { class: 'pairs' },
            h('dt', {}, 'Issuer'), h('dd', {}, c.okta.issuer),
            h('dt', {}, 'Client ID'), h('dd', {}, c.okta.clientId),
            h('dt', {}, 'Client secret'), h('dd', {}, c.okta.clientSecret?.set ? ['stored (never shown)', c.okta.clientSecret.updatedAt ? [', set ', time(c.okta.clientSecret.updatedAt)] : null] : 'not set'),
            h('dt', {}, 'Scopes'), h('dd', {}, (c.okta.scopes ?? []).join(' ')),
            h('dt', {}, 'Auto-provisioning'), h('dd', {}, c.okta.autoProvisioning ? 'on' : 'off'),
            h('dt', {}, 'Password forwarding'), h('dd', {}, c.okta.passwordGrant ? 'on' : 'off'),
            h('dt', {}, 'Verified domains'), h('dd', {}, (c.domains ?? []).join(', ')))) : null,
      ]);
    },
  };
}

import { enc } from '../api.js';
import type { Screen } from '../app.js';
import { type Endpoints, clientSection, domainsSection, issuerSection, toInput } from '../config.js';
import { h } from '../dom.js';
import { saveBar } from '../save.js';
import { tenantFrame } from './tenant-frame.js';

/** Area 2 for a tenant that exists: its Okta, domains and rewrites, saved as a new version. */
export function oktaScreen(params: Record<string, string>): Screen {
  return {
    title: 'Okta and domains',
    async render(main) {
      const { tenant, content } = await tenantFrame(main, params.slug!, 'okta', 'Okta and domains');
      const config = toInput(tenant);
      let client: ReturnType<typeof clientSection> | undefined = undefined;
      const issuer = issuerSection(config, (e: Endpoints | null) => client?.setEndpoints(e), tenant.config?.okta.endpoints);
      client = clientSection(config, { secretSet: tenant.config?.okta.clientSecret?.set ? tenant.config.okta.clientSecret : null, endpoints: tenant.config?.okta.endpoints });
      const domains = domainsSection(config);
      const form = h('form', { novalidate: true, id: 'okta-form' },
        h('section', { class: 'section', 'aria-labelledby': 'okta-issuer' }, h('h2', { id: 'okta-issuer' }, 'Issuer and discovery'), issuer.root),
        h('section', { class: 'section', 'aria-labelledby': 'okta-client' }, h('h2', { id: 'okta-client' }, 'Okta client'), client.root),
        h('section', { class: 'section', 'aria-labelledby': 'okta-domains' }, h('h2', { id: 'okta-domains' }, 'Domains and usernames'), domains.root));
      form.append(saveBar(form, tenant.slug, () => toInput(tenant), [issuer, client, domains], `/console/t/${enc(tenant.slug)}/history`, () => tenant.activeVersion) as Node);
      content.append(form);
    },
  };
}

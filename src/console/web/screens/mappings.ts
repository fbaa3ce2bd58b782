import { enc } from '../api.js';
import type { Screen } from '../app.js';
import { mappingSections, toInput } from '../config.js';
import { h } from '../dom.js';
import { saveBar } from '../save.js';
import { tenantFrame } from './tenant-frame.js';

/** Area 3: how claims become an RQ user — roles, RQ IDs, commission types, custom fields, claim overrides. */
export function mappingsScreen(params: Record<string, string>): Screen {
  return {
    title: 'Mappings',
    async render(main) {
      const { tenant, content } = await tenantFrame(main, params.slug!, 'mappings', 'Mappings');
      const sections = mappingSections(toInput(tenant));
      const form = h('form', { novalidate: true, id: 'mappings-form' }, sections.map((s) => s.root));
      form.append(saveBar(form, tenant.slug, () => toInput(tenant), sections, `/console/t/${enc(tenant.slug)}/history`) as Node);
      content.append(form);
    },
  };
}

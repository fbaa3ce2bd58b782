import { ApiError, api, enc } from '../api.js';
import { type Screen, announce, link, navigate } from '../app.js';
import { type Config, type Endpoints, type Section, type TenantView, clientSection, domainsSection, issuerSection, saveBody } from '../config.js';
import { h, replace } from '../dom.js';
import { clearProblems, messageArea, showProblems, textField } from '../forms.js';

/**
 * Area 2: onboarding a tenant step by step, as an account manager does it over a call with the customer:
 * 1 the issuer (discovery fetched, endpoints shown), 2 the client, scopes and switches, 3 domains and
 * rewrites, 4 name and slug, then one POST /admin/tenants. A refusal goes back to the step of its field.
 */
export function onboardScreen(): Screen {
  return {
    title: 'Onboard a tenant',
    render(main) {
      const config: Config = { okta: {}, domains: [] };
      let discovered: Endpoints | null = null;
      let client: ReturnType<typeof clientSection> | undefined;
      const issuer = issuerSection(config, (e) => {
        discovered = e;
        client?.setEndpoints(e);
      });
      client = clientSection(config, { secretSet: null });
      const domains = domainsSection(config);
      const name = textField({ label: 'Customer name', field: 'name', required: true, hint: 'As account managers know the customer, e.g. Kentel.' });
      const slug = textField({ label: 'Tenant ID (slug)', field: 'slug', required: true, hint: '2 to 63 lower-case letters, digits or hyphens; apps may name the tenant with it. It cannot be changed later.' });
      let slugTouched = false;
      slug.input.addEventListener('input', () => (slugTouched = true));
      name.input.addEventListener('input', () => {
        if (!slugTouched) slug.input.value = name.input.value.toLowerCase().normalize('NFKD').replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 63);
      });
      const review = h('div', { class: 'review' });
      const identity: Section = { root: h('div', { class: 'section' }, name.root, slug.root, review), fields: ['name', 'slug'], read: () => {} };

      const steps: Array<{ title: string; section: Section }> = [
        { title: 'Okta issuer', section: issuer },
        { title: 'Client and scopes', section: client },
        { title: 'Domains', section: domains },
        { title: 'Name and create', section: identity },
      ];
      let at = 0;
      const msg = messageArea();
      const back = h('button', { type: 'button', class: 'secondary' }, 'Back');
      const next = h('button', { type: 'button' }, 'Next');
      const create = h('button', { type: 'submit' }, 'Create tenant');
      const progress = h('ol', { class: 'steps', 'aria-label': 'Onboarding steps' });
      const fieldsets = steps.map((s, i) => h('fieldset', { class: 'step', 'data-step': i }, h('legend', {}, `Step ${i + 1} of ${steps.length}: ${s.title}`), s.section.root));
      const form = h('form', { novalidate: true, id: 'onboard-form' }, progress, fieldsets, h('div', { class: 'actions' }, back, next, create), msg.root);

      const show = (i: number, focus = true) => {
        at = i;
        fieldsets.forEach((f, j) => (f.hidden = j !== i));
        replace(progress, steps.map((s, j) => h('li', { 'aria-current': j === i ? 'step' : undefined, class: j < i ? 'done' : undefined }, s.title)));
        back.hidden = i === 0;
        next.hidden = i === steps.length - 1;
        create.hidden = i !== steps.length - 1;
        if (i === steps.length - 1) drawReview();
        if (focus) (fieldsets[i]!.querySelector('input,select,textarea') as HTMLElement | null)?.focus();
        announce(`Step ${i + 1} of ${steps.length}: ${steps[i]!.title}`);
      };
      const drawReview = () => {
        for (const s of steps) s.section.read(config);
        replace(review, h('h3', {}, 'Review'), h('dl', { class: 'pairs' },
          h('dt', {}, 'Issuer'), h('dd', {}, config.okta.issuer || '—'),
          h('dt', {}, 'Client ID'), h('dd', {}, config.okta.clientId || '—'),
          h('dt', {}, 'Client secret'), h('dd', {}, config.__clientSecret ? 'entered (hidden)' : 'missing'),
          h('dt', {}, 'Scopes'), h('dd', {}, (config.okta.scopes ?? []).join(' ')),
          h('dt', {}, 'Auto-provisioning'), h('dd', {}, config.okta.autoProvisioning ? 'on' : 'off'),
          h('dt', {}, 'Password forwarding'), h('dd', {}, config.okta.passwordGrant ? 'on' : 'off'),
          h('dt', {}, 'Verified domains'), h('dd', {}, config.domains.join(', ') || '—')));
      };
      // A problem link in the summary reveals the step its field is on.
      form.addEventListener('reveal', (e) => {
        const i = fieldsets.findIndex((f) => f.contains(e.target as Node));
        if (i >= 0 && i !== at) show(i, false);
      });
      back.addEventListener('click', () => show(Math.max(0, at - 1)));
      next.addEventListener('click', () => {
        if (at === 0 && !discovered) {
          msg.error('Fetch the discovery document first:', 'it proves the issuer is right before anything else is entered.');
          issuer.root.querySelector('button')?.focus();
          return;
        }
        msg.clear();
        show(at + 1);
      });
      form.addEventListener('submit', async (e) => {
        e.preventDefault();
        for (const s of steps) s.section.read(config);
        clearProblems(form);
        msg.info('Creating the tenant… (the Okta discovery document is checked again)');
        create.disabled = true;
        try {
          const { config: doc, clientSecret } = saveBody(config) as { config: Config; clientSecret?: string };
          const t = await api<TenantView>('POST', '/admin/tenants', { slug: slug.input.value.trim(), name: name.input.value.trim(), clientSecret: clientSecret ?? '', config: doc });
          announce(`Tenant ${t.name} created. Run the troubleshooting checks next.`);
          navigate(`/console/t/${enc(t.slug)}/troubleshoot?new=1`);
        } catch (err) {
          msg.clear();
          if (err instanceof ApiError && err.errors.length) {
            const hit = showProblems(form, err.errors, err.detail || 'The tenant was not created');
            const first = fieldsets.findIndex((f) => hit.some((x) => f.contains(x)));
            if (first >= 0 && first !== at) {
              show(first, false);
              (form.querySelector('.error-summary') as HTMLElement | null)?.focus();
            }
          } else msg.error('The tenant was not created.', err instanceof Error ? err.message : String(err));
        } finally {
          create.disabled = false;
        }
      });
      main.append(h('p', { class: 'crumbs' }, link('/console', 'Tenants'), ' / Onboard'), h('h1', {}, 'Onboard a tenant'),
        h('p', {}, 'Have the customer\'s Okta admin on the call: they create an OIDC web app for iQmetrix and read you its values. Every field is checked by the service as you save.'),
        form);
      show(0, false);
    },
  };
}

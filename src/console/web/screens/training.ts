import { ApiError, api, enc } from '../api.js';
import type { Screen } from '../app.js';
import { type Config, type Section, toInput } from '../config.js';
import { type Child, badge, h, show } from '../dom.js';
import { checkField, rowsEditor, selectField, tracked } from '../forms.js';
import { saveBar } from '../save.js';
import type { Location } from './locations.js';
import { tenantFrame } from './tenant-frame.js';

interface TrainingStatus {
  enabled: boolean;
  database: string;
  status: 'disabled' | 'available' | 'unavailable';
  users?: number;
  locations?: number;
  detail?: string;
}

/**
 * Area 3, training beside production: what training overrides (role mapping, unknown-location policy, the
 * translation of location identifiers) and the two company trees, with every difference marked.
 */
export function trainingScreen(params: Record<string, string>): Screen {
  return {
    title: 'Training',
    async render(main) {
      const { tenant, content } = await tenantFrame(main, params.slug!, 'training', 'Training beside production');
      const base = `/admin/tenants/${enc(tenant.slug)}`;
      let status: TrainingStatus;
      try {
        status = await api<TrainingStatus>('GET', `${base}/training`);
      } catch (e) {
        if (e instanceof ApiError && e.status === 404) {
          content.append(h('p', { class: 'message message-info' }, 'This service has no training environment yet: training sign-ins are not available.'));
          return;
        }
        throw e;
      }
      const config = toInput(tenant);
      const training = (config.training ?? { enabled: false, database: 'managed' }) as Record<string, any>;
      const prodLocations = await api<Location[]>('GET', `${base}/locations`);
      const trainLocations = status.status === 'available' ? await api<Location[]>('GET', `${base}/training/locations`).catch(() => null) : null;

      const compare = (label: string, prod: unknown, train: unknown, inherited: boolean) => {
        const same = inherited || JSON.stringify(prod) === JSON.stringify(train);
        return h('tr', { 'data-setting': label, class: same ? undefined : 'differs' },
          h('th', { scope: 'row', 'data-label': 'Setting' }, label),
          h('td', { 'data-label': 'Production' }, fmt(prod)),
          h('td', { 'data-label': 'Training' }, inherited ? h('span', { class: 'muted' }, 'same as production') : fmt(train)),
          h('td', { 'data-label': 'Difference' }, same ? badge('Same', 'muted') : badge('Differs', 'warn')));
      };
      const prodIds = new Map(prodLocations.map((l) => [l.externalId, l]));
      const trainIds = new Map((trainLocations ?? []).map((l) => [l.externalId, l]));
      const onlyProd = prodLocations.filter((l) => !trainIds.has(l.externalId));
      const onlyTrain = (trainLocations ?? []).filter((l) => !prodIds.has(l.externalId));
      const renamed = (trainLocations ?? []).filter((l) => prodIds.has(l.externalId) && prodIds.get(l.externalId)!.name !== l.name);

      const enabled = checkField({ label: 'Training sign-ins on', field: 'training.enabled', checked: training.enabled === true, hint: 'Training reuses this tenant\'s Okta: nothing changes on the customer\'s side.' });
      const overrideRoles = checkField({ label: 'Training has its own role mapping', field: 'training.roles', checked: Boolean(training.roles) });
      const roles = rowsEditor({
        field: 'training.roles.map', label: 'Training role mapping', addLabel: 'Add a training role mapping',
        columns: [{ label: 'Claim value' }, { label: 'RQ role' }], rows: Object.entries(training.roles?.map ?? config.roles?.map ?? {}).map(([k, v]) => [k, String(v)]),
      });
      const unknown = selectField({
        label: 'Unknown location identifiers in training', field: 'training.locations.unknownLocations', value: training.locations?.unknownLocations ?? '',
        options: [['', 'Same as production'], ['refuse', 'Refuse the sign-in'], ['assign-known', 'Assign the known locations and report the rest']],
      });
      const map = rowsEditor({
        field: 'training.locations.map', label: 'Location identifiers translated into the training tree', addLabel: 'Add a translation',
        hint: 'Where the training company tree uses other External Node Identifiers than production.',
        columns: [{ label: 'Production identifier (as Okta sends it)' }, { label: 'Training identifier' }], rows: Object.entries(training.locations?.map ?? {}).map(([k, v]) => [k, String(v)]),
      });
      const edited = {
        enabled: tracked(() => enabled.input.checked),
        overrideRoles: tracked(() => overrideRoles.input.checked),
        roles: tracked(() => roles.get()),
        unknown: tracked(() => unknown.input.value),
        map: tracked(() => map.get()),
      };
      // Only what was changed here is written: the rest of the training section (the database, a training
      // default role, anything the API adds later) goes back as it was loaded.
      const section: Section = {
        root: h('div', {}, enabled.root, overrideRoles.root, roles.root, unknown.root, map.root),
        fields: ['training'],
        read: (c: Config) => {
          const t: Record<string, any> = { ...(c.training ?? { database: 'managed' }) };
          if (edited.enabled.changed() || t.enabled === undefined) t.enabled = enabled.input.checked;
          if (edited.overrideRoles.changed() || (overrideRoles.input.checked && edited.roles.changed())) {
            if (overrideRoles.input.checked) t.roles = { ...(t.roles ?? {}), map: Object.fromEntries(roles.get()) };
            else delete t.roles;
          }
          if (edited.map.changed() || edited.unknown.changed()) {
            const locations: Record<string, any> = { ...(t.locations ?? {}) };
            if (edited.map.changed() || locations.map === undefined) locations.map = Object.fromEntries(map.get());
            if (edited.unknown.changed()) {
              if (unknown.input.value) locations.unknownLocations = unknown.input.value;
              else delete locations.unknownLocations;
            }
            t.locations = locations;
          }
          c.training = t;
        },
      };
      const form = h('form', { novalidate: true, id: 'training-form' }, section.root);
      form.append(saveBar(form, tenant.slug, () => toInput(tenant), [section], `/console/t/${enc(tenant.slug)}/training`, () => tenant.activeVersion) as Node);

      content.append(
        h('p', {}, 'Training: ', badge(status.status === 'available' ? 'Available' : status.status === 'disabled' ? 'Off' : 'Database unavailable', status.status === 'available' ? 'ok' : status.status === 'disabled' ? 'muted' : 'fail'),
          status.status === 'available' ? ` · ${status.users ?? 0} users, ${status.locations ?? 0} locations` : '', status.detail ? ` · ${status.detail}` : ''),
        h('section', { class: 'section', 'aria-labelledby': 'tr-compare' }, h('h2', { id: 'tr-compare' }, 'Differences from production'),
          h('table', { class: 'stack compare', id: 'training-compare' },
            h('thead', {}, h('tr', {}, ['Setting', 'Production', 'Training', 'Difference'].map((c) => h('th', { scope: 'col' }, c)))),
            h('tbody', {},
              compare('Role mapping', config.roles?.map ?? {}, training.roles?.map, !training.roles),
              compare('Default role', config.roles?.defaultRole ?? null, training.roles?.defaultRole ?? null, !training.roles),
              compare('Unknown location identifiers', config.unknownLocations ?? 'refuse', training.locations?.unknownLocations, !training.locations?.unknownLocations),
              compare('Location translations', {}, training.locations?.map ?? {}, false),
              compare('Okta, claims, RQ IDs, commission types, custom fields', 'this tenant\'s', 'this tenant\'s', true))),
          h('h3', {}, 'Company trees'),
          trainLocations === null ? h('p', { class: 'muted' }, 'The training company tree can be compared once training is on and its database answers.')
            : h('ul', { id: 'tree-diff' },
              h('li', {}, `Only in production (${onlyProd.length}): `, list(onlyProd)),
              h('li', {}, `Only in training (${onlyTrain.length}): `, list(onlyTrain)),
              h('li', {}, `Named differently (${renamed.length}): `, list(renamed)))),
        h('section', { class: 'section', 'aria-labelledby': 'tr-edit' }, h('h2', { id: 'tr-edit' }, 'Training settings'), form),
      );
    },
  };
}

function fmt(v: unknown): Child {
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    const e = Object.entries(v as Record<string, unknown>);
    return e.length ? h('ul', { class: 'kv' }, e.map(([k, x]) => h('li', {}, k, ' → ', show(x)))) : h('span', { class: 'muted' }, 'none');
  }
  return v === undefined || v === null ? h('span', { class: 'muted' }, 'none') : show(v);
}

function list(items: Location[]): Child {
  return items.length ? items.slice(0, 50).map((l, i) => [i ? ', ' : '', h('code', {}, l.externalId)]) : 'none';
}

import { ApiError, api } from './api.js';
import { announce } from './app.js';
import { h, replace } from './dom.js';
import { checkField, clearProblems, lines, messageArea, rowsEditor, selectField, showProblems, textField, tracked } from './forms.js';

/**
 * The tenant configuration document as the console edits it, and the form sections that edit it. The
 * console never builds its own rules: every value goes to the tenant API, whose per-field reasons come back
 * next to the fields. A screen edits a copy of the whole document it loaded (`toInput`), and each section
 * writes into it only the values the user changed: what a section does not show (fields added to the API
 * later, a custom field's value map) and what the user left alone go back exactly as they were loaded.
 */
export type Config = Record<string, any> & {
  okta: Record<string, any>;
  domains: string[];
};

export interface Endpoints {
  authorization: string;
  token: string;
  userinfo: string;
  jwks: string;
  endSession?: string;
  scopesSupported?: string[];
  tokenEndpointAuthMethods?: string[];
}

export interface TenantView {
  id: string;
  slug: string;
  name: string;
  status: string;
  activeVersion: number | null;
  config: (Config & { okta: { endpoints?: Endpoints; clientSecret?: { set: boolean; updatedAt?: string } } }) | null;
  /** Versions staged and not yet activated (tenant API with drafts). */
  drafts?: number[];
  latestVersion?: number | null;
  createdAt: string;
  updatedAt: string;
}

export const DEFAULT_SCOPES = ['openid', 'email', 'profile', 'phone', 'iqmetrix'];

/** The guide's fields a tenant may feed from another claim (provisioning's field table). */
export const CLAIM_FIELDS: Array<[string, string, string]> = [
  ['username', 'Username', 'userName'], ['firstName', 'First name', 'name'], ['lastName', 'Last name', 'family_name'],
  ['securityRole', 'Security role', 'security_group_name'], ['locations', 'Locations', 'assigned_entity_client_entity_ids'],
  ['email', 'Email', 'email'], ['emailDisplayName', 'Email display name', 'attribute_EmailDisplayName'], ['homePhone', 'Home phone', 'phone_number'],
  ['cellPhone', 'Cell phone', 'mobile_number'], ['organizationalRoleId', 'Organizational role', 'attribute_OrganizationalRoleID'],
  ['supervisor', 'Supervisor', 'attribute_SupervisorUPN'], ['idNumber', 'ID number', 'attribute_SpecialIdentifier'],
  ['commissionGroupId', 'Commission group', 'attribute_CommissionGroupID'], ['commissionType', 'Commission type', 'attribute_CommissionType'],
];

/** The configuration in force as an input document: what discovery said and the secret reference are the server's. */
export function toInput(view: TenantView): Config {
  const copy = structuredClone(view.config ?? { okta: {}, domains: [] }) as Config;
  delete copy.okta.endpoints;
  delete copy.okta.clientSecret;
  delete copy.okta.clientSecretId;
  return copy;
}

export interface Section {
  root: HTMLElement;
  /** Writes into the document the section's values the user changed (and those the document has none of yet). */
  read(config: Config): void;
  /** data-field paths this section owns (a problem about one of them reveals the section). */
  fields: string[];
}

/** Step 1 of onboarding: the issuer, and discovery fetched from it (as the save will fetch it). */
export function issuerSection(config: Config, onDiscovered: (e: Endpoints | null) => void, known?: Endpoints): Section {
  const issuer = textField({
    label: 'Okta issuer', field: 'okta.issuer', value: config.okta.issuer ?? '', required: true, type: 'url', inputmode: 'url',
    hint: 'The issuer of the customer\'s Okta authorization server, exactly as Okta shows it, e.g. https://company.okta.com/oauth2/aus123abc (no trailing slash).',
  });
  const msg = messageArea();
  const result = h('div', { class: 'discovered' });
  const button = h('button', { type: 'button', class: 'secondary' }, 'Fetch discovery');
  const showEndpoints = (e: Endpoints) =>
    replace(result, h('h3', {}, 'Endpoints from discovery'), h('dl', { class: 'pairs' },
      h('dt', {}, 'Authorization'), h('dd', { 'data-endpoint': 'authorization' }, e.authorization),
      h('dt', {}, 'Token'), h('dd', { 'data-endpoint': 'token' }, e.token),
      h('dt', {}, 'UserInfo'), h('dd', { 'data-endpoint': 'userinfo' }, e.userinfo),
      h('dt', {}, 'JWKS'), h('dd', { 'data-endpoint': 'jwks' }, e.jwks),
      e.endSession ? [h('dt', {}, 'Sign-out'), h('dd', {}, e.endSession)] : null,
      h('dt', {}, 'Scopes supported'), h('dd', {}, e.scopesSupported?.join(' ') ?? '(not listed)'),
      h('dt', {}, 'Client authentication'), h('dd', {}, e.tokenEndpointAuthMethods?.join(', ') ?? '(not listed)')));
  if (known) showEndpoints(known);
  const root = h('div', { class: 'section' });
  button.addEventListener('click', async () => {
    const form = root.closest('form') ?? root;
    msg.info('Fetching the discovery document…');
    button.disabled = true;
    replace(result);
    try {
      // The tenant API's discovery preview: what a save would fetch and check, without saving anything.
      const r = await api<{ ok: boolean; endpoints?: Endpoints; problem?: { field: string; reason: string } }>('POST', '/admin/discovery', { issuer: issuer.input.value.trim() });
      if (!r.ok || !r.endpoints) throw new ApiError(422, 'Validation failed', 'The issuer could not be verified.', [r.problem ?? { field: 'okta.issuer', reason: 'discovery failed' }]);
      clearProblems(form as HTMLElement);
      msg.info('Discovery fetched: the endpoints below come from the customer\'s Okta.');
      showEndpoints(r.endpoints);
      onDiscovered(r.endpoints);
      announce('Discovery fetched.');
    } catch (e) {
      onDiscovered(null);
      msg.clear();
      if (e instanceof ApiError && e.errors.length) showProblems(form as HTMLElement, e.errors.map((p) => (p.field === 'issuer' ? { ...p, field: 'okta.issuer' } : p)), 'The issuer could not be verified');
      else msg.error('Discovery failed.', e instanceof Error ? e.message : String(e));
    } finally {
      button.disabled = false;
    }
  });
  issuer.input.addEventListener('input', () => onDiscovered(null));
  root.append(issuer.root, h('div', { class: 'actions' }, button), msg.root, result);
  const value = tracked(() => issuer.input.value.trim());
  return { root, fields: ['okta.issuer'], read: (c) => void (value.changed() || c.okta.issuer === undefined ? (c.okta.issuer = value.now()) : undefined) };
}

/** Step 2: the Okta client. The secret field is write-only: it never shows a stored value. */
export function clientSection(config: Config, opts: { secretSet?: { updatedAt?: string } | null; endpoints?: Endpoints | null }): Section & { setEndpoints(e: Endpoints | null): void } {
  const clientId = textField({ label: 'Client ID', field: 'okta.clientId', value: config.okta.clientId ?? '', required: true, hint: 'The Client ID of the OIDC app the customer created in their Okta for iQmetrix.' });
  const secret = textField({
    label: opts.secretSet ? 'New client secret (optional)' : 'Client secret', field: 'clientSecret', type: 'password', autocomplete: 'new-password', required: !opts.secretSet,
    hint: opts.secretSet
      ? `A secret is stored${opts.secretSet.updatedAt ? ` (set ${new Date(opts.secretSet.updatedAt).toLocaleDateString()})` : ''}; it is never shown. Leave empty to keep it, or paste a new one to replace it.`
      : 'Paste the client secret from Okta. It is stored encrypted and can never be shown again.',
  });
  secret.input.value = '';
  const method = selectField({
    label: 'Client authentication', field: 'okta.tokenEndpointAuthMethod', value: config.okta.tokenEndpointAuthMethod ?? 'client_secret_basic',
    options: [['client_secret_basic', 'Client secret in HTTP Basic (Okta default)'], ['client_secret_post', 'Client secret in the request body']],
  });
  const scopesBox = h('div', { class: 'field', 'data-field': 'okta.scopes', 'data-item': 'scope' });
  const chosen = new Set<string>(config.okta.scopes ?? DEFAULT_SCOPES);
  let supported: string[] | undefined = opts.endpoints?.scopesSupported;
  const drawScopes = () => {
    const all = [...new Set([...DEFAULT_SCOPES, ...chosen])];
    replace(scopesBox,
      h('fieldset', {},
        h('legend', {}, 'Scopes'),
        h('p', { class: 'hint', id: 'scopes-hint' }, 'Auto-provisioning needs openid email profile phone iqmetrix; sign-in alone needs only openid.'),
        h('p', { class: 'field-error', hidden: true }),
        all.map((s) => {
          const c = checkField({ label: s, field: `okta.scopes.${s}`, checked: chosen.has(s), hint: supported && !supported.includes(s) ? 'not listed as supported by this Okta' : undefined });
          c.input.dataset.scope = s;
          c.input.addEventListener('change', () => (c.input.checked ? chosen.add(s) : chosen.delete(s)));
          if (s === 'openid') c.input.disabled = true;
          return c.root;
        })));
  };
  chosen.add('openid');
  drawScopes();
  const auto = checkField({ label: 'Auto-provisioning', field: 'okta.autoProvisioning', checked: config.okta.autoProvisioning ?? true, hint: 'Create and update users from their Okta claims at each sign-in.' });
  const pwd = checkField({ label: 'Password forwarding', field: 'okta.passwordGrant', checked: config.okta.passwordGrant ?? false, hint: 'Let apps that collect the password themselves (e.g. a desktop POS) sign users in through this Okta. Off unless the customer asks.' });
  const edited = {
    clientId: tracked(() => clientId.input.value.trim()),
    tokenEndpointAuthMethod: tracked(() => method.input.value),
    scopes: tracked(() => [...chosen]),
    autoProvisioning: tracked(() => auto.input.checked),
    passwordGrant: tracked(() => pwd.input.checked),
  };
  const redirect = h('p', { class: 'callout' }, 'The customer registers this sign-in redirect URI in their Okta app: ', h('code', {}, `${location.origin}/oauth2/callback`));
  const root = h('div', { class: 'section' }, redirect, clientId.root, secret.root, method.root, scopesBox, auto.root, pwd.root);
  return {
    root,
    fields: ['okta.clientId', 'clientSecret', 'clientSecretId', 'okta.tokenEndpointAuthMethod', 'okta.scopes', 'okta.autoProvisioning', 'okta.passwordGrant'],
    setEndpoints: (e) => {
      supported = e?.scopesSupported;
      drawScopes();
      const methods = e?.tokenEndpointAuthMethods;
      if (methods?.length && !methods.includes(method.input.value)) {
        const first = (['client_secret_basic', 'client_secret_post'] as const).find((m) => methods.includes(m));
        if (first) method.input.value = first;
      }
    },
    read: (c) => {
      for (const [key, value] of Object.entries(edited)) if (value.changed() || c.okta[key] === undefined) c.okta[key] = value.now();
      const s = secret.input.value;
      if (s) c.__clientSecret = s;
      else delete c.__clientSecret;
    },
  };
}

/** Step 3: verified domains and username rewrite rules. */
export function domainsSection(config: Config): Section {
  const domains = textField({
    label: 'Verified domains', field: 'domains', multiline: true, rows: 3, value: (config.domains ?? []).join('\n'), item: 'line',
    hint: 'One per line. Usernames must end in one of these, and the work email\'s domain picks this tenant at sign-in. A domain belongs to one tenant only.',
  });
  const rewrites = rowsEditor({
    field: 'usernameRewrites', label: 'Username rewrite rules', addLabel: 'Add a rewrite rule',
    hint: 'Rewrite the domain of usernames Okta sends, e.g. from yvr.kentel.local to kentel.com (john.smith@yvr.kentel.local becomes john.smith@kentel.com).',
    columns: [{ label: 'From domain', placeholder: 'yvr.kentel.local' }, { label: 'To domain', placeholder: 'kentel.com' }],
    rows: (config.usernameRewrites ?? []).map((r: { from: string; to: string }) => [r.from, r.to]),
    kept: config.usernameRewrites ?? [],
  });
  const domainList = tracked(() => lines(domains.input.value));
  const rewriteRows = tracked(() => rewrites.get());
  return {
    root: h('div', { class: 'section' }, domains.root, rewrites.root),
    fields: ['domains', 'usernameRewrites'],
    read: (c) => {
      if (domainList.changed() || c.domains === undefined) c.domains = domainList.now();
      if (rewriteRows.changed() || c.usernameRewrites === undefined) {
        c.usernameRewrites = rewrites.entries().map((r) => (r.unchanged ? r.kept : { ...(r.kept as object | undefined), from: r.cells[0], to: r.cells[1] }));
      }
    },
  };
}

export const RQ_ID_KINDS = ['organizationalRoles', 'commissionGroups', 'securityRoles', 'commissionTypes'] as const;
export type RqIdKind = (typeof RQ_ID_KINDS)[number];

/**
 * Mappings: roles, RQ IDs, commission types, custom fields, claim overrides, unknown locations. `rqIdsLoad` is
 * shown in the RQ IDs section (the bulk load); `setRqIds` shows lists loaded since as the ones "as loaded".
 */
export function mappingSections(config: Config, opts: { rqIdsLoad?: HTMLElement } = {}): { sections: Section[]; setRqIds(rqIds: Partial<Record<RqIdKind, string[]>>): void } {
  const roles = rowsEditor({
    field: 'roles.map', label: 'Security roles', addLabel: 'Add a role mapping',
    hint: 'The value of the security_group_name claim, and the RQ security role it gives.',
    columns: [{ label: 'Claim value', placeholder: 'Store Manager' }, { label: 'RQ role', placeholder: 'RQ-StoreManager' }],
    rows: Object.entries(config.roles?.map ?? {}).map(([k, v]) => [k, String(v)]),
  });
  const defaultRole = textField({ label: 'Default role (optional)', field: 'roles.defaultRole', value: config.roles?.defaultRole ?? '', hint: 'Given when the claim value has no mapping. Empty: such a sign-in is refused with a clear reason.' });
  const orgRoles = textField({ label: 'Organizational role RQ IDs', field: 'rqIds.organizationalRoles', multiline: true, rows: 3, item: 'line', value: (config.rqIds?.organizationalRoles ?? []).join('\n'), hint: 'One RQ ID per line: the values attribute_OrganizationalRoleID may take.' });
  const groups = textField({ label: 'Commission group RQ IDs', field: 'rqIds.commissionGroups', multiline: true, rows: 3, item: 'line', value: (config.rqIds?.commissionGroups ?? []).join('\n'), hint: 'One RQ ID per line: the values attribute_CommissionGroupID may take.' });
  const rqRoles = textField({ label: 'RQ security roles', field: 'rqIds.securityRoles', multiline: true, rows: 3, item: 'line', value: (config.rqIds?.securityRoles ?? []).join('\n'), hint: 'One per line: the security roles RQ has for this tenant. Once any are listed, every role the mapping gives (and the default role) must be one of them.' });
  const rqTypes = textField({ label: 'RQ commission types', field: 'rqIds.commissionTypes', multiline: true, rows: 3, item: 'line', value: (config.rqIds?.commissionTypes ?? []).join('\n'), hint: 'One per line: the commission types RQ has for this tenant. Once any are listed, every commission type value must be one of them.' });
  const rqLists: Record<RqIdKind, { input: HTMLInputElement | HTMLTextAreaElement }> = { organizationalRoles: orgRoles, commissionGroups: groups, securityRoles: rqRoles, commissionTypes: rqTypes };
  const commission = rowsEditor({
    field: 'commissionTypes', label: 'Commission type values', addLabel: 'Add a commission type',
    hint: 'The value Okta sends in attribute_CommissionType, and the RQ value it becomes.',
    columns: [{ label: 'Claim value' }, { label: 'RQ value' }],
    rows: Object.entries(config.commissionTypes ?? {}).map(([k, v]) => [k, String(v)]),
  });
  const customFields: Array<Record<string, any>> = config.customFields ?? [];
  const custom = rowsEditor({
    field: 'customFields', label: 'Declared custom fields', addLabel: 'Add a custom field',
    hint: 'Each name is sent by Okta as attribute_rqCustomField_{name}; undeclared ones are reported, not stored. A value map set through the API is kept as it is.',
    columns: [{ label: 'Name', placeholder: 'BadgeNumber' }, { label: 'Longest value', type: 'number', placeholder: '255' }],
    rows: customFields.map((f) => [f.name, String(f.maxLength ?? 255)]),
    kept: customFields,
    extra: {
      label: 'Allowed values',
      cell: (f) => {
        const values = (f as { values?: Record<string, string> } | undefined)?.values;
        const n = values ? Object.keys(values).length : 0;
        return n ? `${n} mapped value${n === 1 ? '' : 's'} (kept)` : 'any';
      },
    },
  });
  const claims = rowsEditor({
    field: 'claims', label: 'Claim overrides', addLabel: 'Add a claim override',
    hint: 'Feed a field from another claim than the guide\'s default, e.g. First name from given_name. Several claims, separated by commas, are tried in order: the first one present wins (at most 5).',
    columns: [{ label: 'Field', options: CLAIM_FIELDS.map(([k, l, d]) => [k, `${l} (default ${d})`]) }, { label: 'Claim', placeholder: 'given_name, name' }],
    rows: Object.entries(config.claims ?? {}).map(([k, v]) => [k, claimText(v)]),
    kept: Object.values(config.claims ?? {}),
  });
  const unknown = selectField({
    label: 'Unknown location identifiers', field: 'unknownLocations', value: config.unknownLocations ?? 'refuse',
    options: [['refuse', 'Refuse the sign-in'], ['assign-known', 'Assign the known locations and report the rest']],
  });
  const edited = {
    roles: tracked(() => roles.get()),
    defaultRole: tracked(() => defaultRole.input.value.trim()),
    organizationalRoles: tracked(() => lines(orgRoles.input.value)),
    commissionGroups: tracked(() => lines(groups.input.value)),
    securityRoles: tracked(() => lines(rqRoles.input.value)),
    rqCommissionTypes: tracked(() => lines(rqTypes.input.value)),
    commissionTypes: tracked(() => commission.get()),
    customFields: tracked(() => custom.get()),
    claims: tracked(() => claims.get()),
    unknownLocations: tracked(() => unknown.input.value),
  };
  const rqEdited = (kind: RqIdKind) => (kind === 'commissionTypes' ? edited.rqCommissionTypes : edited[kind]);
  const section = (title: string, ...parts: Array<{ root: HTMLElement } | undefined>) => h('section', { class: 'section', 'aria-label': title }, h('h2', {}, title), parts.map((p) => p?.root));
  const sections: Section[] = [
    { root: section('Security roles', roles, defaultRole), fields: ['roles'], read: (c) => {
      if (!edited.roles.changed() && !edited.defaultRole.changed() && c.roles !== undefined) return;
      c.roles = { ...(c.roles ?? {}) };
      if (edited.roles.changed() || c.roles.map === undefined) c.roles.map = Object.fromEntries(roles.get());
      if (edited.defaultRole.changed()) {
        if (edited.defaultRole.now()) c.roles.defaultRole = edited.defaultRole.now();
        else delete c.roles.defaultRole;
      }
    } },
    { root: section('RQ IDs', orgRoles, groups, rqRoles, rqTypes, opts.rqIdsLoad ? { root: opts.rqIdsLoad } : undefined), fields: ['rqIds'], read: (c) => {
      for (const kind of RQ_ID_KINDS) {
        if (rqEdited(kind).changed() || c.rqIds?.[kind] === undefined) c.rqIds = { ...(c.rqIds ?? {}), [kind]: rqEdited(kind).now() };
      }
    } },
    { root: section('Commission types', commission), fields: ['commissionTypes'], read: (c) => {
      if (edited.commissionTypes.changed() || c.commissionTypes === undefined) c.commissionTypes = Object.fromEntries(commission.get());
    } },
    { root: section('Custom fields', custom), fields: ['customFields'], read: (c) => {
      if (!edited.customFields.changed() && c.customFields !== undefined) return;
      // A row keeps every property of the field it was loaded from (its value map, and any the API adds later).
      c.customFields = custom.entries().map((r) => (r.unchanged ? r.kept : { ...(r.kept as object | undefined), name: r.cells[0], maxLength: r.cells[1] ? Number(r.cells[1]) : 255 }));
    } },
    { root: section('Claims and unknown locations', claims, unknown), fields: ['claims', 'unknownLocations'], read: (c) => {
      if (edited.claims.changed() || c.claims === undefined) c.claims = Object.fromEntries(claims.entries().map((r) => [r.cells[0], r.unchanged ? r.kept : claimValue(r.cells[1]!)]));
      if (edited.unknownLocations.changed() || c.unknownLocations === undefined) c.unknownLocations = unknown.input.value;
    } },
  ];
  return {
    sections,
    setRqIds: (rqIds) => {
      for (const kind of RQ_ID_KINDS) {
        rqLists[kind].input.value = (rqIds[kind] ?? []).join('\n');
        rqEdited(kind).reset();
      }
    },
  };
}

/** A claim override as the field shows it: one claim name, or the names tried in order, comma-separated. */
function claimText(v: unknown): string {
  return Array.isArray(v) ? v.join(', ') : String(v ?? '');
}

/** …and as the API takes it: one name as a string, several as a list (the API says which one is wrong). */
function claimValue(text: string): string | string[] {
  const names = text.split(',').map((n) => n.trim()).filter(Boolean);
  return names.length > 1 ? names : (names[0] ?? '');
}

/** The request body for a save: the document, and the secret only when one was typed. */
export function saveBody(config: Config, note?: string): Record<string, unknown> {
  const { __clientSecret, ...doc } = config;
  return { ...(__clientSecret ? { clientSecret: __clientSecret } : {}), ...(note ? { note } : {}), config: doc };
}

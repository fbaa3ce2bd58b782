import { ScimError } from '../common/errors/scim-error.js';
import { claimNamesFor } from '../provisioning/mapper.js';
import { customFieldPrefix, type FieldName } from '../provisioning/fields/field-names.js';
import type { TenantConfig } from '../tenants/tenant-config.schema.js';
import { CORE_USER, ENTERPRISE_USER, extensionClaims, IQMETRIX_USER, PATCH_OP } from './scim-schemas.js';
import { clipName } from '../common/validation/field-path.js';

/**
 * SCIM User attributes as this service reads them, flattened: a key present means the client asserted it
 * (null = cleared); a key absent means "not sent", which — exactly like an absent claim at sign-in — leaves the
 * stored value alone. POST and PUT fill it from the whole resource, PATCH from its operations only.
 */
export interface ScimAttributes {
  userName?: string | null;
  externalId?: string | null;
  active?: boolean;
  givenName?: string | null;
  familyName?: string | null;
  email?: string | null;
  homePhone?: string | null;
  mobilePhone?: string | null;
  employeeNumber?: string | null;
  /** iQmetrix extension: guide claims by claim name. */
  claims: Record<string, unknown>;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * How an attribute was named, which decides what becomes of one this service does not take: in a whole resource (POST,
 * PUT), what it does not store is ignored (RFC 7644 §3.3); in a PATCH value without a path, the same, but a name that is
 * no attribute at all is invalidPath; named by a PATCH path, the operation is aimed at that one attribute, so one this
 * service does not store is invalidPath and a read-only one mutability (RFC 7644 §3.5.2), never a silent 200. Only the
 * path's own target is named by it: the sub-attributes in the value of a path naming a complex attribute ("name", an
 * extension's URN) are read as in a value without a path, which RFC 7644 §3.5.2.3 treats alike ({"path": "name",
 * "value": {…, "formatted": …}} is {"value": {"name": {…, "formatted": …}}}).
 */
type Named = 'resource' | 'value' | 'path';

/**
 * How one object of a body (a resource, a PATCH operation's value) is read: how its attributes are named, and the
 * attributes it has given so far, by the lower-case name each resolves to (see `once`).
 */
interface Reading {
  config: TenantConfig;
  named: Named;
  seen: Set<string>;
}

const reading = (config: TenantConfig, named: Named): Reading => ({ config, named, seen: new Set() });

/** How the sub-attributes of a complex value are read: as their parent, but a path names only its own target. */
const inside = (r: Reading): Reading => ({ ...r, named: r.named === 'path' ? 'value' : r.named });

/**
 * SCIM attribute names are case-insensitive (RFC 7643 §2.1), and a schema-qualified name is the attribute it qualifies
 * (RFC 7644 §3.10): {"givenName": …, "GIVENNAME": …} or {"userName": …, "urn:…:core:2.0:User:userName": …} give one
 * attribute two values, and which was meant cannot be known, so it is refused as a member given twice in the same case
 * is (body-parsers.ts). `shown` is the name as given. An iQmetrix extension claim keeps its exact name when read.
 */
const twice = (shown: string) =>
  ScimError.invalidSyntax(`The request body gives an attribute twice in one object, in another letter case or form (SCIM attribute names are case-insensitive); give each once. (${clipName(shown, 120)})`);

function once(seen: Set<string>, attribute: string, shown: string): void {
  if (seen.has(attribute)) throw twice(shown);
  seen.add(attribute);
}

/** The members of one object of a SCIM message (the PatchOp message, an operation, a list entry) by lower-case name, each once. */
function members(o: Json, where = ''): Map<string, unknown> {
  const byName = new Map<string, unknown>();
  for (const [k, v] of Object.entries(o)) {
    if (byName.has(k.toLowerCase())) throw twice(`${where}${k}`);
    byName.set(k.toLowerCase(), v);
  }
  return byName;
}

const unsupported = (key: string) => ScimError.invalidPath(`${clipName(key, 80)} is not an attribute this service supports.`);
const readOnly = (key: string) => ScimError.mutability(`${clipName(key, 80)} is read-only.`);

/** Core attributes Okta (and others) send that this service does not store: ignored in a resource, invalidPath by path. */
const ignoredCore = new Set(['schemas', 'id', 'meta', 'displayname', 'nickname', 'profileurl', 'title', 'usertype', 'preferredlanguage', 'locale', 'timezone', 'password', 'groups', 'photos', 'addresses', 'ims', 'entitlements', 'roles', 'x509certificates']);

function str(v: unknown, what: string): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  throw ScimError.invalidValue(`${what} must be a string.`);
}

function bool(v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  // Some clients (Azure AD, older Okta apps) send "True"/"False" in PATCH values.
  if (typeof v === 'string' && /^(true|false)$/i.test(v)) return v.toLowerCase() === 'true';
  throw ScimError.invalidValue('active must be a boolean.');
}

/** The value of a multi-valued email/phone list: the primary entry, else the first; [] clears. */
function pick(list: unknown, what: string, type?: string): string | null | undefined {
  if (list === null) return null;
  if (!Array.isArray(list)) throw ScimError.invalidValue(`${what} must be a list.`);
  const entries = list.filter(isObject).map((e) => members(e, `${what}.`));
  const typed = type ? entries.filter((e) => { const t = e.get('type'); return typeof t === 'string' && t.toLowerCase() === type; }) : entries;
  if (type && typed.length === 0) return undefined;
  if (typed.length === 0) return null;
  const chosen = typed.find((e) => e.get('primary') === true || e.get('primary') === 'true') ?? typed[0]!;
  return str(chosen.get('value'), `${what}.value`);
}

function isExtensionClaim(name: string, config: TenantConfig): boolean {
  // A field's claim may be overridden by one name or a list tried in order (tenant-config.schema.ts): each is a claim here.
  return (extensionClaims as readonly string[]).includes(name) || name.startsWith(customFieldPrefix) || Object.values(config.claims).flat().includes(name);
}

function readExtension(into: ScimAttributes, ext: unknown, r: Reading): void {
  if (ext === undefined) return;
  if (!isObject(ext)) throw ScimError.invalidValue(`${IQMETRIX_USER} must be an object.`);
  for (const [k, v] of Object.entries(ext)) {
    once(r.seen, `${IQMETRIX_USER}:${k}`.toLowerCase(), `${IQMETRIX_USER}:${k}`);
    if (isExtensionClaim(k, r.config)) into.claims[k] = v;
    else if (['securityRole', 'locations'].includes(k)) {
      if (r.named === 'path') throw readOnly(k);
    } else if (r.named !== 'resource') throw ScimError.invalidPath(`${clipName(k, 80)} is not an attribute of the iQmetrix extension.`);
  }
}

/** A whole User resource (POST, PUT). Unknown and read-only attributes are ignored, as RFC 7644 §3.3 allows. */
export function fromResource(body: unknown, config: TenantConfig): ScimAttributes {
  if (!isObject(body)) throw ScimError.invalidSyntax('The request body must be a SCIM User resource (a JSON object).');
  const schemas = members(body).get('schemas');
  if (!Array.isArray(schemas) || !schemas.includes(CORE_USER)) throw ScimError.invalidSyntax(`schemas must include ${CORE_USER}.`);
  const a: ScimAttributes = { claims: {} };
  const r = reading(config, 'resource');
  for (const [key, v] of Object.entries(body)) setAttribute(a, key, v, r);
  return a;
}

/**
 * Sets one attribute by (case-insensitive) name or path, as a resource key or a PATCH path/value would; each attribute
 * once in the object being read (`once`: by its lower-case name, the core schema's URN left out).
 */
function setAttribute(a: ScimAttributes, key: string, v: unknown, r: Reading): void {
  const k = key.toLowerCase();
  if (k === ENTERPRISE_USER.toLowerCase()) {
    once(r.seen, k, key);
    if (v === null) { a.employeeNumber = null; return; }
    if (!isObject(v)) throw ScimError.invalidValue(`${ENTERPRISE_USER} must be an object.`);
    for (const [ek, ev] of Object.entries(v)) setAttribute(a, `${ENTERPRISE_USER}:${ek}`, ev, inside(r));
    return;
  }
  if (k === IQMETRIX_USER.toLowerCase()) {
    once(r.seen, k, key);
    return readExtension(a, v, inside(r));
  }
  if (k.startsWith(`${ENTERPRISE_USER.toLowerCase()}:`)) {
    once(r.seen, k, key);
    const sub = key.slice(ENTERPRISE_USER.length + 1);
    if (sub.toLowerCase() === 'employeenumber') a.employeeNumber = str(v, 'employeeNumber');
    else if (r.named === 'path') throw unsupported(sub);
    else if (r.named === 'value' && !['manager', 'costcenter', 'organization', 'division', 'department'].includes(sub.toLowerCase())) throw ScimError.invalidPath(`${clipName(sub, 80)} is not an enterprise User attribute.`);
    return;
  }
  if (k.startsWith(`${IQMETRIX_USER.toLowerCase()}:`)) return readExtension(a, { [key.slice(IQMETRIX_USER.length + 1)]: v }, r);
  const core = k.startsWith(`${CORE_USER.toLowerCase()}:`) ? k.slice(CORE_USER.length + 1) : k;
  once(r.seen, core, key);
  switch (core) {
    case 'username': a.userName = str(v, 'userName'); return;
    case 'externalid': a.externalId = str(v, 'externalId'); return;
    case 'active': a.active = bool(v); return;
    case 'name':
      if (v === null) { a.givenName = null; a.familyName = null; return; }
      if (!isObject(v)) throw ScimError.invalidValue('name must be an object.');
      for (const [nk, nv] of Object.entries(v)) setAttribute(a, `name.${nk}`, nv, inside(r));
      return;
    case 'name.givenname': a.givenName = str(v, 'name.givenName'); return;
    case 'name.familyname': a.familyName = str(v, 'name.familyName'); return;
    case 'name.formatted': if (r.named === 'path') throw readOnly(key); return;
    case 'name.middlename': case 'name.honorificprefix': case 'name.honorificsuffix': if (r.named === 'path') throw unsupported(key); return;
    case 'emails': { const e = pick(v, 'emails'); if (e !== undefined) a.email = e; return; }
    case 'phonenumbers': {
      const home = pick(v, 'phoneNumbers', 'home');
      const mobile = pick(v, 'phoneNumbers', 'mobile');
      if (v === null || (Array.isArray(v) && v.length === 0)) { a.homePhone = null; a.mobilePhone = null; return; }
      if (home !== undefined) a.homePhone = home;
      if (mobile !== undefined) a.mobilePhone = mobile;
      return;
    }
    default:
      if (r.named === 'path' || (r.named === 'value' && !ignoredCore.has(core))) throw unsupported(key);
  }
}

/**
 * RFC 7644 §3.5.2 PATCH, as Okta sends it ({"op": "replace", "value": {"active": false}}) and with paths
 * ("name.givenName", `emails[type eq "work"].value`, extension URNs). Only the attributes the operations touch
 * are asserted; "remove" asserts them empty.
 */
export function fromPatch(body: unknown, config: TenantConfig): ScimAttributes {
  const message = isObject(body) ? members(body) : undefined;
  const schemas = message?.get('schemas');
  if (!message || !Array.isArray(schemas) || !schemas.includes(PATCH_OP)) {
    throw ScimError.invalidSyntax(`A PATCH request must be a PatchOp message (schemas: ["${PATCH_OP}"]).`);
  }
  const ops = message.get('operations');
  if (!Array.isArray(ops) || ops.length === 0 || ops.length > 100) throw ScimError.invalidSyntax('Operations must be a list of 1 to 100 operations.');
  const a: ScimAttributes = { claims: {} };
  for (const [i, entry] of ops.entries()) {
    if (!isObject(entry)) throw ScimError.invalidSyntax('Each operation must be an object.');
    const raw = members(entry, `Operations[${i}].`);
    const opName = raw.get('op');
    const op = typeof opName === 'string' ? opName.toLowerCase() : '';
    if (!['add', 'replace', 'remove'].includes(op)) throw ScimError.invalidSyntax('op must be "add", "replace" or "remove".');
    const given = raw.get('path');
    const path = given === undefined ? undefined : typeof given === 'string' ? given.trim() : null;
    if (path === null || path === '') throw ScimError.invalidPath('path must be a non-empty string.');
    if (op === 'remove') {
      if (!path) throw ScimError.noTarget('A remove operation needs a path.');
      applyPath(a, path, null, config);
      continue;
    }
    const value = raw.get('value');
    if (path === undefined) {
      if (!isObject(value)) throw ScimError.invalidValue(`An ${op} operation without a path needs an object value.`);
      const r = reading(config, 'value');
      for (const [k, v] of Object.entries(value)) setAttribute(a, k, v, r);
      continue;
    }
    if (!raw.has('value')) throw ScimError.invalidValue(`An ${op} operation needs a value.`);
    applyPath(a, path, value, config);
  }
  return a;
}

/** A PATCH path: an attribute, a sub-attribute, or a value filter on emails/phoneNumbers. */
function applyPath(a: ScimAttributes, path: string, value: unknown, config: TenantConfig): void {
  const filtered = /^(emails|phoneNumbers)\[\s*(type|primary)\s+eq\s+("?)([A-Za-z]+)\3\s*\](?:\.value)?$/i.exec(path);
  if (filtered) {
    const [, attr, key, , want] = filtered as unknown as [string, string, string, string, string];
    const list = attr.toLowerCase() === 'emails' ? 'email' : 'phone';
    const v = value === null ? null : isObject(value) ? str(members(value, `${attr}.`).get('value'), `${attr}.value`) : str(value, `${attr}.value`);
    if (list === 'email') { a.email = v; return; }
    const type = key.toLowerCase() === 'type' ? want.toLowerCase() : undefined;
    if (type === 'home') a.homePhone = v;
    else if (type === 'mobile') a.mobilePhone = v;
    else throw ScimError.invalidPath('phoneNumbers can be addressed by type "home" or "mobile".');
    return;
  }
  if (/[[\]]/.test(path)) throw ScimError.invalidPath(`Unsupported path: ${clipName(path, 80)}.`);
  // RFC 7643 §3.1: id and meta are readOnly; an operation aimed at them is a mutability error (§3.5.2), not ignored.
  // (In a resource body, or a PATCH value without a path, they are ignored as §3.5.1 has PUT do: Okta sends them.)
  const core = path.toLowerCase().replace(`${CORE_USER.toLowerCase()}:`, '');
  if (core === 'id' || core === 'meta' || core.startsWith('meta.')) throw readOnly(path);
  setAttribute(a, path, value, reading(config, 'path'));
}

/**
 * SCIM attributes → the claim set the mapper consumes at sign-in. Each core attribute goes under the claim
 * name the tenant's claim rules read for its field (so the same checks, rewrites and mappings apply);
 * extension attributes are claims already, and win over a core attribute for the same claim.
 */
export function toClaims(a: ScimAttributes, config: TenantConfig): Record<string, unknown> {
  const claims: Record<string, unknown> = { ...a.claims };
  const put = (field: FieldName, v: string | null | undefined) => {
    if (v === undefined) return;
    const name = claimNamesFor(field, config)[0]!;
    if (!Object.hasOwn(claims, name)) claims[name] = v;
  };
  put('username', a.userName);
  put('firstName', a.givenName);
  put('lastName', a.familyName);
  put('email', a.email);
  put('homePhone', a.homePhone);
  put('cellPhone', a.mobilePhone);
  put('idNumber', a.employeeNumber);
  return claims;
}

export interface StoredScimUser {
  id: string;
  subject: string;
  status: 'active' | 'disabled';
  username: string;
  first_name: string | null;
  last_name: string | null;
  email: string | null;
  home_phone: string | null;
  cell_phone: string | null;
  id_number: string | null;
  security_role: string | null;
  locations: string[];
  created_at: Date;
  updated_at: Date;
}

/** A stored user as a SCIM User resource (RFC 7643 §4.1). */
export function toResource(u: StoredScimUser, base: string) {
  const formatted = [u.first_name, u.last_name].filter(Boolean).join(' ') || undefined;
  const phones = [
    ...(u.home_phone ? [{ value: u.home_phone, type: 'home' }] : []),
    ...(u.cell_phone ? [{ value: u.cell_phone, type: 'mobile' }] : []),
  ];
  return {
    schemas: [CORE_USER, ENTERPRISE_USER, IQMETRIX_USER],
    id: u.id,
    externalId: u.subject,
    userName: u.username,
    name: { ...(u.first_name ? { givenName: u.first_name } : {}), ...(u.last_name ? { familyName: u.last_name } : {}), ...(formatted ? { formatted } : {}) },
    displayName: formatted ?? u.username,
    active: u.status === 'active',
    ...(u.email ? { emails: [{ value: u.email, type: 'work', primary: true }] } : {}),
    ...(phones.length ? { phoneNumbers: phones } : {}),
    [ENTERPRISE_USER]: u.id_number ? { employeeNumber: u.id_number } : {},
    [IQMETRIX_USER]: { securityRole: u.security_role, locations: u.locations },
    meta: { resourceType: 'User', created: new Date(u.created_at).toISOString(), lastModified: new Date(u.updated_at).toISOString(), location: `${base}/Users/${u.id}` },
  };
}

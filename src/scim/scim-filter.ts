import { ScimError } from '../common/errors/scim-error.js';
import { CORE_USER } from './scim-schemas.js';
import { clipName } from '../common/validation/field-path.js';

export interface UserFilter {
  attribute: 'userName';
  value: string;
}

const OPERATORS = ['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'lt', 'ge', 'le', 'pr'];

/**
 * The one filter this service answers (RFC 7644 §3.4.2.2): `userName eq "value"`, which is what Okta sends to
 * find a user before creating one. Attribute names and operators are case-insensitive; the value is a JSON
 * string. Anything else is refused with scimType invalidFilter, saying whether it was malformed or unsupported.
 */
export function parseUserFilter(raw: string): UserFilter {
  if (raw.length > 1000) throw ScimError.invalidFilter('The filter is too long.');
  const m = /^\s*([A-Za-z][A-Za-z0-9:._-]*)\s+([A-Za-z]+)(?:\s+(.*?))?\s*$/s.exec(raw);
  if (!m) throw ScimError.invalidFilter('The filter is malformed: expected attribute operator "value", e.g. userName eq "john.smith@kentel.com".');
  let [, path, op, rest] = m as unknown as [string, string, string, string | undefined];
  op = op.toLowerCase();
  if (!OPERATORS.includes(op)) throw ScimError.invalidFilter(`The filter is malformed: "${clipName(op, 20)}" is not a SCIM comparison operator.`);
  if (op !== 'pr' && rest === undefined) throw ScimError.invalidFilter(`The filter is malformed: the operator ${op} needs a value.`);
  let value: unknown;
  if (rest !== undefined) {
    const quoted = /^"((?:[^"\\]|\\.)*)"(.*)$/s.exec(rest);
    if (quoted) {
      if (quoted[2]!.trim() !== '') throw ScimError.invalidFilter('Only a single comparison is supported: userName eq "value" (no and/or/not, no grouping).');
      try {
        value = JSON.parse(`"${quoted[1]}"`);
      } catch {
        throw ScimError.invalidFilter('The filter is malformed: the value is not a valid JSON string.');
      }
    } else if (/^(true|false|null|-?\d+(\.\d+)?)$/.test(rest)) {
      value = JSON.parse(rest);
    } else {
      throw ScimError.invalidFilter('The filter is malformed: the value must be a quoted string, e.g. userName eq "john.smith@kentel.com".');
    }
  }
  const attribute = path.toLowerCase().startsWith(`${CORE_USER.toLowerCase()}:`) ? path.slice(CORE_USER.length + 1) : path;
  if (attribute.toLowerCase() !== 'username' || op !== 'eq') {
    throw ScimError.invalidFilter(`Unsupported filter: only userName eq "value" is supported (got ${clipName(attribute, 60)} ${op}).`);
  }
  if (typeof value !== 'string' || value.length === 0 || value.length > 320) throw ScimError.invalidFilter('The userName in the filter must be a non-empty string of at most 320 characters.');
  return { attribute: 'userName', value };
}

/**
 * The value a map read from JSON (a tenant's configuration, a stored document, a request) holds under `key`, only if
 * it holds it itself: `map[key]` would also find what every object inherits, so an External Node Identifier
 * "constructor" or an Okta group "toString" would map to one of Object's functions. Every lookup by a key that
 * comes from outside goes through here.
 */
export function ownValue<T>(map: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(map, key) ? map[key] : undefined;
}

import type { Express } from 'express';

/** The parts of Express 5's router this reads (router 2.x: `Layer.match` returns the match without storing it). */
interface RouteLayer {
  route?: { _methods(): string[] };
  match(path: string): unknown;
}

/**
 * The methods the application's routes answer for a path, e.g. ['POST'] for /oauth2/token: what a request the
 * router did not match may be told in `Allow` with a 405 (RFC 9110 §15.5.6) instead of a 404 that says the
 * resource does not exist. Read from the router at each call, so it is right whenever routes were registered;
 * called only for requests no route took.
 */
export function allowedMethods(server: Express, path: string): string[] {
  const stack = ((server as unknown as { router?: { stack?: RouteLayer[] } }).router?.stack ?? []) as RouteLayer[];
  const methods = new Set<string>();
  for (const layer of stack) {
    // A router without these internals (another Express major) means no 405s, never an error in the error path.
    if (typeof layer.route?._methods !== 'function' || typeof layer.match !== 'function') continue;
    if (layer.match(path)) for (const m of layer.route._methods()) methods.add(m);
  }
  if (methods.size > 0) methods.add('OPTIONS');
  return [...methods].sort();
}

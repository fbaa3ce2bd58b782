import type { NextFunction, Request, RequestHandler, Response } from 'express';

/**
 * Several middlewares as one Express layer, run in order: each one's `next()` calls the following one, and an
 * error (passed to `next`, thrown, or a rejected promise) goes straight to Express's error handling, skipping the
 * rest, as separate `app.use` layers would. Every request passes the edge (bootstrap.ts), and each router layer
 * costs a few microseconds of matching and bookkeeping: the edge's nine layers were ~10% of a /v1/me call.
 * The sequence leaves (calls Express's `next`) once; whatever a middleware does after that is not passed on.
 */
/** Any Node or Express middleware (some here are typed on Node's own request and response). */
type Middleware = (req: never, res: never, next: (err?: unknown) => void) => unknown;

export function inSequence(handlers: Middleware[]): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    let i = 0;
    let left = false;
    const leave = (err?: unknown) => {
      if (left) return;
      left = true;
      next(err);
    };
    const step = (err?: unknown): void => {
      if (left) return;
      // next('route') / next('router') and any error leave the sequence, as they would leave a layer.
      if (err !== undefined && err !== null) return leave(err);
      const handler = handlers[i++];
      if (!handler) return leave();
      try {
        const returned = (handler as (q: Request, r: Response, n: typeof step) => unknown)(req, res, step);
        if (returned instanceof Promise) returned.catch(leave);
      } catch (e) {
        leave(e);
      }
    };
    step();
  };
}

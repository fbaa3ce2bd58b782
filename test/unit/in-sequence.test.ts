import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inSequence } from '../../src/common/web/in-sequence.js';

/**
 * The edge's middlewares run as one Express layer (bootstrap.ts): in order, and an error by any of the three
 * routes (next(err), a throw, a rejected promise) reaches Express's error handling once, the rest skipped, as with
 * separate layers. Over a real Express app and real HTTP.
 */
describe('inSequence', () => {
  let server: Server;
  let base: string;
  const seen: string[] = [];
  const mark = (name: string): RequestHandler => (_req, _res, next) => {
    seen.push(name);
    next();
  };
  const failing: Record<string, RequestHandler> = {
    next: (_req, _res, next) => next(new Error('by next')),
    throw: () => {
      throw new Error('by throw');
    },
    reject: async () => {
      await new Promise((r) => setTimeout(r, 5));
      throw new Error('by rejection');
    },
    // An async middleware that fails after it has already passed the request on: the sequence left once.
    late: async (_req, _res, next) => {
      next();
      await new Promise((r) => setTimeout(r, 5));
      throw new Error('too late');
    },
  };

  beforeAll(async () => {
    const app = express();
    app.use((req, _res, next) => {
      seen.length = 0;
      const how = String(req.query.fail ?? '');
      inSequence([mark('first'), ...(failing[how] ? [failing[how]] : []), mark('last')])(req, _res, next);
    });
    app.get('/', (_req, res) => void setTimeout(() => res.json({ seen: [...seen] }), 20));
    app.use((err: Error, _req: Request, res: Response, _next: NextFunction) => {
      seen.push(`error: ${err.message}`);
      res.status(500).json({ seen: [...seen] });
    });
    server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const get = async (query = '') => {
    const res = await fetch(`${base}/${query}`);
    return { status: res.status, seen: ((await res.json()) as { seen: string[] }).seen };
  };

  it('runs every middleware in order, then the route', async () => {
    expect(await get()).toEqual({ status: 200, seen: ['first', 'last'] });
  });

  it.each(['next', 'throw', 'reject'])('an error by %s skips the rest and reaches the error handler once', async (how) => {
    expect(await get(`?fail=${how}`)).toEqual({ status: 500, seen: ['first', `error: by ${how === 'next' ? 'next' : how === 'throw' ? 'throw' : 'rejection'}`] });
  });

  it('passes nothing on after it has left', async () => {
    expect(await get('?fail=late')).toEqual({ status: 200, seen: ['first', 'last'] });
  });
});

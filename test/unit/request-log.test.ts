import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createRootLogger } from '../../src/common/logging/logging.js';
import { requestId } from '../../src/common/logging/request-id.js';
import { requestLog } from '../../src/common/logging/request-log.js';

/** The request line and the correlation id of in-request lines, over a real HTTP server and a real log file. */
describe('request log', () => {
  const file = join(process.cwd(), '.test-tmp', 'logs', `request-log-${process.pid}-${Date.now()}.log`);
  const logger = createRootLogger('info', file);
  const log = requestLog(logger);
  let server: Server;
  let base: string;
  const lines = async () => {
    await sleep(50);
    logger.flush();
    await sleep(50);
    return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, any>);
  };

  beforeAll(async () => {
    server = createServer((incoming, res) => {
      const req = incoming as typeof incoming & { id?: string };
      requestId(req, res, () => log(req, res, () => {
        const url = new URL(req.url!, 'http://x');
        // Logged from a later tick, without passing the id: the mixin must still find it.
        setTimeout(() => {
          logger.info({ step: url.pathname }, 'inside the request');
          if (url.pathname === '/hang') return; // the client gives up
          res.statusCode = Number(url.searchParams.get('status') ?? 200);
          res.end('ok');
        }, 5);
      }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('writes one line per request with the correlation id, redacted query and status; in-request lines carry the id', async () => {
    const res = await fetch(`${base}/oauth2/callback?code=c0de-SECRET&state=st4te-SECRET&tenant=acme`, { headers: { 'x-request-id': 'corr-id-0001' } });
    expect(res.headers.get('x-request-id')).toBe('corr-id-0001');
    const mine = (await lines()).filter((l) => l.correlationId === 'corr-id-0001');
    expect(mine.map((l) => l.msg)).toEqual(['inside the request', 'request completed']);
    expect(mine[1]).toMatchObject({ level: 30, req: { id: 'corr-id-0001', method: 'GET', url: '/oauth2/callback?code=%5Bredacted%5D&state=%5Bredacted%5D&tenant=acme' }, res: { statusCode: 200 } });
    expect(typeof mine[1]!.responseTime).toBe('number');
    expect(readFileSync(file, 'utf8')).not.toMatch(/SECRET/);
  });

  it('redacts request objects and other credentials a client may send even where they are refused', async () => {
    const secret = ['request', 'request_uri', 'client_assertion', 'logout_token', 'subject_token', 'actor_token', 'device_code', 'user_code'];
    await fetch(`${base}/oauth2/authorize?client_id=hub&${secret.map((k) => `${k}=${k}-SECRET`).join('&')}`, { headers: { 'x-request-id': 'corr-id-0009' } });
    const line = (await lines()).find((l) => l.correlationId === 'corr-id-0009' && l.req);
    expect(line!.req.url).toBe(`/oauth2/authorize?client_id=hub&${secret.map((k) => `${k}=%5Bredacted%5D`).join('&')}`);
    expect(readFileSync(file, 'utf8')).not.toMatch(/SECRET/);
  });

  it('logs a 5xx answer at error level', async () => {
    await fetch(`${base}/x?status=503`, { headers: { 'x-request-id': 'corr-id-0002' } });
    expect((await lines()).find((l) => l.correlationId === 'corr-id-0002' && l.req)).toMatchObject({ level: 50, msg: 'request errored', res: { statusCode: 503 } });
  });

  it('logs a request the client abandoned, once', async () => {
    await new Promise<void>((resolve) => {
      const r = request(`${base}/hang`, { headers: { 'x-request-id': 'corr-id-0003' } });
      r.on('error', () => resolve());
      r.end();
      setTimeout(() => { r.destroy(); resolve(); }, 100);
    });
    await sleep(100);
    const mine = (await lines()).filter((l) => l.correlationId === 'corr-id-0003' && l.req);
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ level: 40, msg: 'request aborted' });
  });

  it('leaves the probes out', async () => {
    await fetch(`${base}/health/live`, { headers: { 'x-request-id': 'corr-id-0004' } });
    const mine = (await lines()).filter((l) => l.correlationId === 'corr-id-0004');
    expect(mine.map((l) => l.msg)).toEqual(['inside the request']);
  });
});

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { hardenHttpServer } from '../../src/common/web/http-server.js';
import type { AppConfig } from '../../src/config/app-config.js';

/** Node's answers before the application (431, 400, 408), as problem details, over real sockets. */
describe('HTTP server limits', () => {
  let server: Server;
  let port: number;
  // Node checks the timeouts every connectionsCheckingInterval (30 s by default): short here so the test is quick.
  beforeAll(async () => {
    server = createServer({ connectionsCheckingInterval: 100 }, (_req, res) => res.end('ok'));
    hardenHttpServer(server, { env: { HTTP_HEADERS_TIMEOUT_S: 1, HTTP_REQUEST_TIMEOUT_S: 2 } } as unknown as AppConfig);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  /** Writes raw bytes, returns everything the server sent until it closed the connection. */
  const exchange = (bytes: string) =>
    new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => socket.write(bytes));
      let got = '';
      socket.on('data', (d) => (got += d.toString('latin1')));
      socket.on('close', () => resolve(got));
      socket.on('error', reject);
    });
  const parse = (raw: string) => {
    const [head, body] = raw.split('\r\n\r\n');
    return { status: Number(head!.split(' ')[1]), head: head!, body: JSON.parse(body!) };
  };

  it('answers headers too large with 431 problem details and closes', async () => {
    const r = parse(await exchange(`GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`));
    expect(r.status).toBe(431);
    expect(r.head).toMatch(/\r\nContent-Type: application\/problem\+json\r\n/);
    expect(r.head).toMatch(/\r\nConnection: close/);
    expect(r.body).toEqual({ type: 'about:blank', title: 'Request Header Fields Too Large', status: 431, detail: 'The request headers are too large.' });
  });

  it('answers what is not HTTP with 400 problem details', async () => {
    const r = parse(await exchange('GARBAGE\r\n\r\n'));
    expect(r).toMatchObject({ status: 400, body: { title: 'Bad Request', status: 400, detail: 'The request could not be read as HTTP.' } });
  });

  it('closes a client that sends its headers too slowly with 408', async () => {
    const started = Date.now();
    const r = parse(await exchange('GET / HTTP/1.1\r\nHost: x\r\n'));
    expect(r).toMatchObject({ status: 408, body: { title: 'Request Timeout', detail: 'The request was not received in time.' } });
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('closes, without a second response, a connection whose request was answered while its body was still coming', async () => {
    const got = await exchange('POST /answer-early HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\nabc');
    expect(got.match(/HTTP\/1\.1 \d{3}/g)).toEqual(['HTTP/1.1 200']);
  });

  it('still answers a well-formed request', async () => {
    expect(await exchange('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).toMatch(/^HTTP\/1\.1 200 OK[\s\S]*ok$/);
  });
});

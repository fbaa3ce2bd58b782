import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { DataSource } from 'typeorm';
import { loadConfig } from '../../src/config/app-config.js';
import { SystemHostResolver } from '../../src/common/http/host-resolver.js';
import { OktaBackoff } from '../../src/common/http/okta-backoff.js';
import { OutboundError, OutboundHttp } from '../../src/common/http/outbound-http.js';
import { Metrics } from '../../src/observability/metrics.js';
import { issueServerCert } from '../../tools/pki.mjs';

/**
 * The transport to tenants' Okta on its own, against real HTTPS servers on loopback: what comes back for each
 * way a server can misbehave, and that a connection spoiled by one answer is never handed to the next call.
 */
describe('OutboundHttp (the HTTPS transport to Okta)', () => {
  const pkiDir = process.env.TEST_PKI_DIR ?? '.test-tmp/pki';
  const config = loadConfig({
    NODE_ENV: 'test', ADMIN_API_KEY: 'outbound-test-admin-key-0123456789', SECRETS_KEYS: `t1:${Buffer.alloc(32, 7).toString('base64')}`,
    OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'true', OUTBOUND_TIMEOUT_MS: '500', OUTBOUND_MAX_BYTES: '2048', OUTBOUND_RETRIES: '1',
  });
  const http = new OutboundHttp(config, new OktaBackoff(null as unknown as DataSource, config), new Metrics(config), new SystemHostResolver());
  let server: Server;
  let selfSigned: Server;
  let base: string;
  const sockets = new Set<unknown>();
  const seen: { method: string; url: string; headers: IncomingMessage['headers']; body: string }[] = [];
  let failuresLeft = 0;
  let resetS = 0;

  const routes: Record<string, (req: IncomingMessage, res: ServerResponse) => void> = {
    '/ok': (_req, res) => res.writeHead(200, { 'content-type': 'application/json', 'x-two': ['a', 'b'] }).end('{"ok":true}'),
    '/declared-large': (_req, res) => res.writeHead(200, { 'content-length': '4096' }).end('x'.repeat(4096)),
    '/streamed-large': (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      for (let i = 0; i < 8; i++) res.write('y'.repeat(512));
      res.end();
    },
    '/no-answer': () => undefined,
    '/stalled-body': (_req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('{"partial":');
    },
    '/flaky': (_req, res) => (failuresLeft-- > 0 ? res.writeHead(503).end() : res.writeHead(200).end('recovered')),
    '/limited': (_req, res) => res.writeHead(429, { 'content-type': 'application/json', 'x-rate-limit-reset': String(resetS) }).end('{"errorCode":"E0000047"}'),
  };

  const listen = (s: Server) => new Promise<number>((r) => s.listen(0, '127.0.0.1', () => r((s.address() as AddressInfo).port)));

  beforeAll(async () => {
    server = createServer({ cert: readFileSync(join(pkiDir, 'server.pem')), key: readFileSync(join(pkiDir, 'server-key.pem')) }, (req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
        (routes[req.url!] ?? ((_q, r) => r.writeHead(404).end()))(req, res);
      });
    });
    server.on('secureConnection', (s) => sockets.add(s));
    base = `https://localhost:${await listen(server)}`;
    const own = await issueServerCert({ selfSigned: true });
    selfSigned = createServer({ cert: own.certPem, key: own.keyPem }, (_req, res) => res.end('never'));
    await listen(selfSigned);
  });

  afterAll(async () => {
    http.onApplicationShutdown();
    server.closeAllConnections();
    selfSigned.closeAllConnections();
    await Promise.all([new Promise((r) => server.close(r)), new Promise((r) => selfSigned.close(r))]);
  });

  const failure = (p: Promise<unknown>) => p.then(() => { throw new Error('expected a failure'); }, (e: unknown) => {
    expect(e).toBeInstanceOf(OutboundError);
    return { kind: (e as OutboundError).kind, message: (e as OutboundError).message };
  });

  it('GET and POST: status, headers (repeated ones joined), body; the POST body sent with its length', async () => {
    const got = await http.fetch(`${base}/ok`);
    expect([got.status, got.headers['content-type'], got.headers['x-two'], got.body.toString()]).toEqual([200, 'application/json', 'a, b', '{"ok":true}']);
    const form = 'grant_type=authorization_code&code=%C3%A9';
    await http.fetch(`${base}/ok`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form });
    const last = seen.at(-1)!;
    expect([last.method, last.body, last.headers['content-length'], last.headers['user-agent']]).toEqual(['POST', form, String(Buffer.byteLength(form)), 'iqmetrix-sso-broker']);
  });

  it('keeps one connection alive for consecutive calls', async () => {
    const before = sockets.size;
    for (let i = 0; i < 3; i++) await http.fetch(`${base}/ok`);
    expect(sockets.size - before).toBeLessThanOrEqual(1);
  });

  it('refuses a response over the size limit, declared or streamed; the next call still works', async () => {
    expect(await failure(http.fetch(`${base}/declared-large`))).toEqual({ kind: 'too-large', message: `${base} sent a response larger than 2048 bytes.` });
    expect(await failure(http.fetch(`${base}/streamed-large`))).toEqual({ kind: 'too-large', message: `${base} sent a response larger than 2048 bytes.` });
    expect((await http.fetch(`${base}/ok`)).status).toBe(200);
  });

  it('gives up at the time limit, whether the headers or the body never come; the next call still works', async () => {
    expect(await failure(http.fetch(`${base}/no-answer`))).toEqual({ kind: 'timeout', message: `${base} did not answer within 500 ms.` });
    expect(await failure(http.fetch(`${base}/stalled-body`, { timeoutMs: 300 }))).toEqual({ kind: 'timeout', message: `${base} did not answer within 300 ms.` });
    expect((await http.fetch(`${base}/ok`)).body.toString()).toBe('{"ok":true}');
  });

  it('retries a safe GET after a 503 within the limit, and never a call not marked safe', async () => {
    failuresLeft = 1;
    expect((await http.fetch(`${base}/flaky`, { retry: true })).status).toBe(200);
    failuresLeft = 1;
    expect((await http.fetch(`${base}/flaky`, { method: 'POST', body: 'code=x' })).status).toBe(503);
  });

  it('names an unreachable host, an untrusted certificate and a non-HTTPS URL', async () => {
    const gone = createServer();
    const closed = await listen(gone);
    await new Promise((r) => gone.close(r));
    expect(await failure(http.fetch(`https://127.0.0.1:${closed}/x`))).toEqual({ kind: 'unreachable', message: `127.0.0.1:${closed} could not be reached (ECONNREFUSED).` });
    const port = (selfSigned.address() as AddressInfo).port;
    const tls = await failure(http.fetch(`https://localhost:${port}/x`));
    expect(tls.kind).toBe('tls');
    expect(tls.message).toMatch(new RegExp(`^The TLS certificate of localhost:${port} could not be verified \\((DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN)\\)\\.$`));
    expect(await failure(http.fetch(`http://localhost:${port}/x`))).toEqual({ kind: 'not-https', message: `http://localhost:${port} is not HTTPS; tenant Okta endpoints must use HTTPS.` });
  });

  it('rejects a 429 answer as rate-limited, waiting until X-Rate-Limit-Reset; with a tenant, later calls are refused without calling', async () => {
    resetS = Math.floor(Date.now() / 1000) + 120;
    const limited = (p: Promise<unknown>) => p.then(() => { throw new Error('expected a failure'); }, (e: unknown) => {
      expect(e).toBeInstanceOf(OutboundError);
      const { kind, message, retryAfterS, retryAt, status } = e as OutboundError;
      expect(retryAfterS).toBeGreaterThanOrEqual(119);
      expect(retryAfterS).toBeLessThanOrEqual(120);
      return { kind, message: message.replace(/\d+ s\.$/, 'N s.'), retryAt, status };
    });
    const host = new URL(base).host;
    // No tenant: nothing to back off, so each call asks again.
    const calls = seen.length;
    for (let i = 0; i < 2; i++) {
      expect(await limited(http.fetch(`${base}/limited`))).toEqual({ kind: 'rate-limited', message: `${host} is limiting requests (HTTP 429); try again in N s.`, retryAt: resetS * 1000, status: 429 });
    }
    expect(seen.length - calls).toBe(2);
    const recorded: unknown[][] = [];
    const tenantHttp = new OutboundHttp(config, new OktaBackoff({ query: async (...a: unknown[]) => recorded.push(a) } as unknown as DataSource, config), new Metrics(config), new SystemHostResolver());
    const tenant = { id: '00000000-0000-4000-8000-000000000429', slug: 'limited' };
    try {
      expect(await limited(tenantHttp.fetch(`${base}/limited`, { tenant, endpoint: 'jwks' }))).toEqual({ kind: 'rate-limited', message: `${host} is limiting requests (HTTP 429) for its key set; not calling it for another N s.`, retryAt: resetS * 1000, status: 429 });
      expect(recorded.length).toBe(1);
      expect(await limited(tenantHttp.fetch(`${base}/ok`, { tenant, endpoint: 'jwks' }))).toEqual({ kind: 'rate-limited', message: `${host} is limiting requests; not calling it for another N s.`, retryAt: resetS * 1000, status: undefined });
      expect(seen.length - calls).toBe(3);
    } finally {
      tenantHttp.onApplicationShutdown();
    }
  });
});

/**
 * The Okta stand-in for throughput figures: plain HTTPS (test PKI) answering discovery, JWKS, token and
 * UserInfo from responses precomputed and correctly signed (RS256) before the timed phase, so its own cost
 * stays out of the figures. Any issuer path /oauth2/{id} works (10,000 tenants need no setup).
 * Runs as a child process of bench/run.ts and is fed over IPC: {type:'prepare', grants:[...]} → {type:'ready'}.
 */
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { ensureTestPki } from '../tools/pki.mjs';

export interface Grant {
  code: string;
  issuer: string;
  clientId: string;
  nonce: string;
  sub: string;
  claims: Record<string, unknown>;
}

const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
const jwk = { ...(await exportJWK(publicKey)), kid: 'bench-key-1', alg: 'RS256', use: 'sig' };
const jwks = JSON.stringify({ keys: [jwk] });
const tokens = new Map<string, string>();
const userinfo = new Map<string, string>();

async function prepare(grants: Grant[]): Promise<void> {
  const now = Math.floor(Date.now() / 1000);
  for (const g of grants) {
    const idToken = await new SignJWT({ ...g.claims, nonce: g.nonce })
      .setProtectedHeader({ alg: 'RS256', kid: jwk.kid })
      .setIssuer(g.issuer).setAudience(g.clientId).setSubject(g.sub).setIssuedAt(now).setExpirationTime(now + 3600)
      .sign(privateKey);
    const accessToken = `at-${g.code}`;
    tokens.set(g.code, JSON.stringify({ token_type: 'Bearer', expires_in: 3600, access_token: accessToken, id_token: idToken, scope: 'openid profile email' }));
    userinfo.set(accessToken, JSON.stringify({ sub: g.sub, ...g.claims }));
  }
}

const pki = await ensureTestPki(process.env.TEST_PKI_DIR ?? '.test-tmp/pki');
const server = createServer({ key: pki.serverKeyPem, cert: pki.serverCertPem, keepAlive: true }, (req, res) => {
  const url = new URL(req.url ?? '/', 'https://x');
  const m = /^\/oauth2\/([^/]+)(\/.*)$/.exec(url.pathname);
  const send = (status: number, body: string, extra: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...extra });
    res.end(body);
  };
  if (!m) return send(404, '{}');
  const issuer = `https://127.0.0.1:${(server.address() as AddressInfo).port}/oauth2/${m[1]}`;
  switch (m[2]) {
    case '/.well-known/openid-configuration':
      return send(200, JSON.stringify({
        issuer, authorization_endpoint: `${issuer}/v1/authorize`, token_endpoint: `${issuer}/v1/token`, userinfo_endpoint: `${issuer}/v1/userinfo`,
        jwks_uri: `${issuer}/v1/keys`, scopes_supported: ['openid', 'profile', 'email', 'phone', 'iqmetrix', 'offline_access'],
        token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'], response_types_supported: ['code'],
        subject_types_supported: ['public'], id_token_signing_alg_values_supported: ['RS256'],
      }), { 'cache-control': 'max-age=3600' });
    case '/v1/keys':
      return send(200, jwks, { 'cache-control': 'max-age=3600' });
    case '/v1/token': {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const code = new URLSearchParams(Buffer.concat(chunks).toString()).get('code') ?? '';
        const body = tokens.get(code);
        tokens.delete(code);
        return body ? send(200, body) : send(400, '{"error":"invalid_grant"}');
      });
      return;
    }
    case '/v1/userinfo': {
      const body = userinfo.get((req.headers.authorization ?? '').replace(/^Bearer /, ''));
      return body ? send(200, body) : send(401, '{"error":"invalid_token"}');
    }
    default:
      return send(404, '{}');
  }
});
server.listen(0, '127.0.0.1', () => process.send!({ type: 'listening', origin: `https://127.0.0.1:${(server.address() as AddressInfo).port}` }));
process.on('message', (msg: { type: string; grants?: Grant[] }) => {
  if (msg.type === 'prepare') void prepare(msg.grants!).then(() => process.send!({ type: 'ready', size: tokens.size }));
  if (msg.type === 'stop') server.close(() => process.exit(0));
});

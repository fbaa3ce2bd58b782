import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { ensureTestPki } from '../pki.mjs';
import { AuthServer } from './auth-server.js';

export interface StandInOptions {
  /** Directory of the test PKI (created if missing); trust its ca.pem via NODE_EXTRA_CA_CERTS. */
  pkiDir: string;
  /** Default 0: any free port. Always on 127.0.0.1. */
  port?: number;
  /** Authorization server ids to create up front, e.g. ['ausTEST1']. */
  authServers?: string[];
}

export interface OktaStandIn {
  /** e.g. https://127.0.0.1:43125 */
  readonly origin: string;
  /** The authorization server `id` (throws if there is none). */
  authServer(id: string): AuthServer;
  /** Create authorization server `id` (issuer `${origin}/oauth2/${id}`); returns the existing one if any. */
  addAuthServer(id: string): AuthServer;
  /**
   * Serve another certificate from now on (new connections): e.g. an expired, short-lived or self-signed one
   * from tools/pki.mjs issueServerCert, to test TLS checks. `useCertificate()` goes back to the test PKI's.
   */
  useCertificate(cert?: { certPem: string; keyPem: string }): void;
  close(): Promise<void>;
}

// The process's trust comes only from NODE_EXTRA_CA_CERTS, read at startup: say so when it cannot
// work (a CA regenerated after the process started, or a different file), instead of failing later
// with an opaque certificate error in the client.
function checkTrust(caPem: string, caPath: string): void {
  const extra = process.env.NODE_EXTRA_CA_CERTS;
  if (!extra) return;
  let bundle = '';
  try { bundle = readFileSync(extra, 'utf8'); } catch { /* reported below */ }
  if (!bundle.includes(caPem.trim())) {
    console.warn(`okta-stand-in: NODE_EXTRA_CA_CERTS=${extra} does not contain the test CA ${caPath}; HTTPS clients in this process will not trust the stand-in`);
  }
}

/** Start a real HTTPS "customer Okta" with Okta-shaped custom authorization servers. */
export async function startOktaStandIn({ pkiDir, port = 0, authServers = [] }: StandInOptions): Promise<OktaStandIn> {
  const pki = await ensureTestPki(pkiDir);
  checkTrust(pki.caCertPem, pki.caCertPath);
  const servers = new Map<string, AuthServer>();
  const closing = new AbortController();

  const server: Server = createServer({ key: pki.serverKeyPem, cert: pki.serverCertPem }, (req, res) => {
    const [, id = '', rest = ''] = /^\/oauth2\/([^/?#]+)(.*)$/.exec(req.url ?? '') ?? [];
    const authServer = servers.get(id);
    if (!authServer) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({
        errorCode: 'E0000007',
        errorSummary: `Not found: Resource not found: ${id || req.url} (AuthorizationServer)`,
        errorLink: 'E0000007',
        errorCauses: [],
      }));
      return;
    }
    // Mount at the issuer path the way oidc-provider expects (it derives URLs from originalUrl).
    Object.assign(req, { originalUrl: req.url });
    req.url = rest.startsWith('/') ? rest : `/${rest}`;
    authServer.handle(req, res).catch((err: unknown) => {
      console.error('okta-stand-in:', err);
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const standIn: OktaStandIn = {
    origin,
    authServer(id) {
      const found = servers.get(id);
      if (!found) throw new Error(`okta-stand-in: no authorization server ${id}`);
      return found;
    },
    addAuthServer(id) {
      if (!/^[A-Za-z0-9_-]+$/.test(id)) throw new Error(`okta-stand-in: bad authorization server id ${id}`);
      if (!servers.has(id)) servers.set(id, new AuthServer(id, origin, closing.signal));
      return servers.get(id)!;
    },
    useCertificate(cert) {
      server.setSecureContext(cert ? { key: cert.keyPem, cert: cert.certPem } : { key: pki.serverKeyPem, cert: pki.serverCertPem });
    },
    async close() {
      closing.abort();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  authServers.forEach((id) => standIn.addAuthServer(id));
  return standIn;
}

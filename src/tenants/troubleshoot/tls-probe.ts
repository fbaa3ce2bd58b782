import { X509Certificate } from 'node:crypto';
import { type DetailedPeerCertificate, checkServerIdentity, connect, rootCertificates } from 'node:tls';
import { isIP } from 'node:net';
import { Injectable } from '@nestjs/common';
import { AppConfig } from '../../config/app-config.js';
import { OutboundError, OutboundHttp } from '../../common/http/outbound-http.js';

export interface TlsCertificateInfo {
  subject: string;
  issuer: string;
  validFrom: string;
  validTo: string;
  fingerprint256: string;
  selfSigned: boolean;
}

export type TlsProbeResult =
  | {
      ok: true;
      host: string;
      port: number;
      address: string;
      protocol: string | null;
      /** Verified against the trusted CAs (Node's, plus NODE_EXTRA_CA_CERTS only). */
      trusted: boolean;
      /** Trusted through one of Node's bundled public CAs, not only through one added with NODE_EXTRA_CA_CERTS. */
      publiclyTrusted: boolean;
      /** OpenSSL's reason when not trusted, e.g. CERT_HAS_EXPIRED, DEPTH_ZERO_SELF_SIGNED_CERT. */
      trustError: string | null;
      /** Whether the leaf certificate names the host. */
      hostnameMatches: boolean;
      hostnameError: string | null;
      /** Leaf first, up to the root the server sent (or the trusted root it chains to). */
      chain: TlsCertificateInfo[];
    }
  | { ok: false; host: string; port: number; reason: string };

/**
 * Looks at a tenant's TLS certificate chain without trusting it first: connects (through the same address
 * policy as every call to a tenant's Okta), reads the chain, whether it verifies and when it expires, and
 * closes. Nothing is sent over the connection.
 */
@Injectable()
export class TlsProbe {
  private readonly timeoutMs: number;

  constructor(
    private readonly http: OutboundHttp,
    config: AppConfig,
  ) {
    this.timeoutMs = config.env.OUTBOUND_TIMEOUT_MS;
  }

  async probe(rawUrl: string): Promise<TlsProbeResult> {
    const url = new URL(rawUrl);
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const port = Number(url.port || 443);
    let address: string;
    try {
      this.http.assertAllowedUrl(rawUrl);
      address = (await this.http.resolve(host))[0]!.address;
    } catch (e) {
      if (e instanceof OutboundError) return { ok: false, host, port, reason: e.message };
      throw e;
    }
    return new Promise((resolve) => {
      const socket = connect({ host: address, port, servername: isIP(host) ? undefined : host, rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] });
      const done = (r: TlsProbeResult) => {
        clearTimeout(timer);
        socket.destroy();
        resolve(r);
      };
      const timer = setTimeout(() => done({ ok: false, host, port, reason: `${host} did not complete a TLS handshake within ${this.timeoutMs} ms.` }), this.timeoutMs);
      socket.once('error', (e: NodeJS.ErrnoException) => done({ ok: false, host, port, reason: `the TLS connection to ${host}:${port} failed (${e.code ?? e.message}).` }));
      socket.once('secureConnect', () => {
        const leaf = socket.getPeerCertificate(true) as DetailedPeerCertificate;
        if (!leaf || !leaf.raw) return done({ ok: false, host, port, reason: `${host} sent no certificate.` });
        const identity = checkServerIdentity(host, leaf);
        done({
          ok: true,
          host,
          port,
          address,
          protocol: socket.getProtocol(),
          trusted: socket.authorized,
          publiclyTrusted: socket.authorized && chainsToPublicRoot(leaf),
          trustError: socket.authorizationError ? String((socket.authorizationError as unknown as { code?: string }).code ?? socket.authorizationError) : null,
          hostnameMatches: !identity,
          hostnameError: identity ? identity.message : null,
          chain: chainOf(leaf),
        });
      });
    });
  }
}

/** SHA-256 fingerprints of Node's bundled public root CAs (tls.rootCertificates), read once when first needed. */
let publicRoots: Set<string> | undefined;

/** Whether a verified chain ends at one of Node's public roots (the last certificate OpenSSL chained it to). */
export function chainsToPublicRoot(leaf: DetailedPeerCertificate): boolean {
  publicRoots ??= new Set(rootCertificates.map((pem) => new X509Certificate(pem).fingerprint256));
  const seen = new Set<string>();
  for (let c: DetailedPeerCertificate | undefined = leaf; c && c.raw && !seen.has(c.fingerprint256); c = c.issuerCertificate) {
    if (publicRoots.has(c.fingerprint256)) return true;
    seen.add(c.fingerprint256);
  }
  return false;
}

function chainOf(leaf: DetailedPeerCertificate): TlsCertificateInfo[] {
  const out: TlsCertificateInfo[] = [];
  const seen = new Set<string>();
  for (let c: DetailedPeerCertificate | undefined = leaf; c && c.raw && !seen.has(c.fingerprint256) && out.length < 10; c = c.issuerCertificate) {
    seen.add(c.fingerprint256);
    out.push({
      subject: name(c.subject),
      issuer: name(c.issuer),
      validFrom: new Date(c.valid_from).toISOString(),
      validTo: new Date(c.valid_to).toISOString(),
      fingerprint256: c.fingerprint256,
      selfSigned: c.issuerCertificate === c || name(c.subject) === name(c.issuer),
    });
  }
  return out;
}

function name(n: object | undefined): string {
  if (!n) return '';
  return Object.entries(n as Record<string, string | string[]>).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : v}`).join(', ');
}

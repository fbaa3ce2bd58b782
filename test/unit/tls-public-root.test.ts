import { X509Certificate } from 'node:crypto';
import { rootCertificates, type DetailedPeerCertificate } from 'node:tls';
import { describe, expect, it } from '@jest/globals';
import { chainsToPublicRoot } from '../../src/tenants/troubleshoot/tls-probe.js';

/** The troubleshooting tool says "publicly trusted" only for a chain ending at one of Node's bundled public roots. */
describe('chainsToPublicRoot', () => {
  const cert = (pem: string) => {
    const x = new X509Certificate(pem);
    const c = { fingerprint256: x.fingerprint256, raw: x.raw } as DetailedPeerCertificate;
    c.issuerCertificate = c;
    return c;
  };
  it('finds a public root at the end of the chain', () => {
    const root = cert(rootCertificates[0]!);
    const leaf = { fingerprint256: 'AA:BB', raw: Buffer.from('leaf'), issuerCertificate: root } as DetailedPeerCertificate;
    expect(chainsToPublicRoot(leaf)).toBe(true);
  });
  it('does not for a chain of certificates Node does not bundle (a private or test CA)', () => {
    const ca = { fingerprint256: 'CC:DD', raw: Buffer.from('ca') } as DetailedPeerCertificate;
    ca.issuerCertificate = ca;
    const leaf = { fingerprint256: 'AA:BB', raw: Buffer.from('leaf'), issuerCertificate: ca } as DetailedPeerCertificate;
    expect(chainsToPublicRoot(leaf)).toBe(false);
  });
});

// Test PKI: a private root CA and server certificates for loopback HTTPS, in pure JS
// (@peculiar/x509 on node's WebCrypto). Plain ESM so a launcher can run it before jest,
// then start node with NODE_EXTRA_CA_CERTS pointing at `${dir}/ca.pem`.
import 'reflect-metadata'; // @peculiar/x509 (tsyringe) needs a Reflect polyfill loaded first
import * as x509 from '@peculiar/x509';
import { createPublicKey, webcrypto } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';

x509.cryptoProvider.set(webcrypto);

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
const DAY = 86_400_000;
const DEFAULT_HOSTS = ['localhost', '127.0.0.1', '::1'];
const FILES = { ca: 'ca.pem', caKey: 'ca-key.pem', cert: 'server.pem', key: 'server-key.pem' };

const newKeys = () => webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']);

async function keyToPem(privateKey) {
  const der = await webcrypto.subtle.exportKey('pkcs8', privateKey);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

async function keysFromPem(keyPem) {
  const der = x509.PemConverter.decodeFirst(keyPem);
  const privateKey = await webcrypto.subtle.importKey('pkcs8', der, ALG, true, ['sign']);
  const spki = createPublicKey(keyPem).export({ type: 'spki', format: 'der' });
  const publicKey = await webcrypto.subtle.importKey('spki', spki, ALG, true, ['verify']);
  return { privateKey, publicKey };
}

/** @returns {Promise<{certPem: string, keyPem: string}>} a 10-year root CA. */
async function createCa() {
  const keys = await newKeys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name: 'CN=Okta SSO Broker Test Root CA, O=iQmetrix SSO broker tests',
    notBefore: new Date(Date.now() - DAY),
    notAfter: new Date(Date.now() + 3650 * DAY),
    keys,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: cert.toString('pem'), keyPem: await keyToPem(keys.privateKey) };
}

function leafExtensions(hosts) {
  const names = hosts.map((h) => (isIP(h) ? { type: 'ip', value: h } : { type: 'dns', value: h }));
  return [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true), // ECDSA: no keyEncipherment
    new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
    new x509.SubjectAlternativeNameExtension(names),
  ];
}

/**
 * Issue a server (leaf) certificate. By default it is chained to the CA in `caDir` (or the
 * given `ca`), valid from yesterday for a year, for localhost/127.0.0.1/::1. `selfSigned: true`
 * makes a leaf signed by its own key (not chained to any CA).
 */
export async function issueServerCert({
  caDir, ca, hosts = DEFAULT_HOSTS, notBefore, notAfter, selfSigned = false, commonName,
} = {}) {
  const keys = await newKeys();
  const subject = `CN=${commonName ?? hosts[0] ?? 'localhost'}`;
  const common = {
    notBefore: notBefore ?? new Date(Date.now() - DAY),
    notAfter: notAfter ?? new Date(Date.now() + 365 * DAY),
    signingAlgorithm: ALG,
  };
  let cert;
  if (selfSigned) {
    cert = await x509.X509CertificateGenerator.createSelfSigned({
      ...common, name: subject, keys, extensions: leafExtensions(hosts),
    });
  } else {
    const issuer = ca ?? readCa(caDir);
    const caCert = new x509.X509Certificate(issuer.certPem);
    const caKeys = await keysFromPem(issuer.keyPem);
    cert = await x509.X509CertificateGenerator.create({
      ...common,
      subject,
      issuer: caCert.subject,
      publicKey: keys.publicKey,
      signingKey: caKeys.privateKey,
      extensions: [
        ...leafExtensions(hosts),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
        await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey),
      ],
    });
  }
  return { certPem: cert.toString('pem'), keyPem: await keyToPem(keys.privateKey) };
}

function readCa(caDir) {
  if (!caDir) throw new Error('issueServerCert: give caDir, ca or selfSigned');
  return {
    certPem: readFileSync(join(caDir, FILES.ca), 'utf8'),
    keyPem: readFileSync(join(caDir, FILES.caKey), 'utf8'),
  };
}

const readIf = (path) => (existsSync(path) ? readFileSync(path, 'utf8') : undefined);
const validForADay = (cert) => cert.notBefore.getTime() <= Date.now()
  && cert.notAfter.getTime() > Date.now() + DAY;

async function usableCa(certPem, keyPem) {
  if (!certPem || !keyPem) return false;
  try {
    const cert = new x509.X509Certificate(certPem);
    return validForADay(cert) && keyMatches(cert, keyPem) && await cert.verify({ signatureOnly: true });
  } catch {
    return false;
  }
}

async function usableLeaf(certPem, keyPem, caPem) {
  if (!certPem || !keyPem) return false;
  try {
    const cert = new x509.X509Certificate(certPem);
    const ca = new x509.X509Certificate(caPem);
    const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
    const names = san?.names.items.map((n) => n.value) ?? [];
    return validForADay(cert) && keyMatches(cert, keyPem)
      && DEFAULT_HOSTS.every((h) => names.includes(h))
      && await cert.verify({ publicKey: ca.publicKey, signatureOnly: true });
  } catch {
    return false;
  }
}

function keyMatches(cert, keyPem) {
  const spki = createPublicKey(keyPem).export({ type: 'spki', format: 'der' });
  return Buffer.from(cert.publicKey.rawData).equals(spki);
}

// A mkdir lock so parallel callers (a launcher and jest workers) never write a mixed set.
async function withLock(dir, fn) {
  const lock = join(dir, '.lock');
  for (let i = 0; ; i++) {
    try {
      mkdirSync(lock);
      break;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
      if (Date.now() - statSync(lock, { throwIfNoEntry: false })?.mtimeMs > 30_000) rmSync(lock, { recursive: true, force: true });
      if (i > 600) throw new Error(`ensureTestPki: ${lock} is held; remove it if stale`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

function writeAtomic(path, text, mode) {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode });
  renameSync(tmp, path);
}

/**
 * Create (or reuse, when present and valid for more than a day) the test root CA and a
 * server certificate for localhost, 127.0.0.1 and ::1 in `dir`: ca.pem, ca-key.pem,
 * server.pem (leaf only), server-key.pem. The CA is kept whenever it is still usable, so a
 * process already trusting it through NODE_EXTRA_CA_CERTS keeps working.
 */
export async function ensureTestPki(dir) {
  mkdirSync(dir, { recursive: true });
  const path = (name) => resolve(dir, FILES[name]);
  return withLock(dir, async () => {
    let caCertPem = readIf(path('ca'));
    let caKeyPem = readIf(path('caKey'));
    let serverCertPem = readIf(path('cert'));
    let serverKeyPem = readIf(path('key'));
    let caRenewed = false;
    if (!(await usableCa(caCertPem, caKeyPem))) {
      ({ certPem: caCertPem, keyPem: caKeyPem } = await createCa());
      writeAtomic(path('caKey'), caKeyPem, 0o600);
      writeAtomic(path('ca'), caCertPem, 0o644);
      caRenewed = true;
    }
    if (caRenewed || !(await usableLeaf(serverCertPem, serverKeyPem, caCertPem))) {
      ({ certPem: serverCertPem, keyPem: serverKeyPem } = await issueServerCert({
        ca: { certPem: caCertPem, keyPem: caKeyPem },
      }));
      writeAtomic(path('key'), serverKeyPem, 0o600);
      writeAtomic(path('cert'), serverCertPem, 0o644);
    }
    return { caCertPath: path('ca'), caCertPem, serverCertPem, serverKeyPem };
  });
}

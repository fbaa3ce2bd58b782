/** Test PKI for loopback HTTPS (see pki.mjs). */

export interface TestPki {
  /** Absolute path of the root CA certificate: give it to NODE_EXTRA_CA_CERTS. */
  caCertPath: string;
  caCertPem: string;
  /** The server (leaf) certificate for localhost, 127.0.0.1 and ::1, signed by the CA. */
  serverCertPem: string;
  /** PKCS#8 PEM private key of the server certificate. */
  serverKeyPem: string;
}

/**
 * Create, or reuse when present and valid for more than a day, the test root CA and server
 * certificate in `dir` (ca.pem, ca-key.pem, server.pem, server-key.pem). Safe to call
 * concurrently from several processes.
 */
export function ensureTestPki(dir: string): Promise<TestPki>;

export interface IssueServerCertOptions {
  /** Directory holding ca.pem and ca-key.pem (as written by ensureTestPki). */
  caDir?: string;
  /** Or the CA itself. */
  ca?: { certPem: string; keyPem: string };
  /** DNS names and IP addresses for the SAN; default localhost, 127.0.0.1, ::1. */
  hosts?: string[];
  /** Default: yesterday. */
  notBefore?: Date;
  /** Default: a year from now. */
  notAfter?: Date;
  /** A leaf signed by its own key, chained to no CA. */
  selfSigned?: boolean;
  /** Subject CN; default the first host. */
  commonName?: string;
}

/** Issue a server certificate (expired, short-lived, self-signed, other hosts...). */
export function issueServerCert(options?: IssueServerCertOptions): Promise<{ certPem: string; keyPem: string }>;

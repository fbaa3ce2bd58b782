import { createHash, hkdfSync } from 'node:crypto';
import { Injectable, type OnModuleInit } from '@nestjs/common';
import { exportJWK, generateKeyPair, importJWK, type JWK, type CryptoKey } from 'jose';
import { DataSource } from 'typeorm';
import { AppConfig } from '../../config/app-config.js';
import { SecretBox, sealedFromJson, sealedToJson } from '../../common/crypto/secret-box.js';

/** The additional data a signing key's sealed private half is bound to. */
export const signingKeyAad = (kid: string) => `signing-key:${kid}`;

export interface ActiveKey {
  kid: string;
  alg: string;
  privateKey: CryptoKey;
}

/**
 * This service's own signing keys: kept in Postgres (private half sealed with the secrets keyring) so every
 * instance signs with the same key and publishes the same JWKS. The first instance to start creates one,
 * under an advisory lock. Code-encryption keys are derived from the secrets keyring (HKDF), per key id.
 */
@Injectable()
export class SigningKeys implements OnModuleInit {
  private active!: ActiveKey;
  private publicJwks: JWK[] = [];
  private verifyKeys = new Map<string, CryptoKey>();
  /** HKDF outputs per keyring entry (derived once: every sign-in issues a code and every exchange opens one). */
  private readonly codeKeys = new Map<string, Uint8Array>();

  constructor(
    private readonly db: DataSource,
    private readonly box: SecretBox,
    private readonly config: AppConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.reload();
  }

  async reload(): Promise<void> {
    const alg = this.config.env.TOKEN_SIGNING_ALG;
    await this.db.transaction(async (m) => {
      await m.query(`SELECT pg_advisory_xact_lock(hashtext('iqsso:signing-keys'))`);
      const existing = await m.query(`SELECT 1 FROM signing_keys WHERE status = 'active' AND alg = $1`, [alg]);
      if (existing.length === 0) {
        const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true, modulusLength: 2048 });
        const pub = await exportJWK(publicKey);
        const kid = createHash('sha256').update(JSON.stringify(pub)).digest('base64url').slice(0, 16);
        const sealed = this.box.seal(JSON.stringify(await exportJWK(privateKey)), signingKeyAad(kid));
        await m.query(`UPDATE signing_keys SET status = 'retired' WHERE status = 'active'`);
        await m.query(`INSERT INTO signing_keys (kid, alg, public_jwk, private_jwk, status) VALUES ($1, $2, $3, $4, 'active')`, [
          kid, alg, { ...pub, kid, alg, use: 'sig' },
          sealedToJson(sealed),
        ]);
      }
    });
    const rows: Array<{ kid: string; alg: string; public_jwk: JWK; private_jwk: Record<string, string>; status: string }> = await this.db.query(
      `SELECT kid, alg, public_jwk, private_jwk, status FROM signing_keys WHERE status = 'active' OR created_at > now() - interval '30 days' ORDER BY created_at DESC`,
    );
    const activeRow = rows.find((r) => r.status === 'active' && r.alg === alg)!;
    const privateJwk = JSON.parse(this.box.open(sealedFromJson(activeRow.private_jwk), signingKeyAad(activeRow.kid)));
    this.active = { kid: activeRow.kid, alg: activeRow.alg, privateKey: (await importJWK(privateJwk, activeRow.alg)) as CryptoKey };
    this.publicJwks = rows.map((r) => r.public_jwk);
    this.verifyKeys = new Map(await Promise.all(rows.map(async (r) => [r.kid, (await importJWK(r.public_jwk, r.alg)) as CryptoKey] as const)));
  }

  signingKey(): ActiveKey {
    return this.active;
  }

  jwks(): { keys: JWK[] } {
    return { keys: this.publicJwks };
  }

  /** Key lookup for jose's jwtVerify: only our own published keys. */
  verificationKey(kid: string | undefined): CryptoKey | undefined {
    return kid ? this.verifyKeys.get(kid) : undefined;
  }

  /** 256-bit key for encrypting authorization codes, derived per secrets-keyring entry. */
  codeKey(keyId?: string): { keyId: string; key: Uint8Array } | undefined {
    const entry = keyId ? this.config.secretsKeys.find((k) => k.id === keyId) : this.config.secretsKeys[0];
    if (!entry) return undefined;
    let key = this.codeKeys.get(entry.id);
    if (!key) {
      key = new Uint8Array(hkdfSync('sha256', entry.key, 'iqsso', 'authorization-code-v1', 32));
      this.codeKeys.set(entry.id, key);
    }
    return { keyId: entry.id, key };
  }
}

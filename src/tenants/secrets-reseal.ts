import { Injectable, Logger } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { z } from 'zod';
import { type SealedSecret, SecretBox, SecretKeyMissing, sealedFromJson, sealedToJson } from '../common/crypto/secret-box.js';
import { type FieldProblem, ProblemError } from '../common/errors/problem.js';
import { signingKeyAad } from '../oauth/keys/signing-keys.js';
import { secretAad } from './tenants.service.js';

/** What is sealed with SECRETS_KEYS in the database, by kind (each names its key id beside the ciphertext). */
export type SealedKind = 'clientSecrets' | 'trainingDatabaseUrls' | 'signingKeys';
const KINDS: SealedKind[] = ['clientSecrets', 'trainingDatabaseUrls', 'signingKeys'];
type PerKind<T> = Record<SealedKind, T>;

export const resealSchema = z
  .object({
    batchSize: z.number().int().min(1).max(1000).default(100).describe('Values resealed per transaction.'),
    maxBatches: z.number().int().min(1).max(1000).default(100).describe('Batches this request runs at most; call again while `remaining` is not 0.'),
  })
  .strict();
export type ResealInput = z.output<typeof resealSchema>;

export interface ResealReport {
  /** The key every value is being resealed under: the first of SECRETS_KEYS. */
  activeKeyId: string;
  /** Key ids of this instance's keyring, in order (never the keys). */
  keyring: string[];
  /** How many sealed values each key id holds, per kind, before and after this run. Never a value. */
  before: PerKind<Record<string, number>>;
  after: PerKind<Record<string, number>>;
  resealed: PerKind<number>;
  /** Values still sealed under another key (the run stopped at maxBatches); 0 when done. */
  remaining: number;
}

interface Candidate {
  id: string;
  sealed: SealedSecret;
  aad: string;
}

/**
 * Re-encrypts every sealed value in the database under the active key of the keyring, so an old key can be
 * removed from SECRETS_KEYS: tenant secrets (Okta client secrets, staged ones included, and training database
 * URLs; retired ones are wiped and hold nothing) and the private halves of this service's signing keys.
 * Bounded batches, each its own transaction taking its rows FOR UPDATE SKIP LOCKED (a retirement or another
 * run in parallel is safe); only values under another key are touched, so running it again does nothing.
 * Plaintexts exist only in memory for the moment of the re-encryption; the same additional data is bound again.
 * Not here because not in the database: authorization codes (JWE, AUTH_CODE_TTL_S) and the browsers' sealed
 * logout hints (they fail closed: Okta's logout is then asked without id_token_hint).
 */
@Injectable()
export class SecretsReseal {
  private readonly log = new Logger('SecretsReseal');

  constructor(
    private readonly db: DataSource,
    private readonly box: SecretBox,
  ) {}

  async counts(m: EntityManager = this.db.manager): Promise<PerKind<Record<string, number>>> {
    const rows: Array<{ kind: SealedKind; key_id: string; n: number }> = await m.query(
      `SELECT CASE purpose WHEN 'client-secret' THEN 'clientSecrets' ELSE 'trainingDatabaseUrls' END AS kind, key_id, count(*)::int AS n
         FROM tenant_secrets WHERE ciphertext IS NOT NULL GROUP BY 1, 2
       UNION ALL
       SELECT 'signingKeys', private_jwk->>'keyId', count(*)::int FROM signing_keys GROUP BY 2
       ORDER BY 1, 2`,
    );
    const out = Object.fromEntries(KINDS.map((k) => [k, {} as Record<string, number>])) as PerKind<Record<string, number>>;
    for (const r of rows) out[r.kind][r.key_id] = r.n;
    return out;
  }

  async run(input: ResealInput): Promise<ResealReport> {
    const active = this.box.activeKeyId;
    const before = await this.counts();
    this.refuseUnknownKeys(before);
    const resealed = Object.fromEntries(KINDS.map((k) => [k, 0])) as PerKind<number>;
    let batches = 0;
    for (const kind of KINDS) {
      while (batches < input.maxBatches) {
        batches++;
        const n = await this.db.transaction((m) => this.batch(m, kind, input.batchSize));
        resealed[kind] += n;
        if (n < input.batchSize) break;
      }
    }
    const after = await this.counts();
    const remaining = KINDS.reduce((sum, k) => sum + Object.entries(after[k]).filter(([id]) => id !== active).reduce((s, [, n]) => s + n, 0), 0);
    this.log.log({ activeKeyId: active, resealed, remaining }, 'Sealed values resealed under the active key');
    return { activeKeyId: active, keyring: this.box.keyIds(), before, after, resealed, remaining };
  }

  /** A value under a key this instance does not have cannot be resealed: say which keys and how many values. */
  private refuseUnknownKeys(counts: PerKind<Record<string, number>>): void {
    const problems: FieldProblem[] = [];
    for (const kind of KINDS) {
      for (const [keyId, n] of Object.entries(counts[kind])) {
        if (!this.box.has(keyId)) {
          problems.push({ field: `${kind}[${JSON.stringify(keyId)}]`, reason: `${n} sealed value${n === 1 ? ' was' : 's were'} sealed with key "${keyId}", which is not in this instance's SECRETS_KEYS; add that key back (after the active one) and run the reseal again` });
        }
      }
    }
    if (problems.length) throw ProblemError.conflict('Some sealed values use a key that is not in SECRETS_KEYS, so they cannot be opened; nothing was resealed.', problems);
  }

  private async batch(m: EntityManager, kind: SealedKind, size: number): Promise<number> {
    const candidates = kind === 'signingKeys' ? await this.signingKeyBatch(m, size) : await this.tenantSecretBatch(m, kind, size);
    for (const c of candidates) {
      let plaintext: string;
      try {
        plaintext = this.box.open(c.sealed, c.aad);
      } catch (e) {
        if (e instanceof SecretKeyMissing) throw e;
        throw ProblemError.conflict(`A sealed value does not open with key "${c.sealed.keyId}" of SECRETS_KEYS (the key under that id is not the one it was sealed with); nothing of this batch was resealed.`, [{ field: kind, reason: `${kind === 'signingKeys' ? 'signing key' : 'tenant secret'} ${c.id}` }]);
      }
      const next = this.box.seal(plaintext, c.aad);
      if (kind === 'signingKeys') {
        await m.query(`UPDATE signing_keys SET private_jwk = $2 WHERE kid = $1`, [
          c.id, sealedToJson(next),
        ]);
      } else {
        await m.query(`UPDATE tenant_secrets SET key_id = $2, iv = $3, ciphertext = $4, tag = $5 WHERE id = $1 AND ciphertext IS NOT NULL`, [c.id, next.keyId, next.iv, next.ciphertext, next.tag]);
      }
    }
    return candidates.length;
  }

  private async tenantSecretBatch(m: EntityManager, kind: SealedKind, size: number): Promise<Candidate[]> {
    const rows: Array<{ id: string; tenant_id: string; key_id: string; iv: Buffer; ciphertext: Buffer; tag: Buffer }> = await m.query(
      `SELECT id, tenant_id, key_id, iv, ciphertext, tag FROM tenant_secrets
        WHERE ciphertext IS NOT NULL AND purpose = $1 AND key_id <> $2 ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED`,
      [kind === 'clientSecrets' ? 'client-secret' : 'training-database-url', this.box.activeKeyId, size],
    );
    const purpose = kind === 'clientSecrets' ? 'client-secret' : 'training-database-url';
    return rows.map((r) => ({ id: r.id, aad: secretAad(r.tenant_id, purpose), sealed: { keyId: r.key_id, iv: r.iv, ciphertext: r.ciphertext, tag: r.tag } }));
  }

  private async signingKeyBatch(m: EntityManager, size: number): Promise<Candidate[]> {
    const rows: Array<{ kid: string; private_jwk: Record<string, string> }> = await m.query(
      `SELECT kid, private_jwk FROM signing_keys WHERE private_jwk->>'keyId' <> $1 ORDER BY kid LIMIT $2 FOR UPDATE SKIP LOCKED`,
      [this.box.activeKeyId, size],
    );
    return rows.map((r) => ({ id: r.kid, aad: signingKeyAad(r.kid), sealed: sealedFromJson(r.private_jwk) }));
  }
}

import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AppConfig } from '../../config/app-config.js';

export interface SealedSecret {
  keyId: string;
  iv: Buffer;
  ciphertext: Buffer;
  tag: Buffer;
}

/** A sealed value as stored in a jsonb column (base64 parts): signing keys' private halves. */
export type SealedJson = { keyId: string; iv: string; ciphertext: string; tag: string };
export const sealedToJson = (s: SealedSecret): SealedJson => ({ keyId: s.keyId, iv: s.iv.toString('base64'), ciphertext: s.ciphertext.toString('base64'), tag: s.tag.toString('base64') });
export const sealedFromJson = (j: Record<string, string>): SealedSecret => ({
  keyId: j.keyId!, iv: Buffer.from(j.iv!, 'base64'), ciphertext: Buffer.from(j.ciphertext!, 'base64'), tag: Buffer.from(j.tag!, 'base64'),
});

/**
 * A sealed value names a key id that is not in SECRETS_KEYS (an old key removed before its values were
 * resealed, or an instance started with another keyring). Safe to show: a key id is not a secret.
 */
export class SecretKeyMissing extends Error {
  constructor(readonly keyId: string) {
    super(`A secret was sealed with key "${keyId}", which is not in SECRETS_KEYS`);
  }
}

/**
 * AES-256-GCM with a keyring from the environment: new secrets use the first key, any listed key
 * still opens what it sealed, so keys rotate by prepending a new one. `aad` binds a sealed value to its owner.
 */
@Injectable()
export class SecretBox {
  private readonly keys: Map<string, Buffer>;
  private readonly activeId: string;

  constructor(config: AppConfig) {
    this.keys = new Map(config.secretsKeys.map((k) => [k.id, k.key]));
    this.activeId = config.secretsKeys[0]!.id;
  }

  /** The key new secrets are sealed with (the first of SECRETS_KEYS). */
  get activeKeyId(): string {
    return this.activeId;
  }

  /** The key ids of the keyring, in order (never the keys). */
  keyIds(): string[] {
    return [...this.keys.keys()];
  }

  has(keyId: string): boolean {
    return this.keys.has(keyId);
  }

  seal(plaintext: string, aad: string): SealedSecret {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.keys.get(this.activeId)!, iv);
    cipher.setAAD(Buffer.from(aad));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return { keyId: this.activeId, iv, ciphertext, tag: cipher.getAuthTag() };
  }

  open(sealed: SealedSecret, aad: string): string {
    const key = this.keys.get(sealed.keyId);
    if (!key) throw new SecretKeyMissing(sealed.keyId);
    const decipher = createDecipheriv('aes-256-gcm', key, sealed.iv);
    decipher.setAAD(Buffer.from(aad));
    decipher.setAuthTag(sealed.tag);
    return Buffer.concat([decipher.update(sealed.ciphertext), decipher.final()]).toString('utf8');
  }
}

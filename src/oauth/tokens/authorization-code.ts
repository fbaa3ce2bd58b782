import { Injectable } from '@nestjs/common';
import { CompactEncrypt, compactDecrypt, decodeProtectedHeader } from 'jose';
import { randomUUID } from 'node:crypto';
import { AppConfig } from '../../config/app-config.js';
import { Clock } from '../../common/clock.js';
import type { Environment } from '../../database/directory-databases.js';
import { SigningKeys } from '../keys/signing-keys.js';

/** What an authorization code stands for. */
export interface CodeGrant {
  jti: string;
  /** Refresh tokens issued from this code share it, so a replayed code can revoke them all. */
  familyId: string;
  clientId: string;
  redirectUri: string;
  userId: string;
  tenantId: string;
  tenantSlug: string;
  environment: Environment;
  scope: string[];
  nonce?: string;
  codeChallenge: string;
  /** When the user authenticated at Okta; absent when unknown (see auth/auth-time.ts). */
  authTime?: number;
  /** The SSO session the code was issued in (its public id), so logout can revoke what it led to. */
  sessionId?: string;
  /**
   * A session this sign-in starts: it is recorded when the code is redeemed (one statement with the grant), so
   * the sign-in callback itself writes nothing but the provisioning. `handleHash` is the hash of the new
   * session cookie; `previous` the hash of the browser's earlier cookie, whose session it continues if it is
   * the same tenant, environment and user.
   */
  startsSession?: { handleHash: string; previous?: string; ttl: number };
  exp: number;
}

/**
 * Authorization codes are self-contained: the grant, encrypted and authenticated (JWE dir + A256GCM) with a
 * key derived from the secrets keyring. Issuing one needs no database write, so a sign-in callback costs
 * two round trips (login state, provisioning). Single use is enforced when it is redeemed (consumed_codes),
 * in the same statement that records the grant and starts the SSO session the sign-in established.
 */
@Injectable()
export class AuthorizationCodes {
  constructor(
    private readonly keys: SigningKeys,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

  async issue(grant: Omit<CodeGrant, 'jti' | 'familyId' | 'exp'>): Promise<string> {
    const { keyId, key } = this.keys.codeKey()!;
    const full: CodeGrant = { ...grant, jti: randomUUID(), familyId: randomUUID(), exp: this.clock.epochSeconds() + this.config.env.AUTH_CODE_TTL_S };
    return new CompactEncrypt(new TextEncoder().encode(JSON.stringify(full)))
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM', kid: keyId, typ: 'iqsso-code' })
      .encrypt(key);
  }

  /** Undefined when the code is not one of ours, was altered, or has expired. */
  async open(code: string): Promise<CodeGrant | undefined> {
    if (code.length > 4096) return undefined;
    try {
      const header = decodeProtectedHeader(code);
      const k = this.keys.codeKey(typeof header.kid === 'string' ? header.kid : '');
      if (!k || header.typ !== 'iqsso-code') return undefined;
      const { plaintext } = await compactDecrypt(code, k.key, { keyManagementAlgorithms: ['dir'], contentEncryptionAlgorithms: ['A256GCM'] });
      const grant = JSON.parse(new TextDecoder().decode(plaintext)) as CodeGrant;
      return grant.exp > this.clock.epochSeconds() ? grant : undefined;
    } catch {
      return undefined;
    }
  }
}

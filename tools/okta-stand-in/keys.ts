import { createPrivateKey, generateKeyPairSync, randomBytes, type JsonWebKey } from 'node:crypto';
import { SignJWT, type JWTPayload } from 'jose';

type PrivateJwk = JsonWebKey & { kid: string; alg: 'RS256'; use: 'sig' };

function newRsaKey(): PrivateJwk {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  // Okta kids look like base64url strings; the random part makes each rotation distinct.
  return { ...privateKey.export({ format: 'jwk' }), kid: randomBytes(16).toString('base64url'), alg: 'RS256', use: 'sig' };
}

export interface SignJwtOptions {
  /** Sign with this published key instead of the current signing key. */
  kid?: string;
  /** Sign with a fresh key that is NOT in the JWKS (its kid is unknown to verifiers). */
  foreignKey?: boolean;
  /** Extra or overriding protected-header fields (e.g. `typ`, or a lying `kid`). */
  header?: Record<string, unknown>;
}

/** RS256 signing keys of one authorization server; the first key signs. */
export class SigningKeys {
  private keys: PrivateJwk[] = [newRsaKey()];
  private foreign?: PrivateJwk;

  get currentKid(): string {
    return this.keys[0]!.kid;
  }

  /** Private JWKS for oidc-provider's `jwks` option (current key first). */
  get privateJwks(): { keys: PrivateJwk[] } {
    return { keys: this.keys.map((k) => ({ ...k })) };
  }

  get kids(): string[] {
    return this.keys.map((k) => k.kid);
  }

  /** A new key becomes the signing key; older keys stay published unless keepOld is false. */
  rotate({ keepOld = true }: { keepOld?: boolean } = {}): string {
    this.keys = [newRsaKey(), ...(keepOld ? this.keys : [])];
    return this.currentKid;
  }

  /** Sign exactly `payload` (no claims added) as an RS256 JWS. */
  async sign(payload: JWTPayload, { kid, foreignKey, header }: SignJwtOptions = {}): Promise<string> {
    const jwk = foreignKey ? (this.foreign ??= newRsaKey()) : this.keys.find((k) => k.kid === (kid ?? this.currentKid));
    if (!jwk) throw new Error(`no signing key with kid ${kid}`);
    const key = createPrivateKey({ key: jwk, format: 'jwk' });
    return new SignJWT(payload).setProtectedHeader({ alg: 'RS256', kid: jwk.kid, ...header }).sign(key);
  }
}

/** Return `jwt` with one bit of its signature flipped (still well-formed, no longer valid). */
export function tamperSignature(jwt: string): string {
  const [header, payload, signature] = jwt.split('.');
  if (header === undefined || payload === undefined || !signature) throw new Error('not a JWS compact serialization');
  const bytes = Buffer.from(signature, 'base64url');
  bytes[bytes.length >> 1] ^= 0x01;
  return `${header}.${payload}.${bytes.toString('base64url')}`;
}

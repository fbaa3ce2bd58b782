import type { Adapter, AdapterPayload } from 'oidc-provider';

/**
 * The models a grant's revocation removes, as in oidc-provider's own memory adapter: tokens and codes. Not an
 * Interaction that names the grant it extends (signing in as someone else ends the old session, revoking its grant,
 * in the middle of that very interaction).
 */
const GRANTABLE = new Set(['AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest', 'PreAuthorizedCode']);
const grantable = (key: string) => GRANTABLE.has(key.slice(0, key.indexOf(':')));

/**
 * oidc-provider storage for one authorization server, in memory, with no size cap (the
 * bundled dev adapter is a 1000-entry LRU, too small for benchmarks). It outlives provider
 * instances, so a rebuilt provider (key rotation, new claim names) keeps sessions, codes,
 * tokens and the clients registered at runtime (model "Client").
 */
export class MemoryStore {
  private readonly entries = new Map<string, { payload: AdapterPayload; expiresAt: number }>();
  private readonly grants = new Map<string, Set<string>>();
  private readonly sessionUids = new Map<string, string>();
  private writes = 0;

  get(key: string): AdapterPayload | undefined {
    const entry = this.entries.get(key);
    if (entry && entry.expiresAt <= Date.now()) this.delete(key);
    return entry && entry.expiresAt > Date.now() ? entry.payload : undefined;
  }

  set(key: string, payload: AdapterPayload, expiresIn?: number): void {
    const expiresAt = expiresIn === undefined ? Infinity : Date.now() + expiresIn * 1000;
    this.entries.set(key, { payload, expiresAt });
    if (payload.grantId && grantable(key)) {
      const members = this.grants.get(payload.grantId) ?? new Set<string>();
      this.grants.set(payload.grantId, members.add(key));
    }
    if (key.startsWith('Session:') && payload.uid) this.sessionUids.set(payload.uid, key);
    if (++this.writes % 1000 === 0) this.sweep();
  }

  delete(key: string): void {
    const payload = this.entries.get(key)?.payload;
    this.entries.delete(key);
    if (payload?.grantId) this.grants.get(payload.grantId)?.delete(key);
    if (payload?.uid && this.sessionUids.get(payload.uid) === key) this.sessionUids.delete(payload.uid);
  }

  keyForSessionUid(uid: string): string | undefined {
    return this.sessionUids.get(uid);
  }

  revokeGrant(grantId: string): void {
    for (const key of this.grants.get(grantId) ?? []) this.delete(key);
    this.grants.delete(grantId);
  }

  private sweep(): void {
    const now = Date.now();
    for (const [key, { expiresAt }] of this.entries) if (expiresAt <= now) this.delete(key);
    for (const [grantId, members] of this.grants) if (!members.size) this.grants.delete(grantId);
  }

  /** The `adapter` option for oidc-provider: one adapter per model, all on this store. */
  adapterFor(): new (model: string) => Adapter {
    const store = this;
    return class implements Adapter {
      constructor(private readonly model: string) {}
      private key(id: string) { return `${this.model}:${id}`; }
      async upsert(id: string, payload: AdapterPayload, expiresIn?: number) { store.set(this.key(id), payload, expiresIn); }
      async find(id: string) { return store.get(this.key(id)); }
      async findByUid(uid: string) { const key = store.keyForSessionUid(uid); return key ? store.get(key) : undefined; }
      async findByUserCode(): Promise<undefined> { return undefined; }
      async consume(id: string) { const p = store.get(this.key(id)); if (p) p.consumed = Math.floor(Date.now() / 1000); }
      async destroy(id: string) { store.delete(this.key(id)); }
      async revokeByGrantId(grantId: string) { store.revokeGrant(grantId); }
    };
  }
}

import { Injectable } from '@nestjs/common';
import { Clock } from '../common/clock.js';
import { Lru } from '../common/lru.js';
import { AppConfig } from '../config/app-config.js';
import { ChangeFeed, type ChangeListener } from '../database/change-feed.js';
import type { DirectoryUser } from '../provisioning/directory-users.js';
import type { GrantState } from '../oauth/tokens/refresh-tokens.js';

interface Entry<V> {
  value: V;
  /** Epoch ms when its read started; it is served until API_CACHE_TTL_S after that. */
  readAt: number;
}

/**
 * How far apart the instances' clocks may be (NTP keeps them within milliseconds). A token's `iat` comes from
 * the clock of the instance that issued it, an entry's read time from this instance's.
 */
const INSTANCE_CLOCK_SKEW_MS = 1_000;

/**
 * What every /v1/me call would otherwise read from Postgres: the production user and the state of the token's
 * grant. Served from memory only while the change feed is live, so that a change committed anywhere (sign-in,
 * SCIM, an account manager's edit, a revocation, a deleted location) drops the entry on every instance within
 * milliseconds; at most API_CACHE_TTL_S old in any case. Training users live in other databases, which have no
 * feed: they are never cached.
 */
@Injectable()
export class ApiStateCache implements ChangeListener {
  private readonly users: Lru<string, Entry<DirectoryUser | null>>;
  private readonly grants: Lru<string, Entry<GrantState | null>>;
  private readonly ttlMs: number;
  /**
   * Bumped by every change and reset. A read that started before a change may carry the old row, so it is not
   * stored if the generation moved while it ran (it is still answered: it was true when it was read).
   */
  private generation = 0;

  constructor(
    private readonly feed: ChangeFeed,
    private readonly clock: Clock,
    config: AppConfig,
  ) {
    this.ttlMs = config.env.API_CACHE_TTL_S * 1000;
    this.users = new Lru(config.env.API_CACHE_MAX);
    this.grants = new Lru(config.env.API_CACHE_MAX);
    feed.subscribe(this);
  }

  /**
   * The user, for a token issued at `iat` (JWT seconds). Read your writes: the sign-in that a token comes from
   * committed before the token was issued, but its notification may not have reached this instance yet, so an
   * entry read before the token's issuance (to the second, plus the instances' clock skew) is not served to it:
   * a new token's first call reads Postgres and stores what it read for the calls after it.
   */
  user(tenantId: string, userId: string, iat: number, read: () => Promise<DirectoryUser | null>): Promise<DirectoryUser | null> {
    return this.through(this.users, `${tenantId}:${userId}`, servableAfter(iat), read);
  }

  /** The state of a token's grant, for a token issued at `iat` (the same rule as `user`). */
  grant(grantId: string, iat: number, read: () => Promise<GrantState | null>): Promise<GrantState | null> {
    return this.through(this.grants, grantId, servableAfter(iat), read);
  }

  changed(payload: string): void {
    this.generation++;
    const id = payload.slice(2);
    if (payload.startsWith('g:')) this.grants.delete(id);
    else if (payload.startsWith('u:')) {
      const [userId, tenantId] = id.split(':'); // `u:<user id>:<tenant id>`, as the entries are keyed
      this.users.delete(`${tenantId}:${userId}`);
    }
  }

  reset(): void {
    this.generation++;
    this.users.clear();
    this.grants.clear();
  }

  private async through<V>(lru: Lru<string, Entry<V>>, key: string, readAfter: number, read: () => Promise<V>): Promise<V> {
    if (this.ttlMs <= 0 || !this.feed.live) return read();
    const now = this.clock.now().getTime();
    const hit = lru.get(key);
    if (hit && hit.readAt + this.ttlMs > now && hit.readAt >= readAfter) return hit.value;
    const generation = this.generation;
    const value = await read();
    if (generation === this.generation && this.feed.live) lru.set(key, { value, readAt: now });
    return value;
  }
}

/**
 * Epoch ms: the earliest start of a read that certainly follows everything committed before a token issued at
 * `iat` (JWT seconds), so the earliest read whose entry may be served to that token.
 */
export const servableAfter = (iat: number) => (iat + 1) * 1000 + INSTANCE_CLOCK_SKEW_MS;

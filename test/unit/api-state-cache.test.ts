import { describe, expect, it } from '@jest/globals';
import { ApiStateCache } from '../../src/api/api-state-cache.js';
import type { Clock } from '../../src/common/clock.js';
import type { AppConfig } from '../../src/config/app-config.js';
import type { ChangeFeed, ChangeListener } from '../../src/database/change-feed.js';
import type { DirectoryUser } from '../../src/provisioning/directory-users.js';

/** A token's iat (seconds) well before the clock's start: the token-issuance rule never gets in the way. */
const ISSUED = 0;

/** The cache's rules with a hand-driven feed and clock: what is served, what is stored, what a change drops. */
function setup(ttlS = 30) {
  let listener!: ChangeListener;
  const feed = { live: true, subscribe: (l: ChangeListener) => { listener = l; } };
  let now = 1_000_000;
  const clock = { now: () => new Date(now) } as Clock;
  const cache = new ApiStateCache(feed as unknown as ChangeFeed, clock, { env: { API_CACHE_TTL_S: ttlS, API_CACHE_MAX: 100 } } as unknown as AppConfig);
  let reads = 0;
  let name = 'Pat';
  const read = async () => { reads++; return { id: 'u1', tenantId: 't1', firstName: name } as DirectoryUser; };
  return { cache, feed, listener: () => listener, advance: (ms: number) => { now += ms; }, reads: () => reads, rename: (n: string) => { name = n; }, read };
}

describe('ApiStateCache', () => {
  it('serves a read again from memory until a change for that user arrives', async () => {
    const s = setup();
    await s.cache.user('t1', 'u1', ISSUED, s.read);
    await s.cache.user('t1', 'u1', ISSUED, s.read);
    expect(s.reads()).toBe(1);
    s.rename('Patricia');
    s.listener().changed('u:u1:t1');
    expect((await s.cache.user('t1', 'u1', ISSUED, s.read))?.firstName).toBe('Patricia');
    expect(s.reads()).toBe(2);
  });

  it('a change for another user or a grant leaves the entry; a grant change drops only that grant', async () => {
    const s = setup();
    await s.cache.user('t1', 'u1', ISSUED, s.read);
    s.listener().changed('u:u2:t1');
    s.listener().changed('g:00000000-0000-4000-8000-000000000000');
    await s.cache.user('t1', 'u1', ISSUED, s.read);
    expect(s.reads()).toBe(1);
    let grantReads = 0;
    const readGrant = async () => { grantReads++; return { revoked: grantReads > 1, expiresAt: 2e12 }; };
    expect(await s.cache.grant('g1', ISSUED, readGrant)).toEqual({ revoked: false, expiresAt: 2e12 });
    expect(await s.cache.grant('g1', ISSUED, readGrant)).toEqual({ revoked: false, expiresAt: 2e12 });
    s.listener().changed('g:g1');
    expect(await s.cache.grant('g1', ISSUED, readGrant)).toEqual({ revoked: true, expiresAt: 2e12 });
  });

  it('a read that was in flight when a change arrived is answered but not stored (it may hold the old row)', async () => {
    const s = setup();
    let release!: () => void;
    const slow = () => new Promise<DirectoryUser>((resolve) => { release = () => resolve({ id: 'u1', firstName: 'Old' } as DirectoryUser); });
    const pending = s.cache.user('t1', 'u1', ISSUED, slow);
    s.listener().changed('u:u1:t1'); // committed while the read was on its way
    release();
    expect((await pending)?.firstName).toBe('Old');
    s.rename('New');
    expect((await s.cache.user('t1', 'u1', ISSUED, s.read))?.firstName).toBe('New');
  });

  it('nothing is served or stored while the feed is not live, and a reset forgets everything', async () => {
    const s = setup();
    await s.cache.user('t1', 'u1', ISSUED, s.read);
    s.feed.live = false;
    await s.cache.user('t1', 'u1', ISSUED, s.read);
    await s.cache.user('t1', 'u1', ISSUED, s.read);
    expect(s.reads()).toBe(3);
    s.feed.live = true;
    await s.cache.user('t1', 'u1', ISSUED, s.read); // the entry from before is still there…
    expect(s.reads()).toBe(3);
    s.listener().reset(); // …which is why the feed resets on every (re)connection and loss
    await s.cache.user('t1', 'u1', ISSUED, s.read);
    expect(s.reads()).toBe(4);
  });

  it('an entry is served at most API_CACHE_TTL_S; with 0 there is no cache at all', async () => {
    const s = setup(30);
    await s.cache.user('t1', 'u1', ISSUED, s.read);
    s.advance(29_999);
    await s.cache.user('t1', 'u1', ISSUED, s.read);
    expect(s.reads()).toBe(1);
    s.advance(1);
    await s.cache.user('t1', 'u1', ISSUED, s.read);
    expect(s.reads()).toBe(2);
    const off = setup(0);
    await off.cache.user('t1', 'u1', ISSUED, off.read);
    await off.cache.user('t1', 'u1', ISSUED, off.read);
    expect(off.reads()).toBe(2);
  });

  it('read your writes: an entry read before a token was issued is not served to it, even if no change has arrived', async () => {
    // The clock starts at 1,000,000 ms. An app's earlier token (iat 990 s) read and stored the user; then a
    // sign-in changed the user and a token was issued at 1,000 s, but the change's notification is late.
    const s = setup();
    await s.cache.user('t1', 'u1', 990, s.read);
    s.rename('Changed at sign-in');
    s.advance(500);
    expect((await s.cache.user('t1', 'u1', 990, s.read))?.firstName).toBe('Pat'); // the older token: from memory
    expect(s.reads()).toBe(1);
    // The new token: the entry was read at 1,000.0 s, not after the end of its issuance second plus the skew.
    expect((await s.cache.user('t1', 'u1', 1000, s.read))?.firstName).toBe('Changed at sign-in');
    expect(s.reads()).toBe(2);
    // That read was itself too early to prove anything for this token: until one is, each call reads.
    s.advance(1_500); // now 1,002.0 s = (1000 + 1) s + 1 s of skew
    await s.cache.user('t1', 'u1', 1000, s.read);
    expect(s.reads()).toBe(3);
    await s.cache.user('t1', 'u1', 1000, s.read);
    await s.cache.user('t1', 'u1', 990, s.read);
    expect(s.reads()).toBe(3);
    // Grants follow the same rule.
    let grantReads = 0;
    const readGrant = async () => { grantReads++; return { revoked: false, expiresAt: 2e12 }; };
    await s.cache.grant('g1', 990, readGrant);
    await s.cache.grant('g1', 1001, readGrant);
    expect(grantReads).toBe(2);
  });
});

import { describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import type { Clock } from '../../src/common/clock.js';
import { CLIENT_ORIGINS_TTL_MS, ClientOrigins } from '../../src/oauth/clients/client-origins.js';

/** The origins' cache with a hand-driven clock and table: when it reads Postgres, and what it answers meanwhile. */
function setup() {
  let now = 1_000_000;
  let uris: string[] = ['https://hub.example.com/callback', 'com.iqmetrix.rq:/callback', 'http://127.0.0.1:9/cb', 'https://a.example/cb\r\nX: y'];
  let reads = 0;
  let fail = false;
  let gate: Promise<void> | undefined;
  const db = {
    query: async () => {
      reads++;
      const snapshot = uris.map((uri) => ({ uri }));
      if (gate) await gate;
      if (fail) throw Object.assign(new Error('down'), { code: '57P01' });
      return snapshot;
    },
  };
  const origins = new ClientOrigins(db as unknown as DataSource, { now: () => new Date(now) } as Clock);
  return {
    origins, reads: () => reads, advance: (ms: number) => { now += ms; }, register: (uri: string) => { uris = [...uris, uri]; },
    failing: (f: boolean) => { fail = f; }, hold: () => { let release!: () => void; gate = new Promise((r) => { release = r; }); return () => { gate = undefined; release(); }; },
  };
}

describe('ClientOrigins', () => {
  it('allows the web origins of redirect URIs only, exactly as a browser serializes them', async () => {
    const s = setup();
    expect(await s.origins.allows('https://hub.example.com')).toBe(true);
    expect(s.origins.allows('http://127.0.0.1:9')).toBe(true);
    for (const origin of ['null', 'com.iqmetrix.rq:', 'https://a.example', 'https://hub.example.com/', 'http://127.0.0.1:10']) expect([origin, s.origins.allows(origin)]).toEqual([origin, false]);
  });

  it('answers from memory for its TTL, then reads Postgres again: another instance\'s registration is seen within the bound', async () => {
    const s = setup();
    await s.origins.allows('https://hub.example.com');
    s.register('https://new.example.com/cb');
    s.advance(CLIENT_ORIGINS_TTL_MS - 1);
    expect(s.origins.allows('https://new.example.com')).toBe(false);
    expect(s.reads()).toBe(1);
    s.advance(1);
    expect(await s.origins.allows('https://new.example.com')).toBe(true);
    expect(s.reads()).toBe(2);
  });

  it('reads again at once after a registration here, even one made while a read was under way', async () => {
    const s = setup();
    await s.origins.allows('https://hub.example.com');
    s.advance(CLIENT_ORIGINS_TTL_MS);
    const release = s.hold();
    const during = s.origins.allows('https://new.example.com'); // a read of the table as it was
    s.register('https://new.example.com/cb');
    s.origins.invalidate();
    release();
    expect(await during).toBe(false);
    expect(await s.origins.allows('https://new.example.com')).toBe(true);
  });

  it('keeps serving its last copy while Postgres cannot be read, and tries again a few seconds later', async () => {
    const s = setup();
    await s.origins.allows('https://hub.example.com');
    s.advance(CLIENT_ORIGINS_TTL_MS);
    s.failing(true);
    expect(await s.origins.allows('https://hub.example.com')).toBe(true);
    expect(s.origins.allows('https://hub.example.com')).toBe(true); // from memory: no read per request while down
    expect(s.reads()).toBe(2);
    s.failing(false);
    s.register('https://new.example.com/cb');
    s.advance(5_000);
    expect(await s.origins.allows('https://new.example.com')).toBe(true);
  });

  it('shares one read among concurrent questions', async () => {
    const s = setup();
    const answers = await Promise.all([s.origins.allows('https://hub.example.com'), s.origins.allows('https://x.example'), s.origins.allows('http://127.0.0.1:9')]);
    expect([answers, s.reads()]).toEqual([[true, false, true], 1]);
  });
});

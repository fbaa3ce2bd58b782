import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import express from 'express';
import { ConfigError, loadConfig } from '../../src/config/app-config.js';

const BASE = { NODE_ENV: 'test', ADMIN_API_KEY: 'config-test-admin-key-0123456789', SECRETS_KEYS: `t1:${Buffer.alloc(32, 7).toString('base64')}` };
const load = (env: Record<string, string>) => loadConfig({ ...BASE, ...env });

/** The problems a configuration is refused with (none: accepted). */
function problems(env: Record<string, string>): string[] {
  try {
    load(env);
    return [];
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
}

const ENTRY = 'an IP address, a CIDR (address/prefix length or, for IPv4, address/netmask) or one of loopback, linklocal, uniquelocal';
const ANY = `true, false, a hop count (a whole number), ${ENTRY}`;

/** Boot-time configuration: every bad value is refused with one line naming the variable, never a stack trace. */
describe('configuration', () => {
  it.each([
    ['garbage', `TRUST_PROXY: 'garbage' is not ${ANY}`],
    ['-1', `TRUST_PROXY: '-1' is not ${ANY}`],
    ['1.5', `TRUST_PROXY: '1.5' is not ${ANY}`],
    ['TRUE', `TRUST_PROXY: 'TRUE' is not ${ANY}`],
    ['10.0.0.0/33', "TRUST_PROXY: '10.0.0.0/33': the prefix length must be 1 to 32"],
    ['10.0.0.0/0', "TRUST_PROXY: '10.0.0.0/0': the prefix length must be 1 to 32"],
    ['10.0.0.0/', "TRUST_PROXY: '10.0.0.0/': the prefix length must be 1 to 32"],
    ['fe80::/129', "TRUST_PROXY: 'fe80::/129': the prefix length must be 1 to 128"],
    ['::1/255.0.0.0', "TRUST_PROXY: '::1/255.0.0.0': the prefix length must be 1 to 128"],
    ['10.0.0.0/255.0.255.0', "TRUST_PROXY: '10.0.0.0/255.0.255.0': the netmask is not contiguous"],
    ['loopback,foo', `TRUST_PROXY: 'foo' is not ${ENTRY}`],
    ['loopback/8', `TRUST_PROXY: 'loopback/8' is not ${ANY}`],
    ['10.0.0.1, 2', `TRUST_PROXY: '2' is not ${ENTRY}`],
    ['999.0.0.1', `TRUST_PROXY: '999.0.0.1' is not ${ANY}`],
    // An empty list would trust no proxy while looking like a list; an empty entry may be one left out.
    [',', "TRUST_PROXY: ',' lists no proxy: give false to trust none, or the proxies' addresses"],
    [' , ', "TRUST_PROXY: ',' lists no proxy: give false to trust none, or the proxies' addresses"],
    [',,', "TRUST_PROXY: ',,' lists no proxy: give false to trust none, or the proxies' addresses"],
    ['10.0.0.1,,10.0.0.2', "TRUST_PROXY: '10.0.0.1,,10.0.0.2' has an empty entry (two commas together, or one at an end)"],
    ['loopback,10.0.0.0/8, 2001:db8::/32,', "TRUST_PROXY: 'loopback,10.0.0.0/8, 2001:db8::/32,' has an empty entry (two commas together, or one at an end)"],
    [', loopback', "TRUST_PROXY: ', loopback' has an empty entry (two commas together, or one at an end)"],
  ])('TRUST_PROXY=%j is refused naming it', (value, problem) => {
    expect(problems({ TRUST_PROXY: value })).toEqual([problem]);
  });

  it.each([
    ['false', false],
    ['true', true],
    [' ', false],
    ['0', 0],
    ['2', 2],
    ['127.0.0.1', ['127.0.0.1']],
    ['::1', ['::1']],
    ['::ffff:10.0.0.1', ['::ffff:10.0.0.1']],
    ['10.0.0.0/8', ['10.0.0.0/8']],
    ['10.0.0.0/32', ['10.0.0.0/32']],
    ['10.0.0.0/255.0.0.0', ['10.0.0.0/255.0.0.0']],
    ['192.168.1.1/255.255.255.255', ['192.168.1.1/255.255.255.255']],
    ['fe80::/10', ['fe80::/10']],
    ['2001:db8::/128', ['2001:db8::/128']],
    ['loopback', ['loopback']],
    ['loopback, linklocal,uniquelocal', ['loopback', 'linklocal', 'uniquelocal']],
    ['loopback,10.0.0.0/8, 2001:db8::/32', ['loopback', '10.0.0.0/8', '2001:db8::/32']],
  ])('TRUST_PROXY=%j is accepted, and Express takes what it becomes', (value, expected) => {
    const config = load({ TRUST_PROXY: value });
    expect(config.trustProxy).toEqual(expected);
    expect(() => express().set('trust proxy', config.trustProxy)).not.toThrow();
  });

  it('TRUST_PROXY unset is false', () => {
    expect(load({}).trustProxy).toBe(false);
  });

  it('PUBLIC_URL: a URL of another scheme is refused as such, not as an invalid URL', () => {
    expect(problems({ PUBLIC_URL: 'ftp://x.example' })).toEqual(['PUBLIC_URL: must be an http:// or https:// URL']);
    expect(problems({ PUBLIC_URL: 'not a url' })).toEqual(['PUBLIC_URL: Invalid URL']);
    expect(load({ PUBLIC_URL: 'https://sso.example.test/' }).publicUrl).toBe('https://sso.example.test');
  });

  it('PUBLIC_URL: a query, a fragment or credentials are refused (it is the issuer, published in discovery)', () => {
    for (const v of ['https://sso.example.test/broker?x=1', 'https://sso.example.test/?', 'https://sso.example.test/#frag', 'https://sso.example.test#']) {
      expect(problems({ PUBLIC_URL: v })).toEqual(["PUBLIC_URL: must have no query or fragment (it is the issuer of this service's tokens)"]);
    }
    for (const v of ['https://user:pw@sso.example.test', 'https://user@sso.example.test/broker', 'https://:pw@sso.example.test']) {
      expect(problems({ PUBLIC_URL: v })).toEqual(['PUBLIC_URL: must not contain a user name or password (it is published as the issuer)']);
    }
    // Backslashes read as slashes (WHATWG URL): the credentials are still found.
    expect(problems({ PUBLIC_URL: 'https:\\\\user:pw@sso.example.test' })).toContain('PUBLIC_URL: must not contain a user name or password (it is published as the issuer)');
    expect(load({ PUBLIC_URL: 'https://sso.example.test/broker/' }).publicUrl).toBe('https://sso.example.test/broker');
    expect(load({ PUBLIC_URL: 'http://127.0.0.1:8080' }).publicUrl).toBe('http://127.0.0.1:8080');
  });

  it.each([' ', 'abc', '1.5', '60s', '0x40', '1e3', '++2', '+-2', '+ 2'])('a numeric setting given %j must be a whole number', (value) => {
    expect(problems({ ACCESS_TOKEN_TTL_S: value, PORT: value, DATABASE_POOL_SIZE: value })).toEqual([
      'PORT: must be a whole number',
      'DATABASE_POOL_SIZE: must be a whole number',
      'ACCESS_TOKEN_TTL_S: must be a whole number',
    ]);
  });

  it('a whole number out of bounds is one line naming the setting\'s bounds; a sign and blanks around one are taken', () => {
    expect(problems({ ACCESS_TOKEN_TTL_S: '59' })).toEqual(['ACCESS_TOKEN_TTL_S: must be a whole number from 60 to 3600']);
    expect(problems({ ACCESS_TOKEN_TTL_S: '-5' })).toEqual(['ACCESS_TOKEN_TTL_S: must be a whole number from 60 to 3600']);
    expect(problems({ PORT: '65536' })).toEqual(['PORT: must be a whole number from 0 to 65535']);
    // Beyond 2^53 (not also zod's "Too big: expected int"), and beyond what a double holds (Infinity to Number).
    for (const huge of ['99999999999999999999', '-99999999999999999999', '9'.repeat(400)]) {
      expect([huge, problems({ OUTBOUND_RETRIES: huge })]).toEqual([huge, ['OUTBOUND_RETRIES: must be a whole number from 0 to 3']]);
    }
    expect(load({ ACCESS_TOKEN_TTL_S: ' 120 ' }).env.ACCESS_TOKEN_TTL_S).toBe(120);
    expect(load({ OUTBOUND_RETRIES: '+2' }).env.OUTBOUND_RETRIES).toBe(2);
    expect(load({ OUTBOUND_RETRIES: ' -0 ' }).env.OUTBOUND_RETRIES).toBe(0);
    expect(load({}).env.ACCESS_TOKEN_TTL_S).toBe(300);
  });

  it('the service started with a bad TRUST_PROXY exits 1 with the line naming it, no stack trace', () => {
    // dist is built by test/run-tests.mjs (the type-check step).
    const r = spawnSync(process.execPath, [join(process.cwd(), 'dist', 'src', 'main.js')], {
      env: { PATH: process.env.PATH, ...BASE, DATA_DIR: join(process.cwd(), '.test-tmp', 'data'), TRUST_PROXY: 'garbage' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect({ status: r.status, stdout: r.stdout, stderr: r.stderr }).toEqual({
      status: 1,
      stdout: '',
      stderr: `Invalid configuration:\n  - TRUST_PROXY: 'garbage' is not ${ANY}\n`,
    });
  });
});

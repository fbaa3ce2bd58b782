import type { INestApplication } from '@nestjs/common';
import { DataSource } from 'typeorm';

type Client = { query: (...a: unknown[]) => unknown; [k: symbol]: true | undefined };
interface Pool { on(e: 'acquire', f: (c: Client) => void): void; off(e: 'acquire', f: (c: Client) => void): void }
const wrapped = Symbol('statement-recorder');
const active = new Set<string[]>();

/**
 * Every statement the service sends while `during` runs, whatever path it takes (TypeORM or the pg pool):
 * each passes a pooled client of the service's data source. Returns them as a round-trip count would see them.
 */
export async function statementsDuring(app: INestApplication, during: () => Promise<void>): Promise<string[]> {
  const pool = (app.get(DataSource).driver as unknown as { master: Pool }).master;
  const statements: string[] = [];
  const record = (client: Client) => {
    if (client[wrapped]) return;
    const query = client.query;
    client.query = function (this: unknown, q: unknown, ...rest: unknown[]) {
      for (const list of active) list.push(typeof q === 'string' ? q : (q as { text: string }).text);
      return query.call(this, q, ...rest);
    };
    client[wrapped] = true;
  };
  active.add(statements);
  pool.on('acquire', record);
  try {
    await during();
  } finally {
    active.delete(statements);
    pool.off('acquire', record);
  }
  return statements;
}

/** The sign-in callback's statements by kind: 'login state', 'provisioning', or the start of anything else. */
export const statementKinds = (statements: string[]) =>
  statements.map((q) => (/login_states/.test(q) ? 'login state' : /^\s*WITH\s+snap AS/.test(q) ? 'provisioning' : q.trim().slice(0, 80)));

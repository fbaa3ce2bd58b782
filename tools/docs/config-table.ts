import { readFileSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import { envSchema } from '../../src/config/env.schema.js';

/** The README's configuration table, generated from the environment schema (the single source). */
export function configTable(): string {
  const rows = Object.entries(envSchema.shape).map(([name, schema]) => {
    const s = schema as z.ZodType;
    const json = z.toJSONSchema(s, { io: 'input', unrepresentable: 'any' }) as {
      default?: unknown; enum?: unknown[]; type?: string; minimum?: number; maximum?: number; minLength?: number;
    };
    const def = json.default === undefined ? '' : `\`${String(json.default)}\``;
    const values = json.enum ? json.enum.map((v) => `\`${String(v)}\``).join(', ') : '';
    // The bounds the schema enforces, so the table never disagrees with what start-up refuses.
    const bounds = json.type === 'integer' ? `A whole number from ${json.minimum} to ${json.maximum}.`
      : json.minLength ? `At least ${json.minLength} characters.` : '';
    return `| \`${name}\` | ${def} | ${[s.description ?? '', values && `One of ${values}.`, bounds].filter(Boolean).join(' ')} |`;
  });
  return ['| variable | default | meaning |', '|---|---|---|', ...rows].join('\n');
}

export const START = '<!-- config-table:start -->';
export const END = '<!-- config-table:end -->';

export function readmeWithTable(readme: string): string {
  const i = readme.indexOf(START);
  const j = readme.indexOf(END);
  if (i < 0 || j < i) throw new Error('README has no config-table markers');
  return `${readme.slice(0, i + START.length)}\n${configTable()}\n${readme.slice(j)}`;
}

if (process.argv[1]?.endsWith('config-table.js')) {
  writeFileSync('README.md', readmeWithTable(readFileSync('README.md', 'utf8')));
}

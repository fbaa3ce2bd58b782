import { readFileSync, writeFileSync } from 'node:fs';
import { fieldDefaults } from '../../src/provisioning/fields/field-names.js';
import { fieldTable, setRows } from '../../src/provisioning/fields/field-table.js';

/** The README's table of provisioned fields, generated from the field table itself (so it is what runs). */
export function fieldTableMarkdown(): string {
  const code = (s: string) => `\`${s}\``;
  const rows = fieldTable.map((r) => {
    const claims = fieldDefaults[r.field].map(code).join(', then ');
    const rule = [
      r.required === 'always' ? 'required' : r.required === 'on-create' ? 'required for a new user' : '',
      r.rule,
      r.byHand ? '' : 'not settable by hand',
    ].filter(Boolean).join('; ');
    return `| ${code(r.field)} | ${claims} | ${r.format.describe} | ${r.format.bound} | ${rule} |`;
  });
  const sets = setRows.map((r) => `| ${code(r.field)} | ${code(r.claim)} | ${r.format} | ${r.bound} | ${r.rule} |`);
  return ['| field | claim (default) | format | bound | rule |', '|---|---|---|---|---|', ...rows, ...sets].join('\n');
}

export const START = '<!-- field-table:start -->';
export const END = '<!-- field-table:end -->';

export function readmeWithFieldTable(readme: string): string {
  const i = readme.indexOf(START);
  const j = readme.indexOf(END);
  if (i < 0 || j < i) throw new Error('README has no field-table markers');
  return `${readme.slice(0, i + START.length)}\n${fieldTableMarkdown()}\n${readme.slice(j)}`;
}

if (process.argv[1]?.endsWith('field-table.js')) {
  writeFileSync('README.md', readmeWithFieldTable(readFileSync('README.md', 'utf8')));
}

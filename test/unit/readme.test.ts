import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { configTable, readmeWithTable } from '../../tools/docs/config-table.js';

describe('README', () => {
  it('documents every environment variable exactly as the schema declares it (regenerate: npm run docs)', () => {
    const readme = readFileSync('README.md', 'utf8');
    expect(readme).toBe(readmeWithTable(readme));
  });

  it('gives the bounds start-up enforces', () => {
    const table = configTable();
    expect(table).toContain('| `ACCESS_TOKEN_TTL_S` | `300` | Lifetime of access tokens issued to apps. A whole number from 60 to 3600. |');
    expect(table).toContain('| `PORT` | `3000` | HTTP port to listen on. A whole number from 0 to 65535. |');
    expect(table).toMatch(/\| `OPS_TOKEN` \|  \| .* At least 24 characters\. \|/);
  });

  it('gives the test command .ci/run runs', () => {
    expect(readFileSync('README.md', 'utf8')).toContain('npm test');
    expect(readFileSync('.ci/run', 'utf8')).toMatch(/^npm test$/m);
  });
});

import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { readmeWithTable } from '../../tools/docs/config-table.js';

describe('README', () => {
  it('documents every environment variable exactly as the schema declares it (regenerate: npm run docs)', () => {
    const readme = readFileSync('README.md', 'utf8');
    expect(readme).toBe(readmeWithTable(readme));
  });

  it('gives the test command .ci/run runs', () => {
    expect(readFileSync('README.md', 'utf8')).toContain('npm test');
    expect(readFileSync('.ci/run', 'utf8')).toMatch(/^npm test$/m);
  });
});

import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { readmeWithFieldTable } from '../../../tools/docs/field-table.js';

describe('README', () => {
  it('documents every provisioned field exactly as the field table implements it (regenerate: npm run docs)', () => {
    const readme = readFileSync('README.md', 'utf8');
    expect(readme).toBe(readmeWithFieldTable(readme));
  });
});

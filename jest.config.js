/** Jest in native ESM mode (NestJS 12 is ESM-only). Run it through `npm test` (test/run-tests.mjs). */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json', diagnostics: false }] },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  testTimeout: 60000,
  maxWorkers: 2,
  // test/progress-reporter.mjs tells test/run-tests.mjs' watchdog which files are running.
  reporters: ['default', '<rootDir>/test/progress-reporter.mjs'],
};

/** @type {import('jest').Config} */
// `npm run test:cluster`: the production topology (PostgreSQL, the Temporal server, two APIs, two workers) per test
// file, one file at a time: each brings up and tears down its own cluster.
module.exports = {
  testEnvironment: '<rootDir>/test/setup/environment.ts',
  roots: ['<rootDir>/test/cluster'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
  setupFiles: ['<rootDir>/test/setup/quiet-runtime.ts'],
  globalSetup: '<rootDir>/test/cluster/global-setup.ts',
  maxWorkers: 1,
  testTimeout: 600_000,
  verbose: true,
};

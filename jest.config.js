/** @type {import('jest').Config} */
module.exports = {
  // Node's environment, printing the SDK's held log under a failing test only (test/setup/environment.ts).
  testEnvironment: '<rootDir>/test/setup/environment.ts',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // The production topology has its own run, `npm run test:cluster` (jest.cluster.config.js).
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/cluster/'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
  setupFiles: ['<rootDir>/test/setup/quiet-runtime.ts'],
  globalSetup: '<rootDir>/test/setup/global-setup.ts',
  globalTeardown: '<rootDir>/test/setup/global-teardown.ts',
  // Two cores: two workers keep the shared dev server busy without starving it.
  maxWorkers: 2,
  testTimeout: 60_000,
  verbose: true,
};

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
  // Three workers on two cores: a test file spends much of its time waiting (on the shared dev server, a child
  // process, a rate limit's second), so a third keeps both cores busy. Measured here: jest 315–323 s with 1.75 of 2
  // cores busy, against 395–441 s and 1.5 with two workers (docs/performance.md, P12).
  maxWorkers: 3,
  testTimeout: 60_000,
  verbose: true,
};

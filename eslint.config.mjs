import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importX, { createNodeResolver } from 'eslint-plugin-import-x';

const nodeBuiltins = [
  'assert',
  'buffer',
  'child_process',
  'cluster',
  'crypto',
  'dgram',
  'dns',
  'events',
  'fs',
  'http',
  'http2',
  'https',
  'net',
  'os',
  'path',
  'perf_hooks',
  'process',
  'readline',
  'stream',
  'timers',
  'tls',
  'url',
  'util',
  'v8',
  'vm',
  'worker_threads',
  'zlib',
];

// The SDK's internals (`@temporalio/common/lib/...`) are not its public API and move between releases.
const deepTemporalImport = {
  group: ['@temporalio/*/lib', '@temporalio/*/lib/*'],
  message: "Import from the package's public entry point; internal lib/ paths move between releases.",
};

// Stand-in code (the sandbox, and each system's stand-in) is for development and tests: production modules never
// import it, so no production process loads it. Only the sandbox, `npm start` (src/dev), the stand-ins themselves,
// tests and scripts may.
const standInImport = {
  group: ['**/sandbox', '**/sandbox/*', '**/stand-in', '**/*-stand-in'],
  message: 'Production code must not import stand-in code (src/sandbox, src/systems/<name>/stand-in.ts).',
};

// The floors of src/, from the ground up: a module imports only from its own floor and those below, so imports run
// one way (docs/extending.md, "How the code is laid out"). kit is the framework and knows no integration; systems and
// sources are one folder each; flows use systems' types; the registry lists all three; everything after it is a
// composition root over the registry; the catalog reads the API and the CLI to document them.
const FLOORS = [
  ['domain', 'printable.ts', 'redaction.ts', 'expected-error.ts', 'http', 'temporal'],
  ['contracts', 'logger.ts', 'tracing'],
  ['kit'],
  ['systems', 'sources'],
  ['flows'],
  ['registry.ts'],
  ['config'],
  ['schedules', 'sandbox'],
  ['ops', 'worker'],
  ['api', 'deploy'],
  ['catalog'],
  ['dev'],
];
const floorZones = FLOORS.slice(0, -1).map((floor, i) => ({
  target: floor.map((p) => `./src/${p}`),
  from: FLOORS.slice(i + 1)
    .flat()
    .map((p) => `./src/${p}`),
  message: `src/${floor.join(', src/')} must not import a higher floor (the FLOORS list in eslint.config.mjs).`,
}));

export default tseslint.config(
  {
    ignores: [
      'node_modules',
      'dist',
      '.data',
      '.cache',
      'coverage',
      'test/artifacts',
      'scripts/*.js',
      'scripts/*.d.ts',
      'src/dev/provision-temporal.js',
      'src/dev/provision-temporal.d.ts',
      'src/dev/provision-cluster.js',
      'src/dev/provision-cluster.d.ts',
      'src/dev/provision-schemathesis.js',
      'src/dev/provision-schemathesis.d.ts',
      'src/dev/provision-tools.js',
      'src/dev/provision-tools.d.ts',
      '*.config.js',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    plugins: { 'import-x': importX },
    // Resolve extensionless TypeScript imports, so path and dependency rules see every import.
    settings: {
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.js', '.json', '.d.ts'] })],
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
      'import-x/no-cycle': 'error',
      'import-x/no-extraneous-dependencies': ['error', { devDependencies: false }],
      // Folders import one way: src never reaches into scripts/ or test/, scripts never into test/, and no floor of
      // src imports a higher one (FLOORS above).
      'import-x/no-restricted-paths': [
        'error',
        {
          zones: [
            { target: './src', from: './scripts', message: 'src/ must not import scripts/.' },
            { target: './src', from: './test', message: 'src/ must not import test/.' },
            { target: './scripts', from: './test', message: 'scripts/ must not import test/.' },
            ...floorZones,
          ],
        },
      ],
      'no-restricted-imports': ['error', { patterns: [deepTemporalImport, standInImport] }],
    },
  },
  {
    files: [
      'src/sandbox/**/*.ts',
      'src/dev/**/*.ts',
      'src/kit/stand-in.ts',
      'src/kit/*-stand-in.ts',
      'src/systems/*/stand-in.ts',
      'src/systems/*/*-stand-in.ts',
      'src/systems/*/*/stand-in.ts',
      'src/systems/*/*/*-stand-in.ts',
    ],
    rules: { 'no-restricted-imports': ['error', { patterns: [deepTemporalImport] }] },
  },
  {
    // Tests and scripts may use development dependencies (the senders' libraries, jest, fast-check).
    files: ['test/**/*.ts', 'scripts/**/*.ts'],
    rules: {
      'import-x/no-extraneous-dependencies': ['error', { devDependencies: true }],
      'no-restricted-imports': ['error', { patterns: [deepTemporalImport] }],
    },
  },
  {
    // Workflow code is replayed deterministically inside an isolate: no Node built-ins, no I/O. Everything in src/flows
    // is workflow code except each flow's declaration (flow.ts) and idempotency keys (keys.ts), which the bundle never
    // loads.
    files: ['src/flows/**/*.ts'],
    ignores: ['src/flows/*/flow.ts', 'src/flows/*/keys.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins
            .flatMap((m) => [m, `node:${m}`])
            .map((name) => ({
              name,
              message: 'Workflows must be deterministic: do I/O in an activity instead.',
            })),
          patterns: [
            deepTemporalImport,
            standInImport,
            {
              group: ['**/systems/**', '**/kit/**', '**/registry', './flow', './keys', '../*/flow', '../*/keys'],
              allowTypeImports: true,
              message:
                'Workflow code imports types only from activities, declarations, keys and the framework: their code ' +
                'is not deterministic and must stay out of the workflow bundle.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);

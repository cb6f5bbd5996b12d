import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { schemathesisPath } from '../../../src/dev/provision-schemathesis.js';
import { ROUTES } from '../../../src/api/v1/openapi';
import { type Stack, startStack } from '../../helpers/stack';
import { apiClients } from './helpers';

// Someone else's reading of our contract: schemathesis generates requests from /api/v1/openapi.json (valid ones, which
// must be accepted, and invalid ones, which must be refused), sends them to the whole service and checks every answer
// against the document, with every check on. Deterministic generation makes the run the same each time (the seed is
// fixed too, for a run without it); schemathesis_hooks.py and schemathesis.toml hold what it needs beyond the document.
const SEED = '2214';
const EXAMPLES_PER_OPERATION = '10';

function runSchemathesis(st: string, args: string[], cwd: string, env: NodeJS.ProcessEnv) {
  return new Promise<{ code: number | null; output: string }>((resolve, reject) => {
    const child = spawn(st, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (output += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (output += c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

describe('the /api/v1 OpenAPI document, fuzzed by schemathesis', () => {
  let stack: Stack;
  const clients = apiClients([
    { name: 'fuzz', scopes: ['orders:write', 'contacts:write', 'contacts:read'], system: 'crm', ratePerSecond: 10_000 },
  ]);
  beforeAll(async () => {
    stack = await startStack({ env: { API_CLIENTS: clients.env } });
  });
  afterAll(() => stack.stop());

  test('every generated request gets an answer the document declares: valid ones accepted, invalid ones refused', async () => {
    const st = schemathesisPath();
    if (!st)
      throw new Error('schemathesis is not provisioned: run `node scripts/provision-schemathesis` (npm test does)');
    // It runs in a directory of its own: nothing it may write lands in the worktree.
    const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-fuzz-'));
    const { code, output } = await runSchemathesis(
      st,
      [
        '--config-file',
        path.join(__dirname, 'schemathesis.toml'),
        'run',
        `${stack.apiUrl}/api/v1/openapi.json`,
        '--checks',
        'all',
        '--seed',
        SEED,
        '--generation-deterministic',
        '--max-examples',
        EXAMPLES_PER_OPERATION,
        '--workers',
        '1',
        '--no-color',
      ],
      workDir,
      {
        ...process.env,
        SCHEMATHESIS_HOOKS: 'schemathesis_hooks',
        PYTHONPATH: __dirname,
        SWITCHYARD_FUZZ_API_KEY: clients.keys.fuzz,
      },
    );
    fs.rmSync(workDir, { recursive: true, force: true });
    if (code !== 0) throw new Error(`schemathesis found problems (exit ${code}):\n${output}`);
    expect(output).toMatch(/No issues found/);
    // Every operation of the document was tested (the document's own URL is not one schemathesis tests).
    expect(Number(/Tested: (\d+)/.exec(output)?.[1])).toBe(ROUTES.filter((r) => !r.public).length);
  }, 180_000);
});

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { provisionTemporal } from '../../src/dev/provision-temporal.js';
import { freePort, startDevServer } from '../../src/dev/temporal-dev-server';
import { FAILURE_CONVERTER_PATH } from '../../src/temporal/codec';
import { prebuildSources } from './prebuild';

// One real Temporal dev server (with its Web UI), one workflow bundle and one compiled copy of src/ (for the child
// processes tests start: ./prebuild.ts) for the whole run. Test files isolate themselves with unique task-queue
// prefixes and workflow ids, so they can share them.
export default async function globalSetup(): Promise<void> {
  const { cli, testServer } = await provisionTemporal({ quiet: true });
  if (cli.type !== 'existing-path' || !testServer || testServer.type !== 'existing-path') {
    throw new Error('the Temporal binaries are not available locally; run `node scripts/provision-temporal`');
  }
  process.env.TEMPORAL_CLI_PATH = cli.path;
  process.env.TEMPORAL_TEST_SERVER_PATH = testServer.path;

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-test-'));
  const uiPort = await freePort();
  const server = await startDevServer({
    cliPath: cli.path,
    port: 0,
    uiPort,
    logFile: path.join(dir, 'temporal-server.log'),
  });
  (globalThis as Record<string, unknown>).__SWITCHYARD_DEV_SERVER__ = server;
  process.env.SWITCHYARD_TEST_TEMPORAL_ADDRESS = server.address;
  process.env.SWITCHYARD_TEST_TEMPORAL_UI_URL = server.uiUrl;
  process.env.SWITCHYARD_TEST_DIR = dir;

  const bundle = await bundleWorkflowCode({
    workflowsPath: require.resolve('../../src/flows/bundle'),
    failureConverterPath: FAILURE_CONVERTER_PATH,
    logger: new DefaultLogger('WARN'),
  });
  const codePath = path.join(dir, 'workflow-bundle.js');
  fs.writeFileSync(codePath, bundle.code);
  process.env.SWITCHYARD_TEST_WORKFLOW_BUNDLE = codePath;

  // Inside the repository, so the compiled files resolve node_modules as src/ does.
  const built = path.resolve(__dirname, '../..', '.cache', `test-build-${path.basename(dir)}`);
  await prebuildSources(built);
  process.env.SWITCHYARD_TEST_BUILD = built;
}

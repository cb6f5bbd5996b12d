import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { provisionPostgres, provisionTemporalServer } from '../../src/dev/provision-cluster.js';
import type { ClusterEnvironment } from './cluster';

const ROOT = path.resolve(__dirname, '../..');

// Once per `npm run test:cluster`: PostgreSQL's binaries and the Temporal server (cached per version; the script
// provisions them before jest starts, so this only resolves them), `npm run build` into .cache/cluster-build, and
// one workflow bundle from that build for every worker process (WORKFLOW_BUNDLE_PATH, as a deployment may ship it).
export default async function globalSetup(): Promise<void> {
  const pg = await provisionPostgres({ quiet: true });
  const server = await provisionTemporalServer({ quiet: true });
  const build = path.join(ROOT, '.cache', 'cluster-build');
  await promisify(execFile)('npm', ['run', 'build', '--', '--outDir', build], { cwd: ROOT });
  const codec = (await import(path.join(build, 'src/temporal/codec.js'))) as { FAILURE_CONVERTER_PATH: string };
  const bundled = await bundleWorkflowCode({
    workflowsPath: require.resolve(path.join(build, 'src/flows/bundle')),
    failureConverterPath: codec.FAILURE_CONVERTER_PATH,
    logger: new DefaultLogger('WARN'),
  });
  const bundle = path.join(build, 'workflow-bundle.js');
  fs.writeFileSync(bundle, bundled.code);
  const env: ClusterEnvironment = { build, bundle, pgBinDir: pg.binDir, server };
  process.env.SWITCHYARD_CLUSTER_ENV = JSON.stringify(env);
}

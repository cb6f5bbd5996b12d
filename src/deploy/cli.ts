import os from 'node:os';
import { Client, Connection } from '@temporalio/client';
import { Command } from 'commander';
import { readVariable } from '../config';
import { connectionOptions, resolveTemporalTarget } from '../temporal/connection';
import { deploymentStatus, rampVersion, setCurrentVersion, type DeploymentStatus } from './versions';

// `npm run deploy -- status|set-current <buildId>|ramp <buildId> <percent>`: Worker Versioning for the deployment
// named WORKER_DEPLOYMENT_NAME, against the configured Temporal namespace.

const identity = `switchyard-deploy/${os.userInfo().username}@${os.hostname()}`;

async function withClient<T>(fn: (client: Client, deployment: string) => Promise<T>): Promise<T> {
  // Where Temporal is and the deployment's name: an operator's shell needs neither the services' secrets nor keys.
  const deployment = readVariable('WORKER_DEPLOYMENT_NAME');
  const target = resolveTemporalTarget({ temporal: { namespace: 'default' } }, process.env);
  const connection = await Connection.connect(connectionOptions(target));
  try {
    return await fn(new Client({ connection, namespace: target.namespace, identity }), deployment);
  } finally {
    await connection.close();
  }
}

function printStatus(s: DeploymentStatus, json: boolean): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(s, null, 2)}\n`);
    return;
  }
  const lines = [
    `deployment ${s.deployment}: current ${s.current ?? '(none: new executions wait for unversioned workers)'}` +
      (s.ramping ? `, ramping ${s.ramping.buildId} at ${s.ramping.percent} %` : ''),
    'build id                          status     drainage   pinned running',
    ...s.versions.map(
      (v) =>
        `${v.buildId.padEnd(34)}${v.status.padEnd(11)}${(v.drainage ?? '-').padEnd(11)}${v.pinnedRunning}` +
        (v.pinnedRunning === 0 && v.buildId !== s.current && v.buildId !== s.ramping?.buildId
          ? '   (its workers may stop)'
          : ''),
    ),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

const program = new Command('deploy').description('Worker Versioning: which worker version runs which executions');
program
  .command('status')
  .description('versions, the current and ramping one, and the executions still pinned to each')
  .option('--json', 'print JSON')
  .action((opts: { json?: boolean }) =>
    withClient(async (client, deployment) => printStatus(await deploymentStatus(client, deployment), !!opts.json)),
  );
program
  .command('set-current <buildId>')
  .description('send every new execution to this version (pinned running ones stay where they are)')
  .action((buildId: string) =>
    withClient(async (client, deployment) => {
      await setCurrentVersion(client, deployment, buildId, identity);
      printStatus(await deploymentStatus(client, deployment), false);
    }),
  );
program
  .command('ramp <buildId> <percent>')
  .description('send this percentage of new executions to the version (0 stops the ramp)')
  .action((buildId: string, percent: string) =>
    withClient(async (client, deployment) => {
      await rampVersion(client, deployment, buildId, Number(percent), identity);
      printStatus(await deploymentStatus(client, deployment), false);
    }),
  );

program.parseAsync().catch((err: unknown) => {
  process.stderr.write(`deploy: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});

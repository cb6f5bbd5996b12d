import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection, WorkflowFailedError } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import { loadConfig } from '../../src/config';
import { startDevServer } from '../../src/dev/temporal-dev-server';
import { createLogger } from '../../src/logger';
import { historyToJson } from '../../src/ops/history-json';
import { dataConverterFor } from '../../src/temporal/codec';
import { faultsSchema } from '../../src/kit/stand-in';
import { createSandbox, sandboxEnv, sandboxKeys } from '../../src/sandbox/server';
import { createWorkers } from '../../src/worker/workers';
import * as workflows from '../../src/flows/bundle';
import { queueFor } from '../../src/contracts/task-queues';
import { provisionTemporal } from '../../src/dev/provision-temporal.js';
import { flowFolder, type Harness, recordingOf, SCENARIOS } from '../flows/recording';

// `npm run record-histories`: runs every workflow type through its scenarios on a dev server of its own and writes
// each history to test/replay/histories/<workflowType>/<scenario>.json, which `npm test` replays against the current
// code. Files it does not produce (e.g. a history kept from before a patched() change) are left alone. Each flow's
// scenarios and how to drive them are its recording, test/flows/<flow folder>/recording.ts.

const OUT_DIR = path.resolve(__dirname, 'histories');

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const { cli } = await provisionTemporal({ quiet: true, cliOnly: true });
  if (cli.type !== 'existing-path') throw new Error('no Temporal CLI: run `node scripts/provision-temporal`');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-record-'));
  const server = await startDevServer({ cliPath: cli.path, port: 0, logFile: path.join(tmp, 'temporal.log') });
  const stops: Array<() => Promise<unknown>> = [() => server.stop()];
  try {
    const probe = loadConfig({ NODE_ENV: 'test' });
    const sandbox = createSandbox(sandboxKeys(probe));
    const { server: sandboxServer, url } = await sandbox.listen(0);
    stops.push(() => new Promise((r) => sandboxServer.close(r)));
    const baseEnv = {
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      ...sandboxEnv(url, sandboxKeys(probe)),
    };
    const config = loadConfig({
      ...baseEnv,
      TASK_QUEUE_PREFIX: 'record-',
      // A credential the credential check alerts on (expiring in a week): test/flows/credential-check/recording.ts.
      ADMIN_TOKEN: 'record-admin-token-0123456789',
      CREDENTIAL_DATES: JSON.stringify({
        ADMIN_TOKEN: { expires: new Date(Date.now() + 7 * 86_400_000).toISOString().slice(0, 10) },
      }),
    });
    const nativeConnection = await NativeConnection.connect({ address: server.address });
    stops.push(() => nativeConnection.close());
    const workers: Worker[] = await createWorkers({
      connection: nativeConnection,
      namespace: server.namespace,
      config,
      logger: createLogger({ level: 'warn' }),
    });
    const running = Promise.all(workers.map((w) => w.run()));
    stops.push(async () => {
      for (const w of workers) w.shutdown();
      await running;
    });
    const connection = await Connection.connect({ address: server.address });
    stops.push(() => connection.close());
    // Recorded as the service writes them: encrypted with the development key the replay tests derive too.
    const client = new Client({ connection, namespace: server.namespace, dataConverter: dataConverterFor(config) });

    const harness: Harness = {
      config,
      sandbox,
      client,
      faults(system, faults) {
        sandbox.systems[system]!.setFaults(faultsSchema.parse(faults));
      },
      failAlerts(n) {
        sandbox.systems.alerts.setFaults(faultsSchema.parse({ failNext: n }));
      },
      async start(type, args, ids) {
        const handle = await client.workflow.start(type, {
          args,
          workflowId: ids.workflowId,
          taskQueue: queueFor(config.temporal.taskQueuePrefix, 'orchestration'),
          ...(ids.searchAttributes ? { typedSearchAttributes: ids.searchAttributes } : {}),
        });
        const done = handle.result().then(
          () => undefined,
          (err: unknown) => {
            if (!(err instanceof WorkflowFailedError)) throw err;
          },
        );
        return { done };
      },
      async run(type, args, ids) {
        await (
          await this.start(type, args, ids)
        ).done;
      },
      async deployment(env) {
        deployments += 1;
        const other = loadConfig({ ...baseEnv, TASK_QUEUE_PREFIX: `record-${deployments}-`, ...env });
        const extra = await createWorkers({
          connection: nativeConnection,
          namespace: server.namespace,
          config: other,
          logger: createLogger({ level: 'warn' }),
        });
        const runningExtra = Promise.all(extra.map((w) => w.run()));
        stops.push(async () => {
          for (const w of extra) w.shutdown();
          await runningExtra;
        });
        return { config: other };
      },
    };
    let deployments = 0;

    const missing: string[] = [];
    let written = 0;
    // `npm run record-histories -- throttleGate …` records only the named types and leaves the others' files alone;
    // `orderPaid:invoice-conflict` only that scenario (a new one, without re-recording the type's others).
    const named = process.argv.slice(2).map((arg) => arg.split(':') as [string, string?]);
    const only = named.map(([type]) => type);
    const unknown = only.filter((t) => !(t in workflows));
    if (unknown.length) throw new Error(`no workflow type ${unknown.join(', ')}: see FLOWS in src/registry.ts`);
    for (const type of Object.keys(workflows).sort()) {
      if (only.length && !only.includes(type)) continue;
      const recording = recordingOf(type);
      if (!recording) {
        missing.push(type);
        continue;
      }
      fs.mkdirSync(path.join(OUT_DIR, type), { recursive: true });
      const picked = named.filter(([t, scenario]) => t === type && scenario).map(([, scenario]) => scenario!);
      for (const scenario of picked.length ? picked : (recording.scenarios ?? SCENARIOS)) {
        for (const s of Object.values(sandbox.systems)) s?.reset();
        const step = recording.steps[scenario];
        if (!step) throw new Error(`test/flows/${flowFolder(type)}/recording.ts has no ${scenario} scenario`);
        const recorded = await step(harness, `rec-${type}-${scenario}`);
        const { workflowId, runId } =
          typeof recorded === 'string' ? { workflowId: recorded, runId: undefined } : recorded;
        const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
        const file = path.join(OUT_DIR, type, `${scenario}.json`);
        fs.writeFileSync(file, `${JSON.stringify(historyToJson(history), null, 2)}\n`);
        written += 1;
        process.stdout.write(`recorded ${path.relative(process.cwd(), file)} (${history.events?.length} events)\n`);
      }
    }
    process.stdout.write(`${written} histories written under ${path.relative(process.cwd(), OUT_DIR)}\n`);
    if (missing.length) {
      process.stderr.write(
        `no recording for ${missing.join(', ')}: add test/flows/<flow folder>/recording.ts, or the replay test fails\n`,
      );
      process.exitCode = 1;
    }
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`record-histories failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});

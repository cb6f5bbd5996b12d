import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  clusterEnvironment,
  type Cluster,
  deliver,
  newEvents,
  type Part,
  setFaults,
  startCluster,
  until,
} from './cluster';

const exec = promisify(execFile);

// A deploy under Worker Versioning on the real server, run as an operator would: version a's workers serve flows
// blocked on a slow accounting; version b's workers start and `npm run deploy -- set-current b` makes b current;
// a's executions finish on a, new events run on b, and `deploy status` shows a drained before a's workers stop.
let cluster: Cluster;

beforeAll(async () => {
  cluster = await startCluster({ apis: 1, workers: 0 });
}, 300_000);

afterAll(async () => {
  await cluster?.stop();
});

interface Status {
  current?: string;
  versions: Array<{ buildId: string; pinnedRunning: number; status: string }>;
}

/** `npm run deploy -- <args>` from the build, from an operator's shell: where Temporal is, and no secret. */
async function deploy(...args: string[]): Promise<string> {
  const { stdout } = await exec(
    process.execPath,
    [path.join(clusterEnvironment().build, 'src/deploy/cli.js'), ...args],
    {
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'production',
        TEMPORAL_ADDRESS: cluster.env.TEMPORAL_ADDRESS,
        TEMPORAL_NAMESPACE: 'default',
      },
    },
  );
  return stdout;
}

const status = async () => JSON.parse(await deploy('status', '--json')) as Status;

async function startVersion(buildId: string): Promise<Part[]> {
  const env = { WORKER_DEPLOYMENT_NAME: 'switchyard', WORKER_BUILD_ID: buildId };
  const workers = [await cluster.startWorker(env), await cluster.startWorker(env)];
  // A version exists once its workers have polled; set-current succeeds once the server knows all of its queues.
  await until(
    `deploy set-current ${buildId}`,
    () =>
      deploy('set-current', buildId).then(
        () => true,
        () => undefined,
      ),
    90_000,
  );
  return workers;
}

const versionOf = async (eventId: string) => {
  const { raw } = await cluster.client.workflow.getHandle(`shop:${eventId}`).describe();
  return raw.workflowExecutionInfo?.versioningInfo?.deploymentVersion?.buildId;
};

test('pinned flows finish on version a after b is made current; new events run on b; status shows a drained', async () => {
  const a = await startVersion('a');
  await setFaults(cluster, 'accounting', { holdPaths: ['/invoices'] });
  const onA = newEvents(5, 'va');
  for (const e of onA) expect((await deliver(cluster, cluster.apis[0]!, e.eventId, e.orderId)).status).toBe(202);
  await until(
    '5 createInvoice calls held at accounting',
    async () => cluster.sandbox.systems.accounting.heldCount >= 5 || undefined,
    60_000,
  );

  await startVersion('b');
  const during = await until(
    'version a with its 5 pinned executions, b current',
    async () => {
      const s = await status();
      return s.current === 'b' && s.versions.find((v) => v.buildId === 'a')?.pinnedRunning === 5 ? s : undefined;
    },
    60_000,
  );

  const onB = newEvents(5, 'vb');
  for (const e of onB) expect((await deliver(cluster, cluster.apis[0]!, e.eventId, e.orderId)).status).toBe(202);
  await setFaults(cluster, 'accounting', {});
  cluster.sandbox.systems.accounting.release();
  // By status, not result(): the results are encrypted with the deployment's key, which this client does not hold.
  await until(
    'all 10 flows completed',
    async () => {
      const all = await Promise.all(
        [...onA, ...onB].map((e) => cluster.client.workflow.getHandle(`shop:${e.eventId}`).describe()),
      );
      const failed = all.find((d) => d.status.name !== 'RUNNING' && d.status.name !== 'COMPLETED');
      if (failed) throw new Error(`${failed.workflowId} ended ${failed.status.name}`);
      return all.every((d) => d.status.name === 'COMPLETED') || undefined;
    },
    120_000,
  );

  const ranOn = {
    a: await Promise.all(onA.map((e) => versionOf(e.eventId))),
    b: await Promise.all(onB.map((e) => versionOf(e.eventId))),
  };
  const after = await until(
    'version a drained',
    async () => {
      const s = await status();
      return s.versions.find((v) => v.buildId === 'a')?.pinnedRunning === 0 ? s : undefined;
    },
    60_000,
  );
  const exits = await Promise.all(a.map((w) => w.stop('SIGTERM')));
  const invoices = cluster.sandbox.data.accounting.invoices.filter((i) =>
    [...onA, ...onB].some((e) => e.orderId === i.order_id),
  );
  process.stdout.write(
    `\n[cluster] worker versioning: while b current, a pinned ${during.versions.find((v) => v.buildId === 'a')?.pinnedRunning}; ` +
      `ran on ${JSON.stringify(ranOn)}; after: ${JSON.stringify(after.versions)}; invoices ${invoices.length} for 10 orders; ` +
      `a's workers exited ${exits.map((x) => x.code).join(', ')}\n`,
  );
  expect(ranOn).toEqual({ a: onA.map(() => 'a'), b: onB.map(() => 'b') });
  expect(after.current).toBe('b');
  expect(invoices).toHaveLength(10);
  expect(exits.map((x) => x.code)).toEqual([0, 0]);
});

import { NativeConnection, type Worker } from '@temporalio/worker';
import type { Config } from '../../src/config';
import { deploymentStatus, setCurrentVersion } from '../../src/deploy/versions';
import { createLogger } from '../../src/logger';
import { createWorkers } from '../../src/worker/workers';
import { deliver, invoicesFor, newOrders, requestsOf, setFaults, waitFor } from '../resilience/helpers';
import { type Stack, startStack, TEST_ADDRESS, uniqueId } from '../helpers/stack';

// A deploy under Worker Versioning, on the dev server: version a runs flows blocked on a slow accounting; version b
// starts and is made current; a's executions finish on a, new events run on b, and `deploy status` shows a drained.
describe('Worker Versioning', () => {
  let stack: Stack;
  let connection: NativeConnection;
  const runs: Array<{ workers: Worker[]; running: Promise<unknown> }> = [];
  const deployment = `sy-${uniqueId()}`;

  beforeAll(async () => {
    stack = await startStack({ workers: false });
    connection = await NativeConnection.connect({ address: TEST_ADDRESS() });
  });
  afterAll(async () => {
    for (const run of runs) for (const w of run.workers) if (w.getState() === 'RUNNING') w.shutdown();
    await Promise.all(runs.map((r) => r.running.catch(() => undefined)));
    await connection?.close();
    await stack?.stop();
  });

  async function startVersion(buildId: string): Promise<void> {
    const config: Config = {
      ...stack.config,
      worker: { ...stack.config.worker, deploymentName: deployment, buildId },
      schedules: { ...stack.config.schedules, applyOnStart: false },
    };
    const workers = await createWorkers({
      connection,
      namespace: stack.config.temporal.namespace,
      config,
      logger: createLogger({ level: 'silent' }),
      workflowBundle: { codePath: process.env.SWITCHYARD_TEST_WORKFLOW_BUNDLE! } as never,
    });
    runs.push({ workers, running: Promise.all(workers.map((w) => w.run())) });
    // The version exists once its workers have polled; making it current needs every one of its queues known.
    await waitFor(
      `version ${buildId} registered`,
      async () => {
        try {
          const s = await deploymentStatus(stack.client, deployment);
          return s.versions.some((v) => v.buildId === buildId) || undefined;
        } catch {
          return undefined;
        }
      },
      60_000,
    );
    await waitFor(
      `version ${buildId} made current`,
      async () => {
        try {
          await setCurrentVersion(stack.client, deployment, buildId, 'worker-versioning-test');
          return true;
        } catch {
          return undefined;
        }
      },
      60_000,
    );
  }

  const versionOf = async (workflowId: string) => {
    const { raw } = await stack.client.workflow.getHandle(workflowId).describe();
    const info = raw.workflowExecutionInfo?.versioningInfo;
    return { buildId: info?.deploymentVersion?.buildId, behavior: info?.behavior };
  };

  test('a running pinned flow finishes on its version; new events run on the current one; status shows it drained', async () => {
    await startVersion('a');
    await setFaults(stack, 'accounting', { holdPaths: ['/invoices'] });
    const onA = newOrders(3, stack.config.temporal.taskQueuePrefix);
    expect(await Promise.all(onA.map((o) => deliver(stack, o)))).toEqual([202, 202, 202]);
    await waitFor(
      "a's createInvoice calls held at accounting",
      async () => (await requestsOf(stack, 'accounting')).filter((r) => r.status === 0).length === 3,
      60_000,
    );

    await startVersion('b');
    const during = await waitFor('a still has its 3 pinned executions', async () => {
      const s = await deploymentStatus(stack.client, deployment);
      return s.versions.find((v) => v.buildId === 'a')?.pinnedRunning === 3 ? s : undefined;
    });
    expect(during.current).toBe('b');

    const onB = newOrders(3, stack.config.temporal.taskQueuePrefix);
    expect(await Promise.all(onB.map((o) => deliver(stack, o)))).toEqual([202, 202, 202]);
    await setFaults(stack, 'accounting', {});
    await Promise.all([...onA, ...onB].map((o) => stack.client.workflow.getHandle(o.workflowId).result()));

    const PINNED = 1; // temporal.api.enums.v1.VersioningBehavior.VERSIONING_BEHAVIOR_PINNED
    for (const o of onA) expect(await versionOf(o.workflowId)).toEqual({ buildId: 'a', behavior: PINNED });
    for (const o of onB) expect(await versionOf(o.workflowId)).toEqual({ buildId: 'b', behavior: PINNED });
    for (const o of [...onA, ...onB]) expect(invoicesFor(stack, o.orderId)).toHaveLength(1);

    const after = await waitFor('a drained', async () => {
      const s = await deploymentStatus(stack.client, deployment);
      return s.versions.find((v) => v.buildId === 'a')?.pinnedRunning === 0 ? s : undefined;
    });
    expect(after.current).toBe('b');
    expect(after.versions.map((v) => v.buildId)).toEqual(['a', 'b']);
  }, 180_000);
});

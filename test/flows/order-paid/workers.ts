import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { queueFor } from '../../../src/contracts/task-queues';
import { testDataConverter, uniqueId } from '../../helpers/stack';

/**
 * orderPaid's workers on `env` under a prefix of their own: the orchestration queue on the shared bundle, and the
 * accounting, email-platform and alerts queues serving `activities` (stand-ins for, or real, third-party calls).
 * Runs `body` with the prefix, then shuts the workers down; a worker's failure counts only if `body` passed.
 */
export async function withOrderPaidWorkers(
  env: TestWorkflowEnvironment,
  activities: Record<string, (...args: any[]) => Promise<unknown>>,
  body: (prefix: string) => Promise<void>,
): Promise<void> {
  const prefix = `${uniqueId()}-`;
  const workers = await Promise.all([
    Worker.create({
      connection: env.nativeConnection,
      taskQueue: queueFor(prefix, 'orchestration'),
      workflowBundle: { codePath: process.env.SWITCHYARD_TEST_WORKFLOW_BUNDLE! },
      dataConverter: testDataConverter(),
    }),
    ...(['accounting', 'email-platform', 'alerts'] as const).map((system) =>
      Worker.create({
        connection: env.nativeConnection,
        taskQueue: queueFor(prefix, system),
        activities,
        dataConverter: testDataConverter(),
      }),
    ),
  ]);
  let done = false;
  const running = Promise.all(workers.map((w) => w.run()));
  try {
    await body(prefix);
    done = true;
  } finally {
    workers.forEach((w) => w.shutdown());
    await running.catch((err) => {
      if (done) throw err;
    });
  }
}

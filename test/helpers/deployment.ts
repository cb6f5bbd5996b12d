import { type TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { type Config, loadConfig } from '../../src/config/index';
import { createLogger } from '../../src/logger';
import { createSandbox, type Sandbox, sandboxKeys } from '../../src/sandbox/server';
import { createWorkers } from '../../src/worker/workers';
import { queueFor } from '../../src/contracts/task-queues';
import { closeServer, testConfig } from './stack';

export { startTimeSkippingEnv } from './time-skipping';

export interface Deployment {
  sandbox: Sandbox;
  config: Config;
  taskQueue: string;
  stop(): Promise<void>;
}

/**
 * A fresh sandbox and the real workers (every queue, the shared workflow bundle) under a unique task-queue prefix,
 * so each test has its own sync state. Rate limits are raised: these tests are about logic, not pacing.
 */
export async function startDeployment(env: TestWorkflowEnvironment, overrides: Record<string, string> = {}) {
  const probe = loadConfig({ NODE_ENV: 'test' });
  const sandbox = createSandbox(sandboxKeys(probe));
  const { server, url } = await sandbox.listen(0);
  const config = testConfig(url, {
    ACCOUNTING_RATE_LIMIT_PER_SECOND: '1000',
    EMAIL_PLATFORM_RATE_LIMIT_PER_SECOND: '1000',
    CRM_RATE_LIMIT_PER_SECOND: '1000',
    SHOP_RATE_LIMIT_PER_SECOND: '1000',
    STRIPE_RATE_LIMIT_PER_SECOND: '1000',
    ALERTS_RATE_LIMIT_PER_SECOND: '1000',
    ...overrides,
  });
  const workers: Worker[] = await createWorkers({
    connection: env.nativeConnection,
    namespace: 'default',
    config,
    logger: createLogger({ level: config.logLevel }),
    workflowBundle: { codePath: process.env.SWITCHYARD_TEST_WORKFLOW_BUNDLE! } as never,
  });
  const running = Promise.all(workers.map((w) => w.run()));
  const deployment: Deployment = {
    sandbox,
    config,
    taskQueue: queueFor(config.temporal.taskQueuePrefix, 'orchestration'),
    async stop() {
      for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
      await running;
      await closeServer(server);
    },
  };
  return deployment;
}

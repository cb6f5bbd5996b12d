import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { type Config, loadConfig } from '../../src/config';
import { ALL_SEARCH_ATTRIBUTES } from '../../src/domain/search-attributes';
import { createLogger } from '../../src/logger';
import { createSandbox, type Sandbox } from '../../src/sandbox/server';
import { createWorkers } from '../../src/worker/workers';
import { queueFor } from '../../src/workflows/task-queues';
import { closeServer, testConfig } from '../helpers/stack';

/** The time-skipping server, with our search attributes registered as on the dev server. */
export async function startTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: process.env.TEMPORAL_TEST_SERVER_PATH! } },
  });
  await env.connection.operatorService
    .addSearchAttributes({
      namespace: 'default',
      searchAttributes: Object.fromEntries(ALL_SEARCH_ATTRIBUTES.map((k) => [k.name, k.type === 'BOOL' ? 5 : 2])),
    })
    .catch(() => undefined);
  return env;
}

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
  const sandbox = createSandbox({
    accounting: probe.downstream.accounting.apiKey,
    email: probe.downstream.email.apiKey,
    crm: probe.downstream.crm.apiKey,
    shop: probe.downstream.shop.apiKey,
  });
  const { server, url } = await sandbox.listen(0);
  const config = testConfig(url, {
    ACCOUNTING_RATE_LIMIT_PER_SECOND: '1000',
    EMAIL_PLATFORM_RATE_LIMIT_PER_SECOND: '1000',
    CRM_RATE_LIMIT_PER_SECOND: '1000',
    SHOP_RATE_LIMIT_PER_SECOND: '1000',
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

import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { freePort } from '../../src/dev/temporal-dev-server';
import { orderPaidBody, post, signShop } from '../helpers/signing';
import { type Stack, startStack, workerEnv, TEST_ADDRESS, uniqueId } from '../helpers/stack';

/**
 * The API in-process and the worker role as deployed (src/worker/main.ts in its own process, so the SDK's Runtime
 * exports its Prometheus metrics and /metrics merges them), both on the shared dev server.
 */
export async function startScrapedStack(): Promise<{
  stack: Stack;
  workerMetricsUrl: string;
  stop(): Promise<void>;
}> {
  const stack = await startStack({ workers: false });
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'src/worker/main.ts'], {
    cwd: path.resolve(__dirname, '../..'),
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      TEMPORAL_ADDRESS: TEST_ADDRESS(),
      TASK_QUEUE_PREFIX: stack.config.temporal.taskQueuePrefix,
      SCHEDULES_APPLY_ON_START: 'true',
      ...workerEnv(stack.config),
      WORKER_METRICS_PORT: String(port),
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr?.on('data', (chunk: Buffer) => process.stderr.write(`[worker ${child.pid}] ${chunk.toString()}`));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    stack,
    workerMetricsUrl: `http://127.0.0.1:${port}/metrics`,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
      await stack.stop();
    },
  };
}

/** Posts a signed shop order.paid; returns the workflow id it starts. */
export async function deliverOrder(
  stack: Stack,
  eventId = uniqueId('evt_'),
): Promise<{ status: number; workflowId: string }> {
  const secret = stack.config.sources.shop.secrets[0]!;
  const res = await post(
    `${stack.apiUrl}/webhooks/shop`,
    signShop(secret, eventId, orderPaidBody(eventId, uniqueId('ORD-'))),
  );
  await res.arrayBuffer();
  return { status: res.status, workflowId: `shop:${eventId}` };
}

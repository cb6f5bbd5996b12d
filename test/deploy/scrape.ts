import { freePort } from '../../src/dev/temporal-dev-server';
import { orderPaidBody, post, signShop } from '../helpers/signing';
import { type Stack, startStack, spawnWorker, uniqueId } from '../helpers/stack';

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
  const { child, exit } = spawnWorker(stack.config, {
    SCHEDULES_APPLY_ON_START: 'true',
    WORKER_METRICS_PORT: String(port),
  });
  return {
    stack,
    workerMetricsUrl: `http://127.0.0.1:${port}/metrics`,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exit;
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
  return { status: res.status, workflowId: `${stack.config.temporal.taskQueuePrefix}shop:${eventId}` };
}

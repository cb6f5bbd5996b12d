import type { ChildProcess } from 'node:child_process';
import { type Stack, startStack, spawnWorker } from '../helpers/stack';
import { deliver, emailsFor, invoicesFor, newOrders, requestsOf, setFaults, waitFor } from './helpers';

// The worker role as deployed (src/worker/main.ts in its own process), sent SIGTERM while createInvoice is at
// accounting. SHUTDOWN_TIMEOUT_MS=4000: a running activity has 2 s to finish; a longer one is cancelled, its HTTP
// call aborted, and the process still exits 0 in time. A worker started afterwards finishes what is left.
describe('a worker on SIGTERM', () => {
  let stack: Stack;
  const children: ChildProcess[] = [];
  beforeAll(async () => {
    stack = await startStack({ workers: false });
  });
  afterAll(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await stack?.stop();
  });
  beforeEach(async () => {
    await fetch(`${stack.sandboxUrl}/__admin/reset`, { method: 'POST' });
  });

  function startWorker() {
    const worker = spawnWorker(stack.config, { SCHEDULES_APPLY_ON_START: 'false', SHUTDOWN_TIMEOUT_MS: '4000' });
    children.push(worker.child);
    return worker;
  }

  const invoiceCalls = async () =>
    (await requestsOf(stack, 'accounting')).filter((r) => r.method === 'POST' && r.path === '/invoices');

  test('a call that answers within the grace time completes on the stopping worker, which exits 0', async () => {
    const [order] = newOrders(1, stack.config.temporal.taskQueuePrefix);
    await setFaults(stack, 'accounting', { latencyMs: 1000 });
    const first = startWorker();
    expect(await deliver(stack, order!)).toBe(202);
    await waitFor('createInvoice at accounting', async () => (await invoiceCalls()).length === 1, 60_000);

    first.child.kill('SIGTERM');
    expect((await first.exit).code).toBe(0);
    // The call was not repeated: the stopping worker finished it.
    expect(await invoiceCalls()).toHaveLength(1);
    expect(invoicesFor(stack, order!.orderId)).toHaveLength(1);

    const second = startWorker();
    await stack.client.workflow.getHandle(order!.workflowId).result();
    expect(invoicesFor(stack, order!.orderId)).toHaveLength(1);
    expect(emailsFor(stack, order!.orderId)).toHaveLength(1);
    second.child.kill('SIGTERM');
    expect((await second.exit).code).toBe(0);
  }, 120_000);

  test('a call longer than the grace time is cancelled, the worker exits 0 in time, and the next one finishes it', async () => {
    const [order] = newOrders(1, stack.config.temporal.taskQueuePrefix);
    await setFaults(stack, 'accounting', { holdPaths: ['/invoices'] });
    const first = startWorker();
    expect(await deliver(stack, order!)).toBe(202);
    await waitFor('createInvoice held at accounting', async () => (await invoiceCalls()).length === 1, 60_000);

    const signalledAt = Date.now();
    first.child.kill('SIGTERM');
    const { code, at } = await first.exit;
    expect(code).toBe(0);
    expect(at - signalledAt).toBeLessThan(4000);

    const second = startWorker();
    await waitFor('the retried createInvoice', async () => (await invoiceCalls()).length === 2, 60_000);
    await setFaults(stack, 'accounting', {});
    await stack.client.workflow.getHandle(order!.workflowId).result();
    // Both attempts carried the same key: one invoice, one email.
    const keys = new Set((await invoiceCalls()).map((r) => r.idempotencyKey));
    expect(keys.size).toBe(1);
    expect(invoicesFor(stack, order!.orderId)).toHaveLength(1);
    expect(emailsFor(stack, order!.orderId)).toHaveLength(1);
    second.child.kill('SIGTERM');
    expect((await second.exit).code).toBe(0);
  }, 120_000);
});

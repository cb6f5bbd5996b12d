import type { ChildProcess } from 'node:child_process';
import { freePort } from '../../src/dev/temporal-dev-server';
import { type Stack, startStack, spawnWorker } from '../helpers/stack';
import { deliver, emailsFor, invoicesFor, newOrders, requestsOf, setFaults, waitFor } from './helpers';

// The worker role as deployed (src/worker/main.ts in its own process), SIGKILLed while accounting holds its
// createInvoice calls. A new worker takes over; the idempotency key makes the repeated calls harmless.
describe('a worker killed in the middle of createInvoice', () => {
  let stack: Stack;
  const children: ChildProcess[] = [];
  beforeAll(async () => {
    stack = await startStack({ workers: false });
  });
  afterAll(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await stack.stop();
  });

  function startWorker(metricsPort: number): ChildProcess {
    const { child } = spawnWorker(stack.config, { WORKER_METRICS_PORT: String(metricsPort) });
    children.push(child);
    return child;
  }
  const exited = (child: ChildProcess) =>
    new Promise<void>((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', () => resolve())));

  test('every order ends with exactly one invoice and one email, and the new worker serves its metrics', async () => {
    const orders = newOrders(3, stack.config.temporal.taskQueuePrefix);
    await setFaults(stack, 'accounting', { holdPaths: ['/invoices'] });
    const first = startWorker(await freePort());
    expect(await Promise.all(orders.map((o) => deliver(stack, o)))).toEqual([202, 202, 202]);
    await waitFor(
      'createInvoice calls held by accounting',
      async () =>
        ((await (await fetch(`${stack.sandboxUrl}/__admin/accounting/requests`)).json()) as { held: number }).held ===
        3,
      60_000,
    );

    first.kill('SIGKILL');
    await exited(first);
    const metricsPort = await freePort();
    const second = startWorker(metricsPort);
    // The new worker repeats each call (heartbeat timeout, then retry) while the dead worker's are still held.
    await waitFor(
      'the retried calls',
      async () => (await requestsOf(stack, 'accounting')).filter((r) => r.method === 'POST').length >= 6,
      60_000,
    );
    await setFaults(stack, 'accounting', {});

    await Promise.all(orders.map((o) => stack.client.workflow.getHandle(o.workflowId).result()));
    for (const o of orders) {
      expect(invoicesFor(stack, o.orderId)).toHaveLength(1);
      expect(emailsFor(stack, o.orderId)).toHaveLength(1);
    }

    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    expect(metrics).toMatch(
      /switchyard_downstream_calls_total\{system="accounting",method="POST",status_class="2xx"\} 3/,
    );
    expect(metrics).toMatch(/^temporal_\w+/m);

    second.kill('SIGTERM');
    await exited(second);
  }, 120_000);
});

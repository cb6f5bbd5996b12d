import { type Stack, startStack } from '../helpers/stack';
import { deliver, emailsFor, invoicesFor, newOrders, type Order } from './helpers';

// 200 distinct events, each delivered 10 times at once (a provider retrying into a slow ingress), then all of it
// again after completion. Temporal's workflow id is the dedupe: one execution, one invoice, one email per event.
describe('a duplicate storm', () => {
  let stack: Stack;
  beforeAll(async () => {
    // The limits are not under test here; the ingress and the dedupe are.
    stack = await startStack({
      // 100 deliveries at once to one process: over the default admission limit (64), which would answer some of
      // them 503 for the senders to resend (test/api/admission.test.ts). Here the point is what every one of them
      // starts, so the process admits them all.
      env: {
        ACCOUNTING_RATE_LIMIT_PER_SECOND: '200',
        EMAIL_PLATFORM_RATE_LIMIT_PER_SECOND: '200',
        WEBHOOK_MAX_IN_FLIGHT: '128',
      },
    });
  });
  afterAll(() => stack.stop());

  /** Delivers each order 10 times concurrently, `parallel` orders at a time; returns every status. */
  async function storm(orders: Order[], parallel = 10): Promise<number[]> {
    const statuses: number[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: parallel }, async () => {
        while (next < orders.length) {
          const order = orders[next++]!;
          statuses.push(...(await Promise.all(Array.from({ length: 10 }, () => deliver(stack, order)))));
        }
      }),
    );
    return statuses;
  }
  const count = (xs: number[], pred: (s: number) => boolean) => xs.filter(pred).length;
  /** Statuses and how often each came back, so a failure shows every unexpected answer. */
  const tally = (xs: number[]) => xs.reduce<Record<number, number>>((t, s) => ({ ...t, [s]: (t[s] ?? 0) + 1 }), {});

  test('200 events × 10 deliveries, twice: 200 executions, 200 invoices, 200 emails, every answer 2xx', async () => {
    const orders = newOrders(200, stack.config.temporal.taskQueuePrefix);
    const started = Date.now();
    const first = await storm(orders);
    const firstMs = Date.now() - started;
    expect(first).toHaveLength(2000);
    expect(tally(first)).toEqual({ 200: 1800, 202: 200 });

    await Promise.all(orders.map((o) => stack.client.workflow.getHandle(o.workflowId).result()));
    const second = await storm(orders);
    expect(tally(second)).toEqual({ 200: 2000 });
    process.stdout.write(
      `duplicate storm: 2000 deliveries in ${firstMs} ms, 5xx ${count([...first, ...second], (s) => s >= 500)}\n`,
    );

    const queue = `${stack.config.temporal.taskQueuePrefix}switchyard`;
    let executions = 0;
    for await (const _ of stack.client.workflow.list({ query: `TaskQueue = "${queue}"` })) executions += 1;
    expect(executions).toBe(200);
    for (const o of orders) {
      expect(invoicesFor(stack, o.orderId)).toHaveLength(1);
      expect(emailsFor(stack, o.orderId)).toHaveLength(1);
    }
  }, 180_000);
});

import { type Stack, startStack } from '../helpers/stack';
import { deliver, emailsFor, invoicesFor, maxPerSecond, newOrders, requestsOf, setFaults, waitFor } from './helpers';

// Backing off when a system says so, on the real dev server: a 429's Retry-After holds every caller of that system,
// and a static rate limit on the email platform's task queue keeps 100 flows inside the platform's own limit.
describe('throttled third-party systems', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ env: { EMAIL_PLATFORM_RATE_LIMIT_PER_SECOND: '5' } });
  });
  afterAll(() => stack.stop());
  beforeEach(() => fetch(`${stack.sandboxUrl}/__admin/reset`, { method: 'POST' }));

  test('when accounting answers 429 with Retry-After: 3, no caller reaches it for 3 s, then every flow completes', async () => {
    const [first, ...later] = newOrders(5);
    await setFaults(stack, 'accounting', { throttle: { retryAfterSeconds: 3, forMs: 3000 } });
    expect(await deliver(stack, first!)).toBe(202);
    const throttledAt = await waitFor('the first 429', async () => {
      return (await requestsOf(stack, 'accounting')).find((r) => r.status === 429)?.at;
    });
    // Flows started inside the window must wait for it too: the gate is per system, not per activity.
    expect(await Promise.all(later.map((o) => deliver(stack, o)))).toEqual([202, 202, 202, 202]);

    const results = await Promise.all(
      [first!, ...later].map((o) => stack.client.workflow.getHandle(o.workflowId).result()),
    );
    expect(results.map((r) => r.orderId)).toEqual([first!, ...later].map((o) => o.orderId));
    const log = await requestsOf(stack, 'accounting');
    const early = log.filter((r) => r.at > throttledAt && r.at < throttledAt + 3000);
    expect(early).toEqual([]);
    for (const o of [first!, ...later]) expect(invoicesFor(stack, o.orderId)).toHaveLength(1);
  });

  test('with the email platform limited to 5 req/s, 100 flows at once stay within 5 req/s and all complete', async () => {
    const orders = newOrders(100);
    await setFaults(stack, 'email-platform', { rateLimitPerSecond: 5 });
    const started = Date.now();
    const statuses = await Promise.all(orders.map((o) => deliver(stack, o)));
    expect(statuses.every((s) => s === 202)).toBe(true);
    await Promise.all(orders.map((o) => stack.client.workflow.getHandle(o.workflowId).result()));
    const elapsed = Date.now() - started;

    const log = await requestsOf(stack, 'email-platform');
    const observed = maxPerSecond(log.map((r) => r.at));
    process.stdout.write(
      `rate limit: 100 flows in ${elapsed} ms, email requests ${log.length}, ` +
        `429s ${log.filter((r) => r.status === 429).length}, max ${observed} req/s after the first second\n`,
    );
    expect(observed).toBeLessThanOrEqual(5);
    for (const o of orders) expect(emailsFor(stack, o.orderId)).toHaveLength(1);
  }, 120_000);
});

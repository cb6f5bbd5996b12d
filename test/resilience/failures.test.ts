import { WorkflowFailedError } from '@temporalio/client';
import { type Stack, startStack } from '../helpers/stack';
import { deliver, emailsFor, invoicesFor, newOrders, requestsOf, setFaults, waitFor } from './helpers';

// Failures on the real dev server: a passing outage is retried with backoff and noticed while it lasts; a rejection
// fails fast, once, and reaches a person exactly once.
describe('downstream failures', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ env: { RETRYING_ALERT_AFTER_ATTEMPTS: '2' } });
  });
  afterAll(() => stack.stop());

  const alertsFor = (workflowId: string) =>
    stack.sandbox.data.alerts.received.filter((a) => a.payload.workflow_id === workflowId);
  const status = async (workflowId: string) =>
    (await stack.client.workflow.getHandle(workflowId).describe()).searchAttributes.IntegrationStatus?.[0];

  test('when accounting answers 500 three times, the invoice is created once after backoff, and one retrying alert went out', async () => {
    const [order] = newOrders(1, stack.config.temporal.taskQueuePrefix);
    await setFaults(stack, 'accounting', { failNext: 3 });
    expect(await deliver(stack, order!)).toBe(202);
    await waitFor('IntegrationStatus=retrying', async () => (await status(order!.workflowId)) === 'retrying');

    const result = await stack.client.workflow.getHandle(order!.workflowId).result();
    expect(result.orderId).toBe(order!.orderId);
    expect(invoicesFor(stack, order!.orderId)).toHaveLength(1);
    expect(emailsFor(stack, order!.orderId)).toHaveLength(1);
    expect(await status(order!.workflowId)).toBe('completed');

    const posts = (await requestsOf(stack, 'accounting')).filter((r) => r.method === 'POST');
    expect(posts.map((r) => r.status)).toEqual([500, 500, 500, 201]);
    const gaps = posts.slice(1).map((r, i) => r.at - posts[i]!.at);
    // The call profile's backoff (1 s, ×2): no retry arrives before its interval. A ratio between gaps failed on a
    // loaded machine, where the first gap alone had absorbed a second of lag.
    expect(gaps.map((gap, i) => gap >= 1000 * 2 ** i)).toEqual([true, true, true]);

    const alerts = alertsFor(order!.workflowId);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.payload).toMatchObject({ kind: 'retrying', activity_type: 'createInvoice', attempt: 2 });
    expect(String(alerts[0]!.payload.error)).toContain('answered 500');
  }, 30_000);

  test('when accounting rejects the invoice with 400, the flow fails after one attempt with one alert and IntegrationStatus=failed', async () => {
    const [order] = newOrders(1, stack.config.temporal.taskQueuePrefix);
    await fetch(`${stack.sandboxUrl}/__admin/reset`, { method: 'POST' });
    await setFaults(stack, 'accounting', { respondNext: { status: 400, count: 1 } });
    expect(await deliver(stack, order!)).toBe(202);

    const handle = stack.client.workflow.getHandle(order!.workflowId);
    await expect(handle.result()).rejects.toBeInstanceOf(WorkflowFailedError);
    const description = await handle.describe();
    expect(description.status.name).toBe('FAILED');
    expect(description.searchAttributes.IntegrationStatus).toEqual(['failed']);

    // A late duplicate of the same event changes nothing: still one attempt, one alert.
    expect(await deliver(stack, order!)).toBe(200);
    const posts = (await requestsOf(stack, 'accounting')).filter((r) => r.method === 'POST');
    expect(posts.map((r) => r.status)).toEqual([400]);
    expect(emailsFor(stack, order!.orderId)).toHaveLength(0);
    const alerts = alertsFor(order!.workflowId);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.payload).toMatchObject({
      kind: 'failed',
      workflow_id: order!.workflowId,
      business_key: order!.orderId,
      source: 'shop',
    });
    expect(String(alerts[0]!.payload.error)).toContain('answered 400');
    expect(String(alerts[0]!.payload.link)).toContain(encodeURIComponent(order!.workflowId));
  });
});

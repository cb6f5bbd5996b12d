import { orderPaidBody, post, signShop } from '../../helpers/signing';
import { type Stack, startStack, uniqueId } from '../../helpers/stack';

// The newcomer's flow on the real dev server: one signed order.paid event, delivered many times.
describe('order.paid end to end', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack.stop());

  test('when one event is posted 10 times at once and again after completion, one invoice and one email exist', async () => {
    const eventId = uniqueId('evt_');
    const orderId = uniqueId('ORD-');
    const secret = stack.config.sources.shop.secrets[0]!;
    const body = orderPaidBody(eventId, orderId);
    const url = `${stack.apiUrl}/webhooks/shop`;

    const answers = await Promise.all(Array.from({ length: 10 }, () => post(url, signShop(secret, eventId, body))));
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 200, 202]);
    const runIds = new Set(await Promise.all(answers.map(async (a) => ((await a.json()) as any).runId)));
    expect(runIds.size).toBe(1);

    const handle = stack.client.workflow.getHandle(`${stack.config.temporal.taskQueuePrefix}shop:${eventId}`);
    const result = await handle.result();
    expect(result).toMatchObject({ orderId });

    const late = await post(url, signShop(secret, eventId, body));
    expect(late.status).toBe(200);
    expect(await late.json()).toMatchObject({ status: 'duplicate', runId: [...runIds][0] });

    const executions = [];
    for await (const e of stack.client.workflow.list({
      query: `WorkflowId = "${stack.config.temporal.taskQueuePrefix}shop:${eventId}"`,
    }))
      executions.push(e);
    expect(executions).toHaveLength(1);
    expect(stack.sandbox.data.accounting.invoices.filter((i) => i.order_id === orderId)).toHaveLength(1);
    expect(
      stack.sandbox.data['email-platform'].messages.filter(
        (m) => (m.data as { order_id: string }).order_id === orderId,
      ),
    ).toHaveLength(1);

    const description = await handle.describe();
    expect(description.searchAttributes).toMatchObject({
      BusinessKey: [orderId],
      IntegrationStatus: ['completed'],
      Source: ['shop'],
      EventId: [eventId],
    });
  });
});

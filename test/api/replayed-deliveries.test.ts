import { decodePayloadsDeep } from '../../src/temporal/codec';
import { queueFor } from '../../src/contracts/task-queues';
import { type Stack, startStack, uniqueId } from '../helpers/stack';
import { post } from '../helpers/signing';
import { shopifyOrderPaidBody, signShopify } from '../sources/senders';

// Shopify signs only the body: its webhook id and topic are unsigned headers. A captured orders/paid delivery can
// be resent under fresh ids; the order in the signed body, not the id, decides whether work is done again.
describe('a Shopify delivery replayed under fresh webhook ids', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack.stop());

  const url = () => `${stack.apiUrl}/webhooks/shopify`;
  const secret = () => stack.config.sources.shopify.secrets[0]!;
  const invoicesOf = (orderId: string) => stack.sandbox.data.accounting.invoices.filter((i) => i.order_id === orderId);
  const emailsOf = (orderId: string) =>
    stack.sandbox.data['email-platform'].messages.filter((m) => (m.data as { order_id: string }).order_id === orderId);

  test('while the first run exists in Temporal, each replay is a duplicate of it and starts nothing', async () => {
    const orderId = uniqueId('ORD-');
    const body = shopifyOrderPaidBody(orderId);
    const first = await post(url(), signShopify(secret(), uniqueId('wh-'), body));
    expect(first.status).toBe(202);
    const { workflowId, runId } = (await first.json()) as { workflowId: string; runId: string };
    await stack.client.workflow.getHandle(workflowId).result();

    for (let i = 0; i < 5; i += 1) {
      const replay = await post(url(), signShopify(secret(), uniqueId('wh-'), body));
      expect(replay.status).toBe(200);
      expect(await replay.json()).toMatchObject({ status: 'duplicate', workflowId, runId });
    }
    const runs = [];
    for await (const e of stack.client.workflow.list({ query: `BusinessKey = "${orderId}"` })) runs.push(e);
    expect(runs).toHaveLength(1);
    expect(invoicesOf(orderId)).toHaveLength(1);
    expect(emailsOf(orderId)).toHaveLength(1);
  });

  test('after Temporal and the downstream have forgotten it, a new run still makes no second invoice or email', async () => {
    const orderId = uniqueId('ORD-');
    const body = shopifyOrderPaidBody(orderId);
    const first = await post(url(), signShopify(secret(), uniqueId('wh-'), body));
    const { workflowId } = (await first.json()) as { workflowId: string };
    await stack.client.workflow.getHandle(workflowId).result();

    // What retention does over days: Temporal no longer knows the execution, so a replay starts a new one (here under
    // another id, the same event and order), and both systems have forgotten their idempotency records.
    stack.sandbox.systems.accounting.idempotency.clear();
    stack.sandbox.systems['email-platform'].idempotency.clear();
    const event = (await stack.client.workflow.getHandle(workflowId).describe()) && (await firstInput(workflowId));
    const result = await stack.client.workflow.execute('orderPaid', {
      workflowId: `${workflowId}:after-retention`,
      taskQueue: queueFor(stack.config.temporal.taskQueuePrefix, 'orchestration'),
      args: [event],
    });
    expect(result).toMatchObject({ orderId, invoiceId: invoicesOf(orderId)[0]!.id, emailId: emailsOf(orderId)[0]!.id });
    expect(invoicesOf(orderId)).toHaveLength(1);
    expect(emailsOf(orderId)).toHaveLength(1);
  });

  async function firstInput(workflowId: string): Promise<unknown> {
    const history = await stack.client.workflow.getHandle(workflowId).fetchHistory();
    const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
    const { payloadCodecs, payloadConverter } = stack.client.options.loadedDataConverter;
    return payloadConverter.fromPayload(await decodePayloadsDeep(payload!, payloadCodecs));
  }
});

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

    // What retention does over days: the execution is gone, and so are both systems' idempotency records.
    await stack.client.workflowService.deleteWorkflowExecution({
      namespace: 'default',
      workflowExecution: { workflowId },
    });
    await waitGone(workflowId);
    stack.sandbox.systems.accounting.idempotency.clear();
    stack.sandbox.systems['email-platform'].idempotency.clear();

    const replay = await post(url(), signShopify(secret(), uniqueId('wh-'), body));
    expect(replay.status).toBe(202);
    const result = await stack.client.workflow.getHandle(workflowId).result();
    expect(result).toMatchObject({ orderId, invoiceId: invoicesOf(orderId)[0]!.id, emailId: emailsOf(orderId)[0]!.id });
    expect(invoicesOf(orderId)).toHaveLength(1);
    expect(emailsOf(orderId)).toHaveLength(1);
  });

  async function waitGone(workflowId: string): Promise<void> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      try {
        await stack.client.workflow.getHandle(workflowId).describe();
      } catch {
        return;
      }
      if (Date.now() > deadline) throw new Error(`${workflowId} was not deleted`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
});

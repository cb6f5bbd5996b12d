import { orderPaidBody, post, signShop } from '../helpers/signing';
import { failureMessage, type Stack, startStack, uniqueId } from '../helpers/stack';
import { shopifyOrderPaidBody, signShopify, signStripe, stripePaymentBody } from '../sources/senders';

// Shopify and Stripe deliveries through the whole service on the dev server, signed as the providers sign them.
describe('POST /webhooks/shopify and /webhooks/stripe', () => {
  let stack: Stack;
  const secret = (name: 'shop' | 'shopify' | 'stripe') => stack.config.sources[name].secrets[0]!;
  const url = (name: string) => `${stack.apiUrl}/webhooks/${name}`;

  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack.stop());

  async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  test('when Shopify reports an order paid, orderPaid runs under shopify:orders/paid:<order> and a retry is a duplicate', async () => {
    const webhookId = uniqueId('wh-');
    const orderId = uniqueId('ORD-');
    const req = signShopify(secret('shopify'), webhookId, shopifyOrderPaidBody(orderId));
    const res = await post(url('shopify'), req);
    expect(res.status).toBe(202);
    const json = (await res.json()) as { workflowId: string; runId: string };
    expect(json.workflowId).toBe(`${stack.config.temporal.taskQueuePrefix}shopify:orders/paid:${orderId}`);
    const handle = stack.client.workflow.getHandle(json.workflowId);
    expect((await handle.describe()).type).toBe('orderPaid');
    expect(await handle.result()).toMatchObject({ orderId });

    const again = await post(url('shopify'), req);
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ status: 'duplicate', runId: json.runId });
  });

  test('when the shop and Shopify both report the same order paid, one invoice and one email exist', async () => {
    const orderId = uniqueId('ORD-');
    const shopEvent = uniqueId('evt_');
    const webhookId = uniqueId('wh-');
    const [a, b] = await Promise.all([
      post(url('shop'), signShop(secret('shop'), shopEvent, orderPaidBody(shopEvent, orderId))),
      post(url('shopify'), signShopify(secret('shopify'), webhookId, shopifyOrderPaidBody(orderId))),
    ]);
    expect([a.status, b.status]).toEqual([202, 202]);
    const results = await Promise.all([
      stack.client.workflow.getHandle(`${stack.config.temporal.taskQueuePrefix}shop:${shopEvent}`).result(),
      stack.client.workflow
        .getHandle(`${stack.config.temporal.taskQueuePrefix}shopify:orders/paid:${orderId}`)
        .result(),
    ]);
    expect(results[0].invoiceId).toBe(results[1].invoiceId);
    expect(stack.sandbox.data.accounting.invoices.filter((i) => i.order_id === orderId)).toHaveLength(1);
    const emails = stack.sandbox.data['email-platform'].messages.filter(
      (m) => (m.data as { order_id: string }).order_id === orderId,
    );
    expect(emails).toHaveLength(1);
  });

  test('when Stripe reports the payment of an invoiced order, paymentSucceeded marks the invoice paid', async () => {
    const orderId = uniqueId('ORD-');
    const shopEvent = uniqueId('evt_');
    await post(url('shop'), signShop(secret('shop'), shopEvent, orderPaidBody(shopEvent, orderId)));
    await stack.client.workflow.getHandle(`${stack.config.temporal.taskQueuePrefix}shop:${shopEvent}`).result();

    const stripeEvent = uniqueId('evt_');
    const res = await post(url('stripe'), signStripe(secret('stripe'), stripePaymentBody(stripeEvent, orderId)));
    expect(res.status).toBe(202);
    const handle = stack.client.workflow.getHandle(`${stack.config.temporal.taskQueuePrefix}stripe:${stripeEvent}`);
    expect((await handle.describe()).type).toBe('paymentSucceeded');
    expect(await handle.result()).toMatchObject({ orderId, invoiceStatus: 'paid' });
    const invoice = stack.sandbox.data.accounting.invoices.find((i) => i.order_id === orderId)!;
    expect(invoice.status).toBe('paid');
    expect(invoice.payments).toEqual([{ payment_id: `pi_${stripeEvent.slice(4)}`, amount: 1499, currency: 'PLN' }]);
    expect((await handle.describe()).searchAttributes).toMatchObject({
      Source: ['stripe'],
      BusinessKey: [orderId],
      IntegrationStatus: ['completed'],
    });
  });

  test('when the payment arrives before the order, the invoice is marked paid once the order creates it', async () => {
    const orderId = uniqueId('ORD-');
    const stripeEvent = uniqueId('evt_');
    const res = await post(url('stripe'), signStripe(secret('stripe'), stripePaymentBody(stripeEvent, orderId)));
    expect(res.status).toBe(202);
    // The payment is retrying against a missing invoice; now the order arrives.
    const handle = stack.client.workflow.getHandle(`${stack.config.temporal.taskQueuePrefix}stripe:${stripeEvent}`);
    await waitFor('markInvoicePaid to fail for lack of an invoice', async () => {
      const pending = (await handle.describe()).raw.pendingActivities?.[0];
      return (await failureMessage(stack.client, pending?.lastFailure))?.includes('no invoice') ? pending : undefined;
    });
    const shopEvent = uniqueId('evt_');
    await post(url('shop'), signShop(secret('shop'), shopEvent, orderPaidBody(shopEvent, orderId)));
    expect(await handle.result()).toMatchObject({ orderId, invoiceStatus: 'paid' });
  });

  test('when a delivery carries an API version the adapter does not declare, it is accepted and flagged on the execution', async () => {
    const webhookId = uniqueId('wh-');
    const driftedOrder = uniqueId('ORD-');
    const drifted = await post(
      url('shopify'),
      signShopify(secret('shopify'), webhookId, shopifyOrderPaidBody(driftedOrder), { apiVersion: '2099-01' }),
    );
    expect(drifted.status).toBe(202);
    const stripeEvent = uniqueId('evt_');
    const stripeDrifted = await post(
      url('stripe'),
      signStripe(secret('stripe'), stripePaymentBody(stripeEvent, uniqueId('ORD-'), { apiVersion: '2099-01-01.zeta' })),
    );
    expect(stripeDrifted.status).toBe(202);

    for (const [id, version] of [
      [`${stack.config.temporal.taskQueuePrefix}shopify:orders/paid:${driftedOrder}`, '2099-01'],
      [`${stack.config.temporal.taskQueuePrefix}stripe:${stripeEvent}`, '2099-01-01.zeta'],
    ] as const) {
      const d = await stack.client.workflow.getHandle(id).describe();
      expect(d.searchAttributes).toMatchObject({ ApiVersionDrift: [true] });
      expect(d.memo).toEqual({ apiVersion: version, apiVersionKnown: false });
    }
    const metrics = await (await fetch(`${stack.adminUrl}/metrics`)).text();
    // The counter's label is a closed set (newer / older / other); the memo above carries the version itself.
    expect(metrics).toContain('switchyard_webhook_api_version_drift_total{source="shopify",api_version="newer"} 1');
    expect(metrics).toContain('switchyard_webhook_api_version_drift_total{source="stripe",api_version="newer"} 1');
  });

  test('when the API version is a declared one, the execution carries no drift flag', async () => {
    const webhookId = uniqueId('wh-');
    const orderId = uniqueId('ORD-');
    await post(url('shopify'), signShopify(secret('shopify'), webhookId, shopifyOrderPaidBody(orderId)));
    const d = await stack.client.workflow
      .getHandle(`${stack.config.temporal.taskQueuePrefix}shopify:orders/paid:${orderId}`)
      .describe();
    expect(d.searchAttributes.ApiVersionDrift).toBeUndefined();
    expect(d.memo).toEqual({ apiVersion: '2025-01', apiVersionKnown: true });
  });
});

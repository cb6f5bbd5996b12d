import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { reconcileChildId } from '../../../src/contracts/workflow-ids';
import { putShopOrder } from '../../../src/systems/shop/stand-in';
import { seedShopOrders } from '../../../src/sandbox/seed';
import type { ReconcileOrdersInput, ReconcileOrdersResult } from '../../../src/flows/reconcile-orders/workflow';
import { uniqueId } from '../../helpers/stack';
import { type Deployment, startDeployment, startTimeSkippingEnv } from '../../helpers/deployment';

describe('reconcileOrders', () => {
  let env: TestWorkflowEnvironment;
  let h: Deployment;
  beforeAll(async () => {
    env = await startTimeSkippingEnv();
  });
  afterAll(() => env?.teardown());
  beforeEach(async () => {
    h = await startDeployment(env);
  });
  afterEach(() => h?.stop());

  const run = (input: ReconcileOrdersInput): Promise<ReconcileOrdersResult> =>
    env.client.workflow.execute('reconcileOrders', {
      workflowId: uniqueId('reconcile-orders-'),
      taskQueue: h.taskQueue,
      args: [input],
    });
  const invoice = (orderId: string) => ({
    id: uniqueId('inv_'),
    order_id: orderId,
    total: 1,
    currency: 'PLN',
    customer_email: 'a@example.com',
    status: 'open' as const,
    payments: [],
    created_at: new Date().toISOString(),
  });

  test('orders paid in the window without an invoice, and only those, get one through <prefix>reconcile:<order id>', async () => {
    const shop = h.sandbox.data.shop;
    const prefix = uniqueId('ORD-');
    const since = shop.now();
    const orders = seedShopOrders(shop, 230, `${prefix}-`);
    putShopOrder(shop, {
      id: `${prefix}-pending`,
      total: 5,
      currency: 'PLN',
      customer_email: 'p@example.com',
      status: 'pending',
    });
    const until = shop.now();
    putShopOrder(shop, { id: `${prefix}-later`, total: 5, currency: 'PLN', customer_email: 'l@example.com' });
    // The webhooks made invoices for all but three; one of the three is found on the third page.
    const missed = [orders[4]!, orders[117]!, orders[229]!];
    for (const id of orders) if (!missed.includes(id)) h.sandbox.data.accounting.invoices.push(invoice(id));

    const result = await run({ window: { since, until }, historyLimit: 40 });

    expect(result.checked).toBe(230);
    expect(result.gapsRepaired).toBe(3);
    expect(result.repaired.sort()).toEqual([...missed].sort());
    expect(result.failed).toEqual([]);
    for (const id of orders)
      expect(h.sandbox.data.accounting.invoices.filter((i) => i.order_id === id)).toHaveLength(1);
    expect(
      h.sandbox.data.accounting.invoices.some((i) => i.order_id.endsWith('-pending') || i.order_id.endsWith('-later')),
    ).toBe(false);
    const child = await env.client.workflow
      .getHandle(reconcileChildId(h.config.temporal.taskQueuePrefix, missed[0]!))
      .result();
    expect(child).toMatchObject({ orderId: missed[0] });

    // A second pass finds nothing left to repair.
    expect(await run({ window: { since, until } })).toMatchObject({ checked: 230, gapsRepaired: 0 });
  });
});

import { seedShopOrders } from '../../../src/sandbox/seed';
import { type Harness, defineRecording } from '../recording';

// How `npm run record-histories` drives reconcileOrders through its scenarios (test/flows/recording.ts).

async function runReconcileOrders(h: Harness, id: string): Promise<string> {
  // Two orders paid in the window; the webhook invoiced the first, reconciliation repairs the second.
  const shop = h.sandbox.data.shop;
  const since = shop.now();
  const [invoiced] = seedShopOrders(shop, 2, `ORD-${id}-`);
  const until = shop.now();
  h.sandbox.data.accounting.invoices.push({
    id: `inv_${id}`,
    order_id: invoiced!,
    total: 11,
    currency: 'PLN',
    customer_email: 'buyer1@example.com',
    status: 'open',
    payments: [],
    created_at: new Date().toISOString(),
  });
  await h.run('reconcileOrders', [{ window: { since, until } }], { workflowId: `reconcile-orders-${id}` });
  return `reconcile-orders-${id}`;
}

export const recording = defineRecording({
  steps: {
    success: (h, id) => runReconcileOrders(h, id),
    // One 500 from the shop: listing the paid orders succeeds on the second attempt.
    retry: (h, id) => (h.faults('shop', { failNext: 1 }), runReconcileOrders(h, id)),
    // A 400 from the shop is final: the reconciliation alerts and fails.
    failure: (h, id) => (h.faults('shop', { respondNext: { status: 400, count: 1 } }), runReconcileOrders(h, id)),
  },
});

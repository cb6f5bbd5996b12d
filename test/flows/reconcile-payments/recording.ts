import { putStripePayment } from '../../../src/systems/stripe/stand-in';
import { type Harness, defineRecording } from '../recording';

// How `npm run record-histories` drives reconcilePayments through its scenarios (test/flows/recording.ts).

async function runReconcilePayments(h: Harness, id: string): Promise<string> {
  // One payment Stripe lists in the window whose webhook never arrived; its order is invoiced, so the payment flow
  // reconciliation starts records it and ends.
  const now = Math.floor(Date.now() / 1000);
  const orderId = `ORD-${id}`;
  h.sandbox.data.accounting.invoices.push({
    id: `inv_${id}`,
    order_id: orderId,
    total: 12.5,
    currency: 'PLN',
    customer_email: 'buyer1@example.com',
    status: 'open',
    payments: [],
    created_at: new Date().toISOString(),
  });
  putStripePayment(h.sandbox.data.stripe, {
    orderId,
    amount: 1250,
    currency: 'pln',
    created: now - 60,
    eventId: `evt_${id.replace(/-/g, '_')}`,
    intentId: `pi_${id.replace(/-/g, '_')}`,
  });
  const window = { since: new Date((now - 3600) * 1000).toISOString(), until: new Date(now * 1000).toISOString() };
  await h.run('reconcilePayments', [{ window }], { workflowId: `reconcile-payments-${id}` });
  return `reconcile-payments-${id}`;
}

export const recording = defineRecording({
  steps: {
    success: (h, id) => runReconcilePayments(h, id),
    // One 500 from Stripe: listing the events succeeds on the second attempt.
    retry: (h, id) => (h.faults('stripe', { failNext: 1 }), runReconcilePayments(h, id)),
    // A 400 from Stripe is final: the reconciliation alerts and fails.
    failure: (h, id) => (h.faults('stripe', { respondNext: { status: 400, count: 1 } }), runReconcilePayments(h, id)),
  },
});

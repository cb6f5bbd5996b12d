import { webhookWorkflowId } from '../../../src/contracts/workflow-ids';
import { putStripePayment } from '../../../src/systems/stripe/stand-in';
import { type Harness, defineRecording } from '../recording';

// How `npm run record-histories` drives reconcilePayments through its scenarios (test/flows/recording.ts).

/** A window of its own for each scenario, so each lists only its own event (the stand-in keeps the others'). */
const CREATED = { success: 1_731_404_520, retry: 1_731_404_820, failure: 1_731_405_120 };

async function runReconcilePayments(h: Harness, id: string, scenario: keyof typeof CREATED): Promise<string> {
  // One payment Stripe lists in the window whose webhook never arrived; its order is invoiced, so the payment flow
  // reconciliation starts records it and ends.
  const created = CREATED[scenario];
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
  const event = putStripePayment(h.sandbox.data.stripe, {
    orderId,
    amount: 1250,
    currency: 'pln',
    created,
    eventId: `evt_${id.replace(/-/g, '_')}`,
    intentId: `pi_${id.replace(/-/g, '_')}`,
  });
  const window = {
    since: new Date((created - 60) * 1000).toISOString(),
    until: new Date((created + 60) * 1000).toISOString(),
  };
  const prefix = h.config.temporal.taskQueuePrefix;
  // As the schedule starts it: with the deployment's prefix, which the replay (on a queue of its own) reads from the input.
  await h.run('reconcilePayments', [{ window, idPrefix: prefix }], { workflowId: `reconcile-payments-${id}` });
  // The payment flow it started ends before the next scenario sets its faults.
  await h.client.workflow
    .getHandle(webhookWorkflowId(prefix, 'stripe', event.id))
    .result()
    .catch(() => undefined);
  return `reconcile-payments-${id}`;
}

export const recording = defineRecording({
  steps: {
    success: (h, id) => runReconcilePayments(h, id, 'success'),
    // One 500 from Stripe: listing the events succeeds on the second attempt.
    retry: (h, id) => (h.faults('stripe', { failNext: 1 }), runReconcilePayments(h, id, 'retry')),
    // A 400 from Stripe is final: the reconciliation alerts and fails.
    failure: (h, id) => (
      h.faults('stripe', { respondNext: { status: 400, count: 1 } }),
      runReconcilePayments(h, id, 'failure')
    ),
  },
});

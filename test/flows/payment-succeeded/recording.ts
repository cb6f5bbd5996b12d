import type { PaymentSucceeded } from '../../../src/domain/events';
import { type Harness, defineRecording, searchAttributes } from '../recording';
import { runOrderPaid } from '../order-paid/recording';
import { putStripePayment } from '../../../src/systems/stripe/stand-in';

// How `npm run record-histories` drives paymentSucceeded through its scenarios (test/flows/recording.ts).

function paymentSucceededEvent(id: string): PaymentSucceeded {
  return {
    type: 'PaymentSucceeded',
    source: 'stripe',
    eventId: `evt_pay_${id}`,
    occurredAt: '2024-11-12T09:42:00Z',
    payment: { id: `pi_${id}`, orderId: `ORD-${id}`, amount: 1499, currency: 'PLN' },
  };
}

async function startPaymentSucceeded(h: Harness, id: string, options?: { verifyByFetch: boolean }) {
  const event = paymentSucceededEvent(id);
  const workflowId = `stripe:${event.eventId}`;
  const run = await h.start('paymentSucceeded', options ? [event, options] : [event], {
    workflowId,
    searchAttributes: searchAttributes('stripe', event.type, event.eventId, event.payment.orderId),
  });
  return { workflowId, done: run.done };
}

export const recording = defineRecording({
  scenarios: ['success', 'retry', 'failure', 'verified'],
  steps: {
    success: async (h, id) => {
      await runOrderPaid(h, id);
      const { workflowId, done } = await startPaymentSucceeded(h, id);
      await done;
      return workflowId;
    },
    // The payment is reported before the order's invoice exists: markInvoicePaid retries until orderPaid made it.
    retry: async (h, id) => {
      const { workflowId, done } = await startPaymentSucceeded(h, id);
      await new Promise((r) => setTimeout(r, 500));
      await runOrderPaid(h, id);
      await done;
      return workflowId;
    },
    failure: async (h, id) => {
      await runOrderPaid(h, id);
      h.faults('accounting', { respondNext: { status: 400, count: 1 } });
      const { workflowId, done } = await startPaymentSucceeded(h, id);
      await done;
      return workflowId;
    },
    // As production starts it: the PaymentIntent is read from Stripe first and recorded as Stripe reports it.
    verified: async (h, id) => {
      await runOrderPaid(h, id);
      const { payment } = paymentSucceededEvent(id);
      putStripePayment(h.sandbox.data.stripe, {
        orderId: payment.orderId,
        amount: 149900,
        currency: 'pln',
        intentId: payment.id,
      });
      const { workflowId, done } = await startPaymentSucceeded(h, id, { verifyByFetch: true });
      await done;
      return workflowId;
    },
  },
});

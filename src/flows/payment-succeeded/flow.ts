import { defineFlow } from '../../kit/declare';
import { idempotencyKey } from '../../kit/keys';
import { paymentSucceeded, type PaymentSucceededOptions } from './workflow';

export const paymentSucceededFlow = defineFlow({
  workflow: paymentSucceeded,
  description: "a payment succeeded: record it against the order's invoice",
  trigger: {
    event: 'PaymentSucceeded',
    businessKey: (e) => e.payment.orderId,
    // Verified against Stripe before recording wherever a real Stripe is configured (the sandbox's webhooks exist
    // only as deliveries, so development records them as sent).
    startOptions: (deployment): PaymentSucceededOptions => ({ verifyByFetch: deployment.production }),
  },
  versioning: 'PINNED',
  activities: ['retrievePaymentIntent', 'markInvoicePaid', 'sendAlert'],
  keys: { markInvoicePaid: (e) => idempotencyKey('invoice-payment', e.payment.id) },
});

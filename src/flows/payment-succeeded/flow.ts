import { defineFlow } from '../../kit/declare';
import { idempotencyKey } from '../../kit/keys';
import { paymentSucceeded } from './workflow';

export const paymentSucceededFlow = defineFlow({
  workflow: paymentSucceeded,
  description: "a payment succeeded: record it against the order's invoice",
  trigger: { event: 'PaymentSucceeded', businessKey: (e) => e.payment.orderId },
  versioning: 'PINNED',
  activities: ['markInvoicePaid', 'sendAlert'],
  keys: { markInvoicePaid: (e) => idempotencyKey('invoice-payment', e.payment.id) },
});

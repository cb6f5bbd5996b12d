import { defineFlow } from '../../kit/declare';
import { reconcilePayments } from './workflow';

export const reconcilePaymentsFlow = defineFlow({
  workflow: reconcilePayments,
  description:
    'Stripe payments whose webhook never arrived get the payment flow, under the id their webhook would have had',
  trigger: { schedule: 'reconcile-payments' },
  versioning: 'PINNED',
  activities: ['listPaymentEvents', 'sendAlert'],
  children: [
    {
      workflow: 'paymentSucceeded',
      id: '<prefix>stripe:<event id>',
      note:
        'the id the webhook delivery of the same event gets, started REJECT_DUPLICATE: a payment reached both ways ' +
        'runs once; its payment’s Idempotency-Key is derived from the PaymentIntent id besides',
    },
  ],
});

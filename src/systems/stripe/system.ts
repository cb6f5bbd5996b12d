import { defineSystem } from '../../kit/declare';
import { createStripeActivities } from './activities';

export const stripe = defineSystem({
  name: 'stripe',
  title: 'Stripe',
  owns: 'payments (source of truth); we only read its events and PaymentIntents',
  auth: 'bearer',
  // Stripe allows 100 read requests per second in live mode and 25 in test mode; stay well under the test limit.
  defaultRatePerSecond: 20,
  activities: createStripeActivities,
  activityDocs: {
    listPaymentEvents: {
      does: 'lists payment_intent.succeeded events created in a window, one page (newest first)',
      kind: 'read',
      profile: 'batch',
    },
    retrievePaymentIntent: {
      does: 'reads a PaymentIntent as Stripe reports it now (status, amount received, currency, metadata)',
      kind: 'read',
      profile: 'call',
    },
  },
});

/** The declaration's type, for workflows: `systemActivities<StripeSystem>('stripe', profile)`. */
export type StripeSystem = typeof stripe;

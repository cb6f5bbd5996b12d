import Stripe from 'stripe';
import type { SampleSender, SignedRequest } from '../../kit/source/sender';

// Signs as Stripe does, with the stripe package's own test-header helper (it makes no network call).

const stripe = new Stripe('sk_test_not_used_no_network');

/** Stripe, signed by the stripe package itself. `at` defaults to now. */
export function signStripe(secret: string, body: string, at: Date = new Date()): SignedRequest {
  const header = stripe.webhooks.generateTestHeaderString({
    payload: body,
    secret,
    timestamp: Math.floor(at.getTime() / 1000),
  });
  return { body, headers: { 'content-type': 'application/json', 'stripe-signature': header } };
}

/** A trimmed Stripe payment_intent.succeeded event for `orderId` (amounts in minor units, as Stripe sends). */
export function stripePaymentBody(
  eventId: string,
  orderId: string,
  options: { apiVersion?: string | null; amount?: number; currency?: string; type?: string } = {},
): string {
  return JSON.stringify({
    id: eventId,
    object: 'event',
    api_version: options.apiVersion === undefined ? '2025-03-31.basil' : options.apiVersion,
    created: Math.floor(Date.now() / 1000),
    livemode: false,
    pending_webhooks: 1,
    type: options.type ?? 'payment_intent.succeeded',
    data: {
      object: {
        id: `pi_${eventId.replace(/^evt_/, '')}`,
        object: 'payment_intent',
        amount: options.amount ?? 149900,
        amount_received: options.amount ?? 149900,
        currency: options.currency ?? 'pln',
        status: 'succeeded',
        metadata: { order_id: orderId },
      },
    },
  });
}

export const stripeSender: SampleSender = {
  eventId: 'evt_3QsamplePaymentSucceeded',
  body: (eventId, orderId) => stripePaymentBody(eventId, orderId),
  sign: (secret, body, { at }) => signStripe(secret, body, at),
};

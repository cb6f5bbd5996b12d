// Stripe as the connector reads it: the API version both the connector and the webhook source are pinned to, and the
// few fields of its objects that Switchyard acts on (amounts in the currency's minor units, currencies lower case).

/**
 * The Stripe API version the connector sends (Stripe-Version) and the webhook source knows: the stripe package's
 * own pinned version, so its types describe the answers. Changing it is a deliberate upgrade of both.
 */
export const STRIPE_API_VERSION = '2026-10-28.endive' as const;

/** The event type reconciliation lists: the one the webhook source turns into PaymentSucceeded. */
export const PAYMENT_SUCCEEDED_EVENT = 'payment_intent.succeeded';

/** A PaymentIntent's fields as Stripe sends them and the stand-in serves them. */
export interface WirePaymentIntent {
  id: string;
  object: 'payment_intent';
  amount: number;
  amount_received: number;
  currency: string;
  status: string;
  created: number;
  livemode: boolean;
  metadata: Record<string, string>;
}

/** An event as Stripe lists it (GET /v1/events), its object as it was when the event happened. */
export interface WireEvent {
  id: string;
  object: 'event';
  api_version: string;
  created: number;
  livemode: boolean;
  pending_webhooks: number;
  type: string;
  data: { object: WirePaymentIntent };
}

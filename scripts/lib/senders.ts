import { createHmac } from 'node:crypto';
import Stripe from 'stripe';
import { Webhook } from 'standardwebhooks';

// Senders of sample deliveries, signed as each provider signs them: the shop with the official Standard Webhooks
// library, Stripe with its own package, Shopify by the HMAC its docs describe (Shopify ships no sender library).
// Used by `npm run send-sample`, the benchmarks and the tests.
export interface SignedRequest {
  headers: Record<string, string>;
  body: string;
}

/** Signs `body` the way our shop does, with the official Standard Webhooks library acting as the sender. */
export function signShop(secret: string, eventId: string, body: string, at: Date = new Date()): SignedRequest {
  const signature = new Webhook(secret).sign(eventId, at, body);
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'webhook-id': eventId,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': signature,
    },
  };
}

/** The seed document's sample order.paid payload, with ids of the caller's choosing. */
export function orderPaidBody(eventId: string, orderId: string, overrides: Record<string, unknown> = {}): string {
  return JSON.stringify({
    event: 'order.paid',
    event_id: eventId,
    occurred_at: '2024-11-12T09:41:07Z',
    order: { id: orderId, total: 1499.0, currency: 'PLN', customer_email: 'k.nowak@example.com' },
    ...overrides,
  });
}

export function post(url: string, req: SignedRequest): Promise<Response> {
  return fetch(url, { method: 'POST', headers: req.headers, body: req.body });
}

const stripe = new Stripe('sk_test_not_used_no_network');

/** Shopify: base64 HMAC-SHA256 of the raw body with the app secret. */
export function signShopify(
  secret: string,
  webhookId: string,
  body: string,
  options: { topic?: string; apiVersion?: string } = {},
): SignedRequest {
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'x-shopify-hmac-sha256': createHmac('sha256', secret).update(body, 'utf8').digest('base64'),
      'x-shopify-webhook-id': webhookId,
      'x-shopify-topic': options.topic ?? 'orders/paid',
      'x-shopify-api-version': options.apiVersion ?? '2025-01',
      'x-shopify-shop-domain': 'switchyard-test.myshopify.com',
    },
  };
}

/** Stripe, signed by the stripe package itself. `at` defaults to now. */
export function signStripe(secret: string, body: string, at: Date = new Date()): SignedRequest {
  const header = stripe.webhooks.generateTestHeaderString({
    payload: body,
    secret,
    timestamp: Math.floor(at.getTime() / 1000),
  });
  return { body, headers: { 'content-type': 'application/json', 'stripe-signature': header } };
}

/** A trimmed Shopify orders/paid payload (Order resource, API 2025-01). `name` is the shop's order id. */
export function shopifyOrderPaidBody(orderName: string, overrides: Record<string, unknown> = {}): string {
  return JSON.stringify({
    id: 5820982911946154,
    admin_graphql_api_id: 'gid://shopify/Order/5820982911946154',
    name: orderName,
    email: 'k.nowak@example.com',
    financial_status: 'paid',
    total_price: '1499.00',
    currency: 'PLN',
    created_at: '2024-11-12T10:30:00+01:00',
    updated_at: '2024-11-12T10:41:07+01:00',
    line_items: [{ id: 1866550311766439, title: 'Espresso machine', quantity: 1, price: '1499.00' }],
    ...overrides,
  });
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
        id: `pi_${eventId.slice(4)}`,
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

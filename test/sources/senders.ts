import { createHmac } from 'node:crypto';
import Stripe from 'stripe';
import type { SignedRequest } from '../helpers/signing';

// The providers' side of a delivery: Stripe's own library signs, Shopify's HMAC is computed by hand as its docs
// describe (Shopify ships no sender library).

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

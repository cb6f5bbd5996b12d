import { createHmac } from 'node:crypto';
import type { SampleSender, SignedRequest } from '../../kit/source/sender';

// Shopify ships no sender library, so this signs by the HMAC its docs describe: base64 HMAC-SHA256 of the raw body
// with the app secret.

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

export const shopifySender: SampleSender = {
  eventId: 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043',
  body: (_eventId, orderId) => shopifyOrderPaidBody(orderId),
  sign: (secret, body, { eventId }) => signShopify(secret, eventId, body),
};

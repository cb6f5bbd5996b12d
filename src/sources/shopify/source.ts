import { defineSource } from '../../kit/declare';
import { createShopifySource } from './adapter';
import { shopifySender } from './sender';

export const shopifySource = defineSource({
  name: 'shopify',
  title: 'Shopify',
  signature: {
    scheme: 'HMAC-SHA256 of the raw body with the app secret, base64 (no timestamp)',
    headers: ['x-shopify-hmac-sha256', 'x-shopify-topic', 'x-shopify-webhook-id', 'x-shopify-api-version'],
  },
  secret: {
    format: "the app's client secret as Shopify shows it (shpss_…), at least 16 characters",
    check: (secret) => (secret.length < 16 ? `is ${secret.length} characters; use at least 16` : undefined),
    development: (digest) => `dev_${digest.toString('hex').slice(0, 32)}`,
  },
  events: { 'orders/paid': 'OrderPaid' },
  deprecatedVariable: 'WEBHOOK_SECRET_SHOPIFY',
  adapter: () => createShopifySource(),
  sender: shopifySender,
});

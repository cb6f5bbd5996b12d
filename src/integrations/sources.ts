import { createShopSource } from '../sources/shop';
import { createShopifySource } from '../sources/shopify';
import { createStripeSource } from '../sources/stripe';
import { defineSource } from '../kit/declare';

// Every webhook sender the ingress accepts, declared once. Adding one: a declaration here and its adapter in
// src/sources/ (see docs/extending.md).

const MIN_KEY_BYTES = 16;

/** Canonical base64 only: Buffer.from would silently drop stray characters and accept a shorter key. */
function base64Key(value: string): Buffer | undefined {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(value) || value.length % 4 !== 0) return undefined;
  const key = Buffer.from(value, 'base64');
  return key.toString('base64') === value ? key : undefined;
}

export const shopSource = defineSource({
  name: 'shop',
  title: 'Our shop (Standard Webhooks)',
  system: 'shop',
  signature: {
    scheme: 'Standard Webhooks: HMAC-SHA256 of "<id>.<timestamp>.<raw body>", base64, "v1," prefix',
    headers: ['webhook-id', 'webhook-timestamp', 'webhook-signature'],
    toleranceSeconds: 300,
  },
  secret: {
    format: `whsec_ followed by canonical base64 of at least ${MIN_KEY_BYTES} random bytes`,
    check(secret) {
      if (!secret.startsWith('whsec_')) return 'must start with whsec_';
      const key = base64Key(secret.slice('whsec_'.length));
      if (!key) return 'the part after whsec_ must be canonical base64 (A-Z a-z 0-9 + /, = padding)';
      if (key.length < MIN_KEY_BYTES) return `decodes to ${key.length} bytes; use at least ${MIN_KEY_BYTES}`;
      return undefined;
    },
    development: (digest) => `whsec_${digest.toString('base64')}`,
  },
  events: { 'order.paid': 'OrderPaid' },
  deprecatedVariable: 'WEBHOOK_SECRET_SHOP',
  adapter: (o) => createShopSource({ toleranceSeconds: o.toleranceSeconds ?? 300 }),
});

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
});

export const stripeSource = defineSource({
  name: 'stripe',
  title: 'Stripe',
  signature: {
    scheme: 'Stripe-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">',
    headers: ['stripe-signature'],
    toleranceSeconds: 300,
  },
  secret: {
    format: "the endpoint's signing secret as Stripe shows it: whsec_ followed by at least 16 characters",
    check(secret) {
      if (!secret.startsWith('whsec_')) return 'must start with whsec_ (the endpoint secret as Stripe shows it)';
      const rest = secret.length - 'whsec_'.length;
      return rest < 16 ? `has ${rest} characters after whsec_; use at least 16` : undefined;
    },
    development: (digest) => `whsec_${digest.toString('hex').slice(0, 32)}`,
  },
  events: { 'payment_intent.succeeded': 'PaymentSucceeded' },
  deprecatedVariable: 'WEBHOOK_SECRET_STRIPE',
  adapter: (o) => createStripeSource({ toleranceSeconds: o.toleranceSeconds ?? 300 }),
});

/** Every webhook source, in the order the catalog lists them. */
export const SOURCES = [shopSource, shopifySource, stripeSource] as const;

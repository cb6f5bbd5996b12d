import { defineSource } from '../../kit/declare';
import { createStripeSource } from './adapter';
import { stripeSender } from './sender';

export const stripeSource = defineSource({
  name: 'stripe',
  title: 'Stripe',
  system: 'stripe',
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
  sender: stripeSender,
});

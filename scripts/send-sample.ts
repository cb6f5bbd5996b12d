// Posts a signed sample webhook to the running ingress, signed as each provider signs it.
// Usage: npm run send-sample -- [--source shop|shopify|stripe] [--event-id ID] [--order ORD-1] [--url http://localhost:3000]
//   shop     order.paid, Standard Webhooks (signed by the standardwebhooks package)
//   shopify  orders/paid, X-Shopify-Hmac-Sha256 (base64 HMAC-SHA256 of the body, as Shopify documents it)
//   stripe   payment_intent.succeeded, Stripe-Signature (signed by the stripe package); marks the order's invoice paid
import { createHmac } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import Stripe from 'stripe';
import { type Config, loadConfig } from '../src/config';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}

interface Sample {
  headers: Record<string, string>;
  body: string;
}

function shopSample(config: Config, eventId: string, orderId: string): Sample {
  const body = JSON.stringify({
    event: 'order.paid',
    event_id: eventId,
    occurred_at: '2024-11-12T09:41:07Z',
    order: { id: orderId, total: 1499.0, currency: 'PLN', customer_email: 'k.nowak@example.com' },
  });
  const now = new Date();
  return {
    body,
    headers: {
      'webhook-id': eventId,
      'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
      'webhook-signature': new Webhook(config.sources.shop.secrets[0]!).sign(eventId, now, body),
    },
  };
}

function shopifySample(config: Config, webhookId: string, orderId: string): Sample {
  const body = JSON.stringify({
    id: 5820982911946154,
    name: orderId,
    email: 'k.nowak@example.com',
    financial_status: 'paid',
    total_price: '1499.00',
    currency: 'PLN',
    updated_at: '2024-11-12T10:41:07+01:00',
  });
  return {
    body,
    headers: {
      'x-shopify-hmac-sha256': createHmac('sha256', config.sources.shopify.secrets[0]!).update(body).digest('base64'),
      'x-shopify-webhook-id': webhookId,
      'x-shopify-topic': 'orders/paid',
      'x-shopify-api-version': '2025-01',
      'x-shopify-shop-domain': 'switchyard-sample.myshopify.com',
    },
  };
}

function stripeSample(config: Config, eventId: string, orderId: string): Sample {
  const body = JSON.stringify({
    id: eventId,
    object: 'event',
    api_version: '2025-03-31.basil',
    created: Math.floor(Date.now() / 1000),
    type: 'payment_intent.succeeded',
    data: {
      object: {
        id: `pi_${eventId.replace(/^evt_/, '')}`,
        object: 'payment_intent',
        amount: 149900,
        amount_received: 149900,
        currency: 'pln',
        status: 'succeeded',
        metadata: { order_id: orderId },
      },
    },
  });
  const stripe = new Stripe('sk_test_unused_no_network_call');
  const signature = stripe.webhooks.generateTestHeaderString({
    payload: body,
    secret: config.sources.stripe.secrets[0]!,
  });
  return { body, headers: { 'stripe-signature': signature } };
}

const SAMPLES = {
  shop: { build: shopSample, eventId: 'evt_8f3c21a9' },
  shopify: { build: shopifySample, eventId: 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043' },
  stripe: { build: stripeSample, eventId: 'evt_3QsamplePaymentSucceeded' },
} as const;

async function main(): Promise<void> {
  const config = loadConfig();
  const source = arg('source') ?? 'shop';
  if (!(source in SAMPLES)) throw new Error(`--source must be one of ${Object.keys(SAMPLES).join(', ')}`);
  const sample = SAMPLES[source as keyof typeof SAMPLES];
  const url = `${arg('url') ?? `http://localhost:${config.http.port}`}/webhooks/${source}`;
  const { headers, body } = sample.build(config, arg('event-id') ?? sample.eventId, arg('order') ?? 'ORD-10427');
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  process.stdout.write(`POST ${url} → ${res.status} ${await res.text()}\n`);
  if (res.status >= 400) process.exitCode = 1;
}

main().catch((err) => {
  process.stderr.write(`send-sample failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});

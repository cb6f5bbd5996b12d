import { z } from 'zod';
import { PayloadError, SignatureError } from './errors';
import { parseWith } from './parse';
import { encodedMacEquals, hmacSha256, singleHeader } from './signing';
import type { Delivery, SourceAdapter, Translation } from './types';

// Shopify signs the raw body only: X-Shopify-Hmac-Sha256 is the base64 HMAC-SHA256 of it with the app's secret.
// There is no timestamp, so a captured delivery can be replayed; X-Shopify-Webhook-Id (the workflow id) and the
// downstream idempotency keys (built from the order) are what make a replay harmless.

const webhookId = z.string().regex(/^[A-Za-z0-9_.:-]{1,128}$/, 'letters, digits and _.:- only, at most 128');

// The fields of Shopify's Order resource we use. Shopify sends money as decimal strings.
const orderSchema = z.object({
  // The order's name is its number with the store's prefix ("#1001", or "ORD-10427" when the store's order ID
  // format has the prefix "ORD-"): the id the shop and accounting know the order by.
  name: z.string().trim().min(1).max(128),
  total_price: z.string().regex(/^\d{1,15}(\.\d{1,4})?$/, 'a decimal amount as a string, e.g. "1499.00"'),
  currency: z.string().regex(/^[A-Z]{3}$/, 'ISO 4217 code, e.g. PLN'),
  email: z.email(),
  updated_at: z.iso.datetime({ offset: true }),
});

function header(delivery: Delivery, name: string): string {
  const value = singleHeader(delivery.headers, name);
  if (value === undefined) throw new PayloadError(name, 'header is missing (or sent more than once)');
  return value;
}

export function createShopifySource(): SourceAdapter {
  return {
    name: 'shopify',
    knownApiVersions: ['2024-10', '2025-01', '2025-04', '2025-07'],

    verify(delivery: Delivery, secrets: readonly string[]): void {
      const signature = singleHeader(delivery.headers, 'x-shopify-hmac-sha256');
      if (!signature) throw new SignatureError('missing');
      if (!/^[A-Za-z0-9+/]{43}=$/.test(signature)) throw new SignatureError('malformed');
      for (const secret of secrets) {
        if (encodedMacEquals(hmacSha256(secret, delivery.rawBody), signature, 'base64')) return;
      }
      throw new SignatureError('mismatch');
    },

    translate(body: unknown, delivery: Delivery): Translation {
      const eventId = parseWith(webhookId, header(delivery, 'x-shopify-webhook-id'), 'x-shopify-webhook-id');
      const eventType = header(delivery, 'x-shopify-topic');
      const apiVersion = singleHeader(delivery.headers, 'x-shopify-api-version');
      const base = { eventId, eventType, apiVersion };
      if (eventType !== 'orders/paid') return base;
      const order = parseWith(orderSchema, body);
      return {
        ...base,
        event: {
          type: 'OrderPaid',
          source: 'shopify',
          eventId,
          occurredAt: order.updated_at,
          order: {
            id: order.name,
            total: Number(order.total_price),
            currency: order.currency,
            customerEmail: order.email,
          },
        },
      };
    },
  };
}

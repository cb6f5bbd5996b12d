import { z } from 'zod';
import { currencySchema } from '../../domain/currencies';
import { PayloadError, SignatureError } from '../../kit/source/errors';
import { businessKeySchema, parseWith } from '../../kit/source/parse';
import { encodedMacEquals, headerOnce, hmacSha256 } from '../../kit/source/signing';
import type { Delivery, SourceAdapter, Translation } from '../../kit/source/adapter';

// Shopify signs the raw body only: X-Shopify-Hmac-Sha256 is the base64 HMAC-SHA256 of it with the app's secret.
// The topic, webhook id and API version headers are unsigned, and there is no timestamp: whoever holds one captured
// delivery can resend its body under any topic and any webhook id. So what a flow acts on comes from the signed body
// (an order is paid only when the body says so); the headers only route and label.

const webhookId = z.string().regex(/^[A-Za-z0-9_.:-]{1,128}$/, 'letters, digits and _.:- only, at most 128');

// The fields of Shopify's Order resource we use. Shopify sends money as decimal strings.
const orderSchema = z.object({
  // The order's name is its number with the store's prefix ("#1001", or "ORD-10427" when the store's order ID
  // format has the prefix "ORD-"): the id the shop and accounting know the order by.
  name: businessKeySchema,
  total_price: z.string().regex(/^\d{1,15}(\.\d{1,4})?$/, 'a decimal amount as a string, e.g. "1499.00"'),
  currency: currencySchema,
  email: z.email(),
  updated_at: z.iso.datetime({ offset: true }),
  financial_status: z.string().max(64).optional(),
});

function header(delivery: Delivery, name: string): string {
  const value = headerOnce(delivery.headers, name);
  if (value === undefined) throw new PayloadError(name, 'header is missing');
  return value;
}

export function createShopifySource(): SourceAdapter {
  return {
    name: 'shopify',
    knownApiVersions: ['2024-10', '2025-01', '2025-04', '2025-07'],

    verify(delivery: Delivery, secrets: readonly string[]): void {
      const signature = headerOnce(delivery.headers, 'x-shopify-hmac-sha256');
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
      const apiVersion = headerOnce(delivery.headers, 'x-shopify-api-version');
      const base = { eventId, eventType, apiVersion };
      if (eventType !== 'orders/paid') return base;
      const order = parseWith(orderSchema, body);
      // Only "paid" invoices an order: "partially_paid" is not the total, "authorized" is not captured. A genuine
      // orders/paid always says "paid", so anything else is a body signed for another topic, relabelled.
      if (order.financial_status !== 'paid') {
        const was = order.financial_status === undefined ? 'missing' : `"${order.financial_status}"`;
        throw new PayloadError(
          'financial_status',
          `is ${was}, not "paid": the X-Shopify-Topic header is not signed, so orders/paid needs a body Shopify signed as paid`,
        );
      }
      return {
        ...base,
        // X-Shopify-Webhook-Id is not signed: a captured delivery resent under a fresh id would otherwise start a new
        // workflow each time. An order is paid once, so the signed order name is the event's identity.
        dedupeKey: `orders/paid:${order.name}`,
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

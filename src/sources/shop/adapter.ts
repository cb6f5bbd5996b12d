import { z } from 'zod';
import { currencySchema } from '../../domain/currencies';
import { SignatureError } from '../../kit/source/errors';
import { businessKeySchema, parseWith } from '../../kit/source/parse';
import { assertFresh, encodedMacEquals, hmacSha256, headerOnce } from '../../kit/source/signing';
import type { Delivery, SourceAdapter, Translation } from '../../kit/source/adapter';

// Our own shop signs per the Standard Webhooks spec: webhook-id, webhook-timestamp and
// webhook-signature: "v1,<base64 HMAC-SHA256 of '<id>.<timestamp>.<raw body>'>" (several, space-separated).

const payloadSchema = z.object({
  event: z.string().min(1),
  event_id: z.string().regex(/^[A-Za-z0-9_.:-]{1,128}$/, 'letters, digits and _.:- only, at most 128'),
  occurred_at: z.iso.datetime({ offset: true }),
  api_version: z.string().optional(),
  order: z.unknown().optional(),
});

const orderSchema = z.object({
  id: businessKeySchema,
  total: z.number().finite().nonnegative(),
  currency: currencySchema,
  customer_email: z.email(),
});

function secretKey(secret: string): Buffer {
  return Buffer.from(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret, 'base64');
}

export function createShopSource(options: { toleranceSeconds: number }): SourceAdapter {
  return {
    name: 'shop',
    knownApiVersions: ['2024-11-01'],

    verify(delivery: Delivery, secrets: readonly string[]): void {
      const id = headerOnce(delivery.headers, 'webhook-id');
      const timestamp = headerOnce(delivery.headers, 'webhook-timestamp');
      const signatureHeader = headerOnce(delivery.headers, 'webhook-signature');
      if (!id || !timestamp || !signatureHeader) throw new SignatureError('missing');
      assertFresh(timestamp, delivery.receivedAt, options.toleranceSeconds);
      const candidates = signatureHeader
        .split(' ')
        .map((s) => s.split(','))
        .filter((parts): parts is [string, string] => parts.length === 2 && parts[0] === 'v1' && parts[1] !== '')
        .map(([, sig]) => sig);
      if (candidates.length === 0) throw new SignatureError('malformed');
      for (const secret of secrets) {
        const expected = hmacSha256(secretKey(secret), `${id}.${timestamp}.`, delivery.rawBody);
        if (candidates.some((c) => encodedMacEquals(expected, c, 'base64'))) return;
      }
      throw new SignatureError('mismatch');
    },

    translate(body: unknown): Translation {
      const payload = parseWith(payloadSchema, body);
      const base = { eventId: payload.event_id, eventType: payload.event, apiVersion: payload.api_version };
      if (payload.event !== 'order.paid') return base;
      const order = parseWith(orderSchema, payload.order, 'order');
      return {
        ...base,
        event: {
          type: 'OrderPaid',
          source: 'shop',
          eventId: payload.event_id,
          occurredAt: payload.occurred_at,
          order: { id: order.id, total: order.total, currency: order.currency, customerEmail: order.customer_email },
        },
      };
    },
  };
}

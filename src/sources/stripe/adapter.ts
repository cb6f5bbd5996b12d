import { z } from 'zod';
import { MINOR_UNITS } from '../../domain/currencies';
import { fromMinorUnits } from '../../domain/money';
import { SignatureError } from '../../kit/source/errors';
import { businessKeySchema, parseWith } from '../../kit/source/parse';
import { assertFresh, encodedMacEquals, hmacSha256, headerOnce } from '../../kit/source/signing';
import type { Delivery, SourceAdapter, Translation } from '../../kit/source/adapter';
import { STRIPE_API_VERSION } from '../../systems/stripe/wire';

// Stripe-Signature: "t=<unix seconds>,v1=<hex HMAC-SHA256 of '<t>.<raw body>'>[,v1=…][,v0=…]", keyed with the
// endpoint secret exactly as Stripe shows it (whsec_… included). Several v1 appear while Stripe rolls a secret.

const envelopeSchema = z.object({
  id: z.string().regex(/^evt_[A-Za-z0-9_]{1,124}$/, 'a Stripe event id, evt_ followed by letters and digits'),
  type: z.string().min(1).max(128),
  api_version: z.string().max(64).nullish(),
  created: z.number().int().nonnegative().max(4_102_444_800, 'unix seconds before 2100'),
  data: z.unknown(),
});

const paymentIntentSchema = z.object({
  object: z.object({
    id: z.string().regex(/^pi_[A-Za-z0-9_]{1,124}$/, 'a PaymentIntent id, pi_…'),
    amount_received: z.number().int().nonnegative(),
    currency: z
      .string()
      .regex(/^[a-z]{3}$/, 'lowercase ISO 4217 code, e.g. pln')
      .refine((c) => MINOR_UNITS.has(c.toUpperCase()), 'an ISO 4217 currency Switchyard knows'),
    metadata: z.object({
      order_id: z.string('set metadata.order_id on the PaymentIntent').pipe(businessKeySchema),
    }),
  }),
});

interface ParsedHeader {
  timestamp: string;
  signatures: string[];
}

function parseSignatureHeader(header: string): ParsedHeader {
  let timestamp: string | undefined;
  const signatures: string[] = [];
  for (const item of header.split(',')) {
    const at = item.indexOf('=');
    if (at < 0) continue;
    const key = item.slice(0, at).trim();
    const value = item.slice(at + 1).trim();
    if (key === 't') {
      // Two timestamps (e.g. two headers joined by the HTTP layer) leave no single signed message: reject.
      if (timestamp !== undefined) throw new SignatureError('malformed');
      timestamp = value;
    } else if (key === 'v1' && value) signatures.push(value);
  }
  if (timestamp === undefined || signatures.length === 0) throw new SignatureError('malformed');
  return { timestamp, signatures };
}

export function createStripeSource(options: { toleranceSeconds: number }): SourceAdapter {
  return {
    name: 'stripe',
    // The connector's pinned version is always one it knows (src/systems/stripe/wire.ts).
    knownApiVersions: [...new Set(['2024-06-20', '2024-09-30.acacia', '2025-03-31.basil', STRIPE_API_VERSION])],

    verify(delivery: Delivery, secrets: readonly string[]): void {
      const header = headerOnce(delivery.headers, 'stripe-signature');
      if (!header) throw new SignatureError('missing');
      const { timestamp, signatures } = parseSignatureHeader(header);
      assertFresh(timestamp, delivery.receivedAt, options.toleranceSeconds);
      for (const secret of secrets) {
        const expected = hmacSha256(secret, `${timestamp}.`, delivery.rawBody);
        if (signatures.some((s) => encodedMacEquals(expected, s, 'hex'))) return;
      }
      throw new SignatureError('mismatch');
    },

    translate(body: unknown): Translation {
      const envelope = parseWith(envelopeSchema, body);
      const base = { eventId: envelope.id, eventType: envelope.type, apiVersion: envelope.api_version ?? undefined };
      if (envelope.type !== 'payment_intent.succeeded') return base;
      const intent = parseWith(paymentIntentSchema, envelope.data, 'data').object;
      return {
        ...base,
        event: {
          type: 'PaymentSucceeded',
          source: 'stripe',
          eventId: envelope.id,
          occurredAt: new Date(envelope.created * 1000).toISOString(),
          payment: {
            id: intent.id,
            orderId: intent.metadata.order_id,
            amount: fromMinorUnits(intent.amount_received, intent.currency),
            currency: intent.currency.toUpperCase(),
          },
        },
      };
    },
  };
}

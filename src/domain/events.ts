import { z } from 'zod';
import { currencySchema } from './currencies';

// Canonical events: what workflows consume. Sources translate provider payloads into these, so a provider's
// format change touches one adapter and never a flow.

const money = z.number().finite().nonnegative();
const currency = currencySchema;

export const orderPaidSchema = z.object({
  type: z.literal('OrderPaid'),
  source: z.string(),
  eventId: z.string(),
  occurredAt: z.iso.datetime({ offset: true }),
  order: z.object({
    id: z.string().min(1).max(128),
    total: money,
    currency,
    customerEmail: z.email(),
  }),
});
export type OrderPaid = z.infer<typeof orderPaidSchema>;

export const paymentSucceededSchema = z.object({
  type: z.literal('PaymentSucceeded'),
  source: z.string(),
  eventId: z.string(),
  occurredAt: z.iso.datetime({ offset: true }),
  payment: z.object({
    id: z.string().min(1),
    orderId: z.string().min(1).max(128),
    amount: money,
    currency,
  }),
});
export type PaymentSucceeded = z.infer<typeof paymentSucceededSchema>;

export type CanonicalEvent = OrderPaid | PaymentSucceeded;

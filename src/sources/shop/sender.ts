import { Webhook } from 'standardwebhooks';
import type { SampleSender, SignedRequest } from '../../kit/source/sender';

// Signs as our shop does, with the official Standard Webhooks library acting as the sender.

export function signShop(secret: string, eventId: string, body: string, at: Date = new Date()): SignedRequest {
  const signature = new Webhook(secret).sign(eventId, at, body);
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'webhook-id': eventId,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': signature,
    },
  };
}

/** The seed document's sample order.paid payload, with ids of the caller's choosing. */
export function orderPaidBody(eventId: string, orderId: string, overrides: Record<string, unknown> = {}): string {
  return JSON.stringify({
    event: 'order.paid',
    event_id: eventId,
    occurred_at: '2024-11-12T09:41:07Z',
    order: { id: orderId, total: 1499.0, currency: 'PLN', customer_email: 'k.nowak@example.com' },
    ...overrides,
  });
}

export const shopSender: SampleSender = {
  eventId: 'evt_8f3c21a9',
  body: (eventId, orderId) => orderPaidBody(eventId, orderId),
  sign: (secret, body, { eventId, at }) => signShop(secret, eventId, body, at),
};

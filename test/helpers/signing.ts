import { Webhook } from 'standardwebhooks';

export interface SignedRequest {
  headers: Record<string, string>;
  body: string;
}

/** Signs `body` the way our shop does, with the official Standard Webhooks library acting as the sender. */
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

export function post(url: string, req: SignedRequest): Promise<Response> {
  return fetch(url, { method: 'POST', headers: req.headers, body: req.body });
}

// Posts the sample order.paid webhook to the running ingress, signed as the shop would sign it (Standard Webhooks).
// Usage: npm run send-sample -- [--event-id evt_x] [--order ORD-1] [--url http://localhost:3000]
import { Webhook } from 'standardwebhooks';
import { loadConfig } from '../src/config';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const config = loadConfig();
  const url = arg('url') ?? `http://localhost:${config.http.port}`;
  const eventId = arg('event-id') ?? 'evt_8f3c21a9';
  const body = JSON.stringify({
    event: 'order.paid',
    event_id: eventId,
    occurred_at: '2024-11-12T09:41:07Z',
    order: { id: arg('order') ?? 'ORD-10427', total: 1499.0, currency: 'PLN', customer_email: 'k.nowak@example.com' },
  });
  const secret = config.sources.shop.secrets[0]!;
  const now = new Date();
  const signature = new Webhook(secret).sign(eventId, now, body);
  const res = await fetch(`${url}/webhooks/shop`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'webhook-id': eventId,
      'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
      'webhook-signature': signature,
    },
    body,
  });
  process.stdout.write(`POST ${url}/webhooks/shop → ${res.status} ${await res.text()}\n`);
  if (res.status >= 400) process.exitCode = 1;
}

main().catch((err) => {
  process.stderr.write(`send-sample failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});

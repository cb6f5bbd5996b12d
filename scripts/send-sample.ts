// Posts a signed sample webhook to the running ingress, signed as each provider signs it (each source's sender.ts).
// Usage: npm run send-sample -- [--source <name>] [--event-id ID] [--order ORD-1] [--url http://localhost:3000]
//   shop     order.paid, Standard Webhooks (signed by the standardwebhooks package)
//   shopify  orders/paid, X-Shopify-Hmac-Sha256 (base64 HMAC-SHA256 of the body, as Shopify documents it)
//   stripe   payment_intent.succeeded, Stripe-Signature (signed by the stripe package); marks the order's invoice paid
// Every source in src/registry.ts is accepted: a new one is sendable as soon as it is declared.
import { loadConfig } from '../src/config';
import { post } from '../src/kit/source/sender';
import { SOURCES } from '../src/registry';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const config = loadConfig();
  const name = arg('source') ?? 'shop';
  const source = SOURCES.find((s) => s.name === name);
  if (!source) throw new Error(`--source must be one of ${SOURCES.map((s) => s.name).join(', ')}`);
  const secret = config.sources[source.name]?.secrets[0];
  if (!secret) throw new Error(`source "${name}" has no secret configured`);
  const url = `${arg('url') ?? `http://localhost:${config.http.port}`}/webhooks/${source.name}`;
  const eventId = arg('event-id') ?? source.sender.eventId;
  const body = source.sender.body(eventId, arg('order') ?? 'ORD-10427');
  const res = await post(url, source.sender.sign(secret, body, { eventId }));
  process.stdout.write(`POST ${url} → ${res.status} ${await res.text()}\n`);
  if (res.status >= 400) process.exitCode = 1;
}

main().catch((err) => {
  process.stderr.write(`send-sample failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});

import { defineSource } from '../../kit/declare';
import { createShopSource } from './adapter';
import { shopSender } from './sender';

// Our own shop, which signs with Standard Webhooks and is also a system we call (src/systems/shop/).

const MIN_KEY_BYTES = 16;

/** Canonical base64 only: Buffer.from would silently drop stray characters and accept a shorter key. */
function base64Key(value: string): Buffer | undefined {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(value) || value.length % 4 !== 0) return undefined;
  const key = Buffer.from(value, 'base64');
  return key.toString('base64') === value ? key : undefined;
}

export const shopSource = defineSource({
  name: 'shop',
  title: 'Our shop (Standard Webhooks)',
  system: 'shop',
  signature: {
    scheme: 'Standard Webhooks: HMAC-SHA256 of "<id>.<timestamp>.<raw body>", base64, "v1," prefix',
    headers: ['webhook-id', 'webhook-timestamp', 'webhook-signature'],
    toleranceSeconds: 300,
  },
  secret: {
    format: `whsec_ followed by canonical base64 of at least ${MIN_KEY_BYTES} random bytes`,
    check(secret) {
      if (!secret.startsWith('whsec_')) return 'must start with whsec_';
      const key = base64Key(secret.slice('whsec_'.length));
      if (!key) return 'the part after whsec_ must be canonical base64 (A-Z a-z 0-9 + /, = padding)';
      if (key.length < MIN_KEY_BYTES) return `decodes to ${key.length} bytes; use at least ${MIN_KEY_BYTES}`;
      return undefined;
    },
    development: (digest) => `whsec_${digest.toString('base64')}`,
  },
  events: { 'order.paid': 'OrderPaid' },
  deprecatedVariable: 'WEBHOOK_SECRET_SHOP',
  adapter: (o) => createShopSource({ toleranceSeconds: o.toleranceSeconds ?? 300 }),
  sender: shopSender,
});

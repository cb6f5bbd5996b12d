import type { Config, SourceName } from '../config';
import { createShopSource } from './shop';
import { createShopifySource } from './shopify';
import { createStripeSource } from './stripe';
import type { SourceAdapter } from './types';

export type { SourceAdapter, Delivery, Translation } from './types';
export { SignatureError, PayloadError } from './errors';

export interface RegisteredSource {
  adapter: SourceAdapter;
  secrets: readonly string[];
}

/**
 * Every source the ingress serves, with its current secrets. Register a new adapter here. Throws when a source has
 * no secret, so no configuration can make the ingress accept unsigned deliveries.
 */
export function createSources(config: Config): Map<SourceName, RegisteredSource> {
  const { shop, shopify, stripe } = config.sources;
  const sources = new Map<SourceName, RegisteredSource>([
    ['shop', { adapter: createShopSource({ toleranceSeconds: shop.toleranceSeconds }), secrets: shop.secrets }],
    ['shopify', { adapter: createShopifySource(), secrets: shopify.secrets }],
    ['stripe', { adapter: createStripeSource({ toleranceSeconds: stripe.toleranceSeconds }), secrets: stripe.secrets }],
  ]);
  for (const [name, source] of sources) {
    if (source.secrets.length === 0) {
      throw new Error(`webhook source "${name}" has no secret: set WEBHOOK_SECRET_${name.toUpperCase()}`);
    }
  }
  return sources;
}

import type { Config, SourceName } from '../config';
import { createShopSource } from './shop';
import type { SourceAdapter } from './types';

export type { SourceAdapter, Delivery, Translation } from './types';
export { SignatureError, PayloadError } from './errors';

export interface RegisteredSource {
  adapter: SourceAdapter;
  secrets: readonly string[];
}

/** Every source the ingress serves, with its current secrets. Register a new adapter here. */
export function createSources(config: Config): Map<SourceName, RegisteredSource> {
  const sources = new Map<SourceName, RegisteredSource>();
  sources.set('shop', {
    adapter: createShopSource({ toleranceSeconds: config.sources.shop.toleranceSeconds }),
    secrets: config.sources.shop.secrets,
  });
  return sources;
}

import type { Config, SourceName } from '../config';
import { SOURCES } from '../registry';
import { envPrefix, type SourceDeclaration } from '../kit/declare';
import type { SourceAdapter } from '../kit/source/adapter';

export type { SourceAdapter, Delivery, DistinctHeaders, Translation } from '../kit/source/adapter';
export { SignatureError, PayloadError, RepeatedHeaderError } from '../kit/source/errors';
export { distinctHeaders, headerOnce } from '../kit/source/signing';
export { isKeyword } from '../kit/source/parse';

export interface RegisteredSource {
  adapter: SourceAdapter;
  secrets: readonly string[];
  /** Provider event types that start a flow (the declaration's `events`); metrics count any other as `other`. */
  eventTypes: readonly string[];
  /** Headers the scheme reads (the declaration's `signature.headers`): each must arrive at most once. */
  singleHeaders: readonly string[];
}

/**
 * Every declared source the ingress serves, with its current secrets. Throws when a source has no secret, so no
 * configuration can make the ingress accept unsigned deliveries.
 */
export function createSources(
  config: Pick<Config, 'sources'>,
  declared: readonly SourceDeclaration[] = SOURCES,
): Map<SourceName, RegisteredSource> {
  const sources = new Map<SourceName, RegisteredSource>();
  for (const declaration of declared) {
    const configured = (config.sources as Record<string, Config['sources'][SourceName] | undefined>)[declaration.name];
    const { secrets, toleranceSeconds } = configured ?? { secrets: [], toleranceSeconds: undefined };
    if (secrets.length === 0) {
      const variable = `${envPrefix(declaration.name)}_WEBHOOK_SECRET`;
      throw new Error(`webhook source "${declaration.name}" has no secret: set ${variable}`);
    }
    sources.set(declaration.name as SourceName, {
      adapter: declaration.adapter({ toleranceSeconds }),
      secrets,
      eventTypes: Object.keys(declaration.events),
      singleHeaders: declaration.signature.headers,
    });
  }
  return sources;
}

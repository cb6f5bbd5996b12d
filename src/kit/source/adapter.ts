import type { CanonicalEvent } from '../../domain/events';

/** Every value of every header, names lower-cased, repetitions kept apart (Node's `req.headersDistinct`). */
export type DistinctHeaders = Readonly<Record<string, readonly string[] | undefined>>;

/**
 * One webhook delivery as it arrived: the raw bytes the sender signed, and its headers with each repetition kept
 * (never joined with ", "). Read a header with `headerOnce` (`sources/signing.ts`).
 */
export interface Delivery {
  rawBody: Buffer;
  headers: DistinctHeaders;
  receivedAt: Date;
}

/** What a verified, parsed delivery means to us. `event` is absent for event types no flow handles. */
export interface Translation {
  eventId: string;
  eventType: string;
  apiVersion?: string;
  event?: CanonicalEvent;
  /**
   * What identifies this event for deduplication, when the scheme does not sign the event id: taken from the signed
   * body, so a replay under a fresh id is still a duplicate. The workflow id is `<source>:<dedupeKey ?? eventId>`.
   */
  dedupeKey?: string;
}

/**
 * A provider adapter. The ingress calls `verify` on the raw bytes first, and only then parses JSON and
 * calls `translate`. Adding a source means writing one of these and declaring it in its folder's `source.ts` (src/sources/<name>/).
 */
export interface SourceAdapter {
  readonly name: string;
  /** Provider API versions this adapter was written against; others are accepted but flagged as drift. */
  readonly knownApiVersions: readonly string[];
  /**
   * Throws SignatureError unless one of `secrets` signed this delivery (and it is fresh, where the scheme says);
   * RepeatedHeaderError when a header it reads arrived more than once.
   */
  verify(delivery: Delivery, secrets: readonly string[]): void;
  /** Throws PayloadError naming the offending field, or RepeatedHeaderError. */
  translate(body: unknown, delivery: Delivery): Translation;
}

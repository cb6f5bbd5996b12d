import type { SystemActivityDeps } from './activity-deps';
import type { ProfileName } from '../contracts/activity-profiles';
import type { SourceAdapter } from './source-adapter';

// The shapes of the declarations everything else is derived from: config variables, task queues, workers, the
// sandbox, the redrive side-effect table, the catalog and .env.example.

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- activity signatures vary; callers get them typed.
export type ActivityFunctions = Record<string, (...args: any[]) => Promise<unknown>>;

/** What the catalog and `redrive --dry-run` say about one activity. */
export interface ActivityDoc {
  /** What it does, in a few words ("creates the order's invoice"). */
  does: string;
  /** `read`: changes nothing. `write`: a side effect outside Temporal that a re-run must not repeat. */
  kind: 'read' | 'write';
  profile: ProfileName;
  /** For writes: the Idempotency-Key sent downstream, as a format ("invoice:<order id>"). */
  idempotencyKey?: string;
  /** The key includes the run id on purpose, so a re-run repeats the effect (alerts: a re-run that fails alerts). */
  perRun?: boolean;
  /** Anything else an operator should know about a re-run of it. */
  note?: string;
}

/**
 * A third-party system we call. Its name is its task queue, metric label, sandbox path and catalog entry; its folder is
 * src/systems/<name>/ (system.ts, activities, and stand-in.ts, which only the sandbox loads).
 */
export interface SystemDeclaration<A extends ActivityFunctions = ActivityFunctions, N extends string = string> {
  /** kebab-case; its variables are prefixed with the name in SCREAMING_SNAKE_CASE (email-platform → EMAIL_PLATFORM_). */
  name: N;
  title: string;
  /** The data it is the source of truth for, and what it receives copies of. */
  owns: string;
  /**
   * How we authenticate: `bearer` sends <PREFIX>_API_KEY to <PREFIX>_API_URL; `secret-url` has no key because its URL
   * (<PREFIX>_WEBHOOK_URL) is the secret, so the URL never appears in errors, logs or histories.
   */
  auth: 'bearer' | 'secret-url';
  /** Calls per second to it from all replicas together, unless <PREFIX>_RATE_LIMIT_PER_SECOND says otherwise. */
  defaultRatePerSecond: number;
  /** Variable names of an earlier release, still read with a deprecation warning. */
  deprecatedVariables?: { url?: string; key?: string };
  /** The activities its task queue serves; only its own worker registers them. */
  activities: (deps: SystemActivityDeps) => A;
  activityDocs: { [K in keyof A]: ActivityDoc };
}

/** Declares a system, checking its activity docs against its activities at compile time. */
export function defineSystem<A extends ActivityFunctions, const N extends string>(
  d: SystemDeclaration<A, N>,
): SystemDeclaration<A, N> {
  return d;
}

/** A webhook sender: its signature scheme, its secret and what it sends. Adapters live in src/sources/. */
export interface SourceDeclaration<N extends string = string> {
  /** kebab-case; the endpoint is POST /webhooks/<name>, the secret <PREFIX>_WEBHOOK_SECRET. */
  name: N;
  title: string;
  /** The declared system this source is a role of, when we also call its API (the shop). */
  system?: string;
  signature: {
    scheme: string;
    headers: string[];
    /** Seconds a signed timestamp may be off, for schemes that sign one. */
    toleranceSeconds?: number;
  };
  secret: {
    /** The format, as an operator copies it from the provider ("whsec_ followed by base64"). */
    format: string;
    /** A problem with one secret value (never echoing it), or undefined when it is acceptable. */
    check(secret: string): string | undefined;
    /** The development secret, from a digest of the variable name: deterministic, so the sender tools can sign. */
    development(digest: Buffer): string;
  };
  /** Provider event types that start a flow, and the canonical event each becomes. */
  events: Record<string, string>;
  deprecatedVariable?: string;
  adapter(options: { toleranceSeconds?: number }): SourceAdapter;
}

/** Declares a webhook source, keeping its name's literal type. */
export function defineSource<const N extends string>(d: SourceDeclaration<N>): SourceDeclaration<N> {
  return d;
}

/** The name as a variable prefix: email-platform → EMAIL_PLATFORM. */
export function envPrefix(name: string): string {
  return name.toUpperCase().replace(/-/g, '_');
}

import { limitsProblems, type ProviderLimits } from './provider-limits';
import type { SystemActivityDeps } from './activity-deps';
import type { Connections } from './connections/types';
import type { OAuthProvider } from './connections/oauth';
import type { ProfileName } from '../contracts/activity-profiles';
import type { SourceAdapter } from './source/adapter';
import type { SampleSender } from './source/sender';
import type { CanonicalEvent } from '../domain/events';

// The shapes of the declarations everything else is derived from: config variables, task queues, workers, the
// sandbox, the workflow bundle, the redrive side-effect table, the catalog, .env.example and the compose environment.
// Each is written once, in its folder (src/systems/<name>/system.ts, src/sources/<name>/source.ts,
// src/flows/<name>/flow.ts), and listed once, in src/registry.ts.

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
  /**
   * Other ways to reach the same system, chosen by <PREFIX>_CONNECTOR (default `api`: the activities above, over the
   * system's HTTP API). A connector serves some of the activities in its own way (the invoice email over SMTP) and
   * leaves the rest to the API; each lives in src/systems/<name>/<connector>/.
   */
  connectors?: readonly ConnectorDeclaration<A>[];
  /**
   * The team or role that owns its credentials (API key or secret URL, connector secrets): who rotates them. Never a
   * person's name; unset, the registry's default owner (src/kit/credentials.ts).
   */
  owner?: string;
}

/** One variable a connector reads, named <SYSTEM PREFIX>_<CONNECTOR PREFIX>_<suffix> (EMAIL_PLATFORM_SMTP_URL). */
export interface ConnectorVariable {
  /** SCREAMING_SNAKE_CASE, after the prefixes: `URL`, `FROM`. */
  suffix: string;
  description: string;
  /** Used when unset; without one the variable is required whenever the connector is selected. */
  default?: string;
  secret?: boolean;
  /** Problems with one value, never echoing it. */
  check?(value: string): string[];
  /**
   * Outside production, the value when unset, from the sandbox's base URL: its stand-in's URL, or a development
   * credential it accepts. With one, the variable is required only in production.
   */
  development?(sandboxUrl: string): string;
}

/** What a connector's activities get: the system's deps, its own variables by suffix, and its OAuth connections. */
export interface ConnectorDeps extends SystemActivityDeps {
  settings: Readonly<Record<string, string | undefined>>;
  /** Current access tokens of OAuth connections (src/kit/connections/types.ts); absent where none is configured. */
  connections?: Connections;
  /**
   * The provider says a daily budget is running low (remaining calls below a tenth): the worker alerts once per
   * system, tenant and day. Awaited inside the activity that saw it (once a day); never throws.
   */
  onBudgetLow?(report: BudgetReport): Promise<void>;
}

/** What a connector read from a provider's remaining-budget headers. */
export interface BudgetReport {
  system: string;
  tenant: string;
  window: 'day';
  remaining: number;
  limit: number;
}

/** A way to reach a system other than its HTTP API: its folder is src/systems/<system>/<name>/. */
export interface ConnectorDeclaration<A extends ActivityFunctions = ActivityFunctions> {
  /** kebab-case; the value of <PREFIX>_CONNECTOR that selects it. */
  name: string;
  title: string;
  variables: readonly ConnectorVariable[];
  /** The activities it serves instead of the API's, with the same signatures. */
  activities(deps: ConnectorDeps): Partial<A>;
  /** What changes for each activity it serves, for the catalog (its guarantees where they differ from the API's). */
  activityNotes: Partial<Record<keyof A, string>>;
  /**
   * It has a stand-in, src/systems/<system>/<name>/stand-in.ts, which the sandbox mounts at /<system>-<name> (its faults
   * and request log at /__admin/<system>-<name>/…); its variables' `development` values point at it.
   */
  standIn?: boolean;
  /** Problems between its variables (one needs another), checked at startup with the rest of the config. */
  checkSettings?(settings: Readonly<Record<string, string | undefined>>): string[];
  /**
   * For a connector that authorises with OAuth2: its provider's endpoints and client, from its settings. The system
   * then has a connection workflow (src/flows/connection/), and its queue serves the connection's activities.
   */
  oauth?(settings: Readonly<Record<string, string | undefined>>, system: string): OAuthProvider;
  /**
   * The provider's limits as it publishes them (calls in flight, per minute, per day, and the answer headers that say
   * what is left of each): the client layer's gate holds the system's calls to all of them (src/kit/provider-limits.ts),
   * on top of <PREFIX>_RATE_LIMIT_PER_SECOND.
   */
  limits?: ProviderLimits;
}

/**
 * A variable check: the value is a URL with one of `protocols` (`['smtp:', 'smtps:']`), or empty when `optional`;
 * else `problem`, which never quotes the value.
 */
export function urlCheck(protocols: readonly string[], problem: string, options: { optional?: boolean } = {}) {
  return (value: string): string[] => {
    if (options.optional && value === '') return [];
    try {
      if (protocols.includes(new URL(value).protocol)) return [];
    } catch {
      // not a URL at all: the same problem
    }
    return [problem];
  };
}

/** Declares a connector of a system whose activities are `A`, checking its activities' signatures against them. */
export function defineConnector<A extends ActivityFunctions>(d: ConnectorDeclaration<A>): ConnectorDeclaration<A> {
  const problems = d.limits ? limitsProblems(d.limits) : [];
  if (problems.length) throw new Error(`connector ${d.name}: its limits are wrong: ${problems.join('; ')}`);
  return d;
}

/** The connector names a system accepts in <PREFIX>_CONNECTOR: `api` first. */
export function connectorNames(system: Pick<SystemDeclaration, 'connectors'>): string[] {
  return ['api', ...(system.connectors ?? []).map((c) => c.name)];
}

/** Declares a system, checking its activity docs against its activities at compile time. */
export function defineSystem<A extends ActivityFunctions, const N extends string>(
  d: SystemDeclaration<A, N>,
): SystemDeclaration<A, N> {
  return d;
}

/** A webhook sender: its signature scheme, its secret and what it sends. Its folder is src/sources/<name>/. */
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
  /** The team or role that owns its webhook secret, never a person's name; unset, the registry's default owner. */
  owner?: string;
  adapter(options: { toleranceSeconds?: number }): SourceAdapter;
  /** Signs sample deliveries as the provider does: `npm run send-sample`, the benchmarks and the tests use it. */
  sender: SampleSender;
}

/** Declares a webhook source, keeping its name's literal type. */
export function defineSource<const N extends string>(d: SourceDeclaration<N>): SourceDeclaration<N> {
  return d;
}

/** The name as a variable prefix: email-platform → EMAIL_PLATFORM. */
export function envPrefix(name: string): string {
  return name.toUpperCase().replace(/-/g, '_');
}

/**
 * How a workflow type behaves across deploys under Worker Versioning (WORKER_BUILD_ID set; docs/deploying.md):
 * PINNED finishes an execution on the worker version it started on, so new code never replays an old history;
 * AUTO_UPGRADE moves a long-lived or self-continuing execution to the current version at its next workflow task, so
 * its code changes go through patched() and the replay tests.
 */
export type Versioning = 'PINNED' | 'AUTO_UPGRADE';

/** What starts a flow: a canonical event from the ingress, a schedule, or another caller. */
export type FlowTrigger<I> =
  | {
      event: CanonicalEvent['type'];
      /** What downstream idempotency keys and operator searches are built from (the order id). */
      businessKey(event: I): string;
      /** The workflow's second argument, from the deployment the ingress runs in (none: the event only). */
      startOptions?(deployment: { production: boolean }): unknown;
    }
  | { schedule: string }
  | { by: string };

/**
 * A workflow type, declared with what starts it and what it changes outside Temporal. The workflow is referenced, not
 * named, so renaming one is a compile error; its type name is the function's name. Its folder is src/flows/<name>/.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- workflow signatures vary.
export type WorkflowFunction = (...args: any[]) => Promise<unknown>;

export interface FlowDeclaration<I = never, A extends string = string, W extends WorkflowFunction = WorkflowFunction> {
  workflow: W;
  description: string;
  trigger: FlowTrigger<I>;
  versioning: Versioning;
  /** Why it has that behaviour, for the bundle's comment. */
  versioningNote?: string;
  /** The activities it schedules, in order; src/registry.ts checks each is served by a declared queue. */
  activities: readonly A[];
  /** Each side effect's idempotency key, computed from the input where it can be. */
  keys?: Partial<Record<A, (input: I) => string>>;
  /** Child workflows it starts, and what keeps them from running twice. */
  children?: Array<{ workflow: string; id: string; note: string }>;
}

/**
 * Declares a flow: its keys and business key are typed by the workflow's input, and its activity names keep their
 * literal types for the registry's check that a declared queue serves each.
 */
export function defineFlow<W extends WorkflowFunction, const A extends string>(
  d: FlowDeclaration<Parameters<W>[0], A, W>,
): FlowDeclaration<never, A, W> {
  return d as unknown as FlowDeclaration<never, A, W>;
}

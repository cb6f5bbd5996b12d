import { ApplicationFailure } from '@temporalio/common';
import type { ThrottleGate } from '../throttle';

// What callers of the client layer pass and get back, and the details every failure it throws carries.

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface DownstreamSystem {
  /** Short system name used in errors, metrics and alert text, e.g. "accounting". */
  name: string;
  baseUrl: string;
  /** Sent as a bearer token; omitted for systems whose URL is the secret (Slack-style alert webhooks). */
  apiKey?: string;
  /**
   * The URL is a credential (an incoming webhook carries its token in the path or query). Failures then name the
   * system and the method only, their details carry no path, and the answer's own text has the URL's parts redacted,
   * because failures end up in workflow history, logs, the admin API and alerts. Defaults to true without `apiKey`.
   */
  secretUrl?: boolean;
}

export interface CallObserver {
  /** Called once per HTTP exchange, including failed ones (status 0 for network errors). */
  onCall?(system: string, method: HttpMethod, status: number, durationMs: number): void;
  /** Called with the server's Retry-After when it throttles us (429, or 503 with Retry-After). */
  onThrottle?(system: string, retryAfterMs: number): void;
  /** Called when the gate hands an attempt back to Temporal to retry later, without calling the system. */
  onDeferred?(system: string, retryInMs: number): void;
}

export interface RequestOptions<T = unknown> {
  /**
   * Values for the `{name}` segments of the path, each percent-encoded into the URL. Spans and failures show the
   * path as written, `/contacts/by-email/{email}`: a value that is personal data (an email) never leaves the request.
   */
  params?: Record<string, string>;
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  /**
   * Further request headers (an SDK's version and user-agent headers, through `client.fetch`). The client's own win:
   * accept, authorization, content-type, idempotency-key and the trace context.
   */
  headers?: Record<string, string>;
  /**
   * The bearer token of this call, in place of the client's API key: a connector's OAuth access token, current per
   * call (src/kit/connections).
   */
  bearer?: string;
  /** Where this call goes, in place of the client's base URL: a connector's own API (ACCOUNTING_XERO_API_URL). */
  baseUrl?: string;
  /** A body already serialised as JSON (by a vendor SDK's own serializer): sent as it is, instead of `body`. */
  jsonText?: string;
  /** Told of every answer's status and headers before it is read (a vendor's rate-limit headers). */
  onAnswer?(status: number, headers: Headers): void;
  /** Required on every mutating request: derived from the business key and the step, never random. */
  idempotencyKey?: string;
  /** Statuses the caller handles itself (e.g. 409 on an idempotent create); returned instead of thrown. */
  accept?: readonly number[];
  signal?: AbortSignal;
  /**
   * Reads what this idempotency key already created, for when the system answers that the key was used with another
   * body (a re-run whose code now sends something else). Its result is returned in place of the failure, with a
   * warning naming the fields that differ; undefined (nothing found) keeps the answer a rejection. Must only read:
   * a second create under another key is exactly what the key exists to prevent.
   */
  onKeyReused?: () => Promise<T | undefined>;
}

export interface Response<T> {
  status: number;
  body: T;
  /** The system answered from its idempotency store (Idempotent-Replayed: true): the write happened earlier. */
  replayed: boolean;
}

/** The first detail of every failure thrown here, so operators and code can read what the system said. */
export interface DownstreamFailureDetails {
  system: string;
  method: HttpMethod;
  /** The path as the caller wrote it, `{name}` segments unfilled; absent for systems whose URL is secret. */
  path?: string;
  /** HTTP status, or 0 when no answer came (timeout, network error, or our own throttle gate). */
  status: number;
  /** The response's own message (its `message`, `error` or `detail` field, or its text), emails hashed, bounded. */
  responseMessage?: string;
  retryAfterMs?: number;
}

/** Reads the details of a failure thrown by the client layer, if it is one. */
export function downstreamDetails(err: unknown): DownstreamFailureDetails | undefined {
  if (!(err instanceof ApplicationFailure)) return undefined;
  const first = err.details?.[0] as Partial<DownstreamFailureDetails> | undefined;
  return first && typeof first.system === 'string' && typeof first.status === 'number'
    ? (first as DownstreamFailureDetails)
    : undefined;
}

export interface DownstreamClientOptions extends CallObserver {
  timeoutMs: number;
  /**
   * Upper bound for an attempt's retry delay; the running activity's maximumInterval lowers it further. The gate's
   * window stays the server's Retry-After (up to MAX_RETRY_AFTER_MS): a retry inside it is held back without a call.
   */
  maxRetryDelayMs?: number;
  /** Shared by every client of the worker process: a 429 to one caller slows all callers of that system. */
  gate?: ThrottleGate;
  /**
   * A closed Retry-After window longer than this fails the attempt with nextRetryDelay instead of being waited out
   * in the activity. Default 0: failing hands the retry back to the server, whose task-queue rate limit then spreads
   * the waiting callers out instead of releasing them all at once when the window ends.
   */
  maxGateWaitMs?: number;
  /** A turn in the gate's spacing, or in a provider's window, further away than this fails the attempt too (default 10 s). */
  maxQueueWaitMs?: number;
  /**
   * Whether an activity of this workflow type is background work (a scheduled sync's), whose calls keep off the
   * reserve of a provider's windows (provider-limits.ts) so event flows have it. Unset: nothing is background.
   */
  isBackground?(workflowType: string): boolean;
  fetch?: typeof fetch;
}

import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { FailureType, failureTypeOfStatus, NON_RETRYABLE_TYPES } from '../contracts/failures';
import { durationMs } from '../temporal/time';
import { type ThrottleGate, throttleWindowMs } from './throttle';
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { tracer } from '../tracing/index';
import { redactEmails, safeText } from '../redaction';

// The one HTTP client layer every activity talks to third-party systems through. It owns timeouts, auth,
// idempotency keys and the classification of answers into Temporal failures; Temporal owns the retries.

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

export { FailureType };

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

/** Parses Retry-After, given as delay-seconds or an HTTP-date. Returns milliseconds, or undefined. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/**
 * A request fetch refused to build (a header value outside Latin-1 or with a line break, a bad URL or body): a bug
 * on our side that no retry fixes. fetch reports a failure on the wire as TypeError('fetch failed') with the network
 * error (ECONNREFUSED, ENOTFOUND, a reset socket…) as its cause; one it raises itself before sending has no cause.
 */
const PROGRAMMING_ERRORS = ['TypeError', 'RangeError', 'SyntaxError'];

function isProgrammingError(err: unknown): err is Error {
  // By name, not instanceof: fetch's errors may come from another realm (a vm context such as jest's).
  const { name, cause } = (err ?? {}) as { name?: unknown; cause?: unknown };
  return PROGRAMMING_ERRORS.includes(name as string) && cause === undefined;
}

/** fetch quotes a refused header value in its message, and that value may be the Authorization header: never keep it. */
function withoutQuotedValues(message: string): string {
  return message.replace(/"[^]*"/g, '"…"');
}

/** The answer of a system that has seen this idempotency key with another body (the sandbox's, as many APIs say it). */
function isKeyReused(status: number, body: unknown): boolean {
  return status === 422 && (body as { error?: unknown } | null)?.error === 'idempotency_key_reused';
}

/** The top-level fields of what we sent that the existing resource holds differently, with both values. */
function differencesOf(sent: unknown, existing: unknown): Record<string, { sent: unknown; existing: unknown }> {
  const out: Record<string, { sent: unknown; existing: unknown }> = {};
  if (!sent || typeof sent !== 'object' || !existing || typeof existing !== 'object') return out;
  for (const [field, value] of Object.entries(sent)) {
    const held = (existing as Record<string, unknown>)[field];
    if (JSON.stringify(value) !== JSON.stringify(held)) out[field] = { sent: value, existing: held };
  }
  return out;
}

function messageOf(body: unknown, fallback: string): string {
  if (body && typeof body === 'object') {
    const b = body as Record<string, unknown>;
    for (const key of ['message', 'error', 'detail']) if (typeof b[key] === 'string') return b[key];
  }
  if (typeof body === 'string' && body.trim()) return body.trim().slice(0, 300);
  return fallback;
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
  /** A turn in the gate's spacing further away than this fails the attempt too (default 10 s). */
  maxQueueWaitMs?: number;
  fetch?: typeof fetch;
}

function activityContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

/** Heartbeats while `work` runs, when the activity has a heartbeat timeout (long calls must show they are alive). */
async function heartbeating<T>(ctx: Context | undefined, work: () => Promise<T>): Promise<T> {
  const timeout = ctx?.info.heartbeatTimeoutMs;
  if (!ctx || !timeout) return work();
  ctx.heartbeat();
  const timer = setInterval(() => ctx.heartbeat(), Math.max(100, Math.min(1000, timeout / 4)));
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Replaces every part of a secret URL (itself, its path, its query, each segment and value of 4+ characters, raw
 * or decoded) in text a server sent back, such as an error page quoting the request.
 */
function urlRedactor(url: URL): (text: string) => string {
  const parts = new Set<string>([url.href, url.pathname, url.search]);
  for (const segment of url.pathname.split('/')) parts.add(segment);
  for (const [key, value] of url.searchParams) parts.add(`${key}=${value}`).add(value);
  for (const part of [...parts]) {
    try {
      parts.add(decodeURIComponent(part));
    } catch {
      // Not valid percent-encoding: the raw form is already in the set.
    }
    parts.add(encodeURIComponent(part));
  }
  const secrets = [...parts].filter((p) => p.length >= 4 && p !== '/').sort((a, b) => b.length - a.length);
  return (text) => secrets.reduce((t, secret) => t.split(secret).join('[redacted]'), text);
}

/** The path with each `{name}` segment replaced by its percent-encoded value from `params`. */
function filled(system: string, path: string, params: Record<string, string> = {}): string {
  return path.replace(/\{(\w+)\}/g, (_segment, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`${system}: ${path} needs the path parameter ${name}`);
    return encodeURIComponent(value);
  });
}

/** Where a call goes, as spans may say it: the path as written, the query's values redacted, no email anywhere. */
function shownCall(baseUrl: string, path: string, query: RequestOptions['query']): { route: string; full: string } {
  const [written = '', search] = path.split('?');
  const route = shownPathOf(baseUrl, written);
  const params = new URLSearchParams(search);
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) params.set(k, String(v));
  const shown = new URLSearchParams([...params].map(([k, v]): [string, string] => [redactEmails(k), redactEmails(v)]));
  const q = shown.size ? `?${shown}` : '';
  return { route, full: redactEmails(`${new URL(baseUrl).origin}${route}${q}`) };
}

/** The URL's path as errors and spans show it: the base URL's own path, then the path as written. */
function shownPathOf(baseUrl: string, written: string): string {
  return redactEmails(new URL(baseUrl).pathname.replace(/\/$/, '') + written);
}

/** An HTTP client bound to one third-party system. */
export function createDownstreamClient(system: DownstreamSystem, options: DownstreamClientOptions) {
  const doFetch = options.fetch ?? fetch;
  const maxGateWait = options.maxGateWaitMs ?? 0;
  const maxQueueWait = options.maxQueueWaitMs ?? 10_000;

  function maxDelayFor(ctx: Context | undefined): number {
    const maximumInterval = ctx?.info.retryPolicy?.maximumInterval;
    const policyMax = maximumInterval === undefined ? undefined : durationMs(maximumInterval);
    return Math.min(options.maxRetryDelayMs ?? 10 * 60 * 1000, policyMax ?? Infinity);
  }

  /**
   * Waits for this call's turn at the system's gate, or fails the attempt with the wait as its retry delay. Returns
   * what to call once the call has settled.
   */
  async function passGate(
    ctx: Context | undefined,
    method: HttpMethod,
    path?: string,
    signal?: AbortSignal,
  ): Promise<() => void> {
    const gate = options.gate;
    if (!gate) return () => {};
    await gate.learn(system.name);
    const left = gate.remainingMs(system.name);
    const turn = left > maxGateWait ? { retryInMs: left } : gate.reserve(system.name, maxQueueWait);
    if ('retryInMs' in turn) {
      const details: DownstreamFailureDetails = {
        system: system.name,
        method,
        ...(path === undefined ? {} : { path }),
        status: 0,
        retryAfterMs: turn.retryInMs,
      };
      options.onDeferred?.(system.name, turn.retryInMs);
      throw ApplicationFailure.create({
        message: `${system.name} is throttled here: next turn in ${turn.retryInMs} ms`,
        type: FailureType.throttled,
        nextRetryDelay: Math.min(Math.ceil(turn.retryInMs), maxDelayFor(ctx)),
        details: [details],
      });
    }
    if (turn.waitMs > 0) await heartbeating(ctx, () => sleep(turn.waitMs, signal));
    for (;;) {
      const admitted = gate.admit(system.name);
      if ('answered' in admitted) return admitted.answered;
      await heartbeating(ctx, () => sleep(admitted.waitMs, signal));
    }
  }

  /**
   * One CLIENT span per call, `HTTP <method> <system>`, from the gate to the answer (the event `sent` marks when it
   * left); its W3C `traceparent` goes out with the request, so a provider that traces joins the trace. The span
   * names the path as written (`/contacts/by-email/{email}`) and holds no email: spans are not encrypted.
   */
  function request<T = unknown>(method: HttpMethod, path: string, opts: RequestOptions<T> = {}): Promise<Response<T>> {
    const secretUrl = system.secretUrl ?? !system.apiKey;
    const shown = secretUrl ? undefined : shownCall(system.baseUrl, path, opts.query);
    return tracer().startActiveSpan(
      `HTTP ${method} ${system.name}`,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          'switchyard.system': system.name,
          'http.request.method': method,
          ...(shown ? { 'url.path': shown.route, 'http.route': shown.route, 'url.full': shown.full } : {}),
        },
      },
      async (span) => {
        try {
          const answer = await send(method, path, opts);
          span.setAttribute('http.response.status_code', answer.status);
          return answer;
        } catch (err) {
          const status = (err as { details?: Array<{ status?: number }> }).details?.[0]?.status;
          if (status) span.setAttribute('http.response.status_code', status);
          span.setStatus({
            code: SpanStatusCode.ERROR,
            message: safeText(err instanceof Error ? err.message : String(err)),
          });
          throw err;
        } finally {
          span.end();
        }
      },
    );
  }

  async function send<T = unknown>(method: HttpMethod, path: string, opts: RequestOptions<T>): Promise<Response<T>> {
    const secretUrl = system.secretUrl ?? !system.apiKey;
    // What errors may say about where the call went: the path as written, unless the URL is a credential.
    const shownPath = secretUrl ? undefined : shownPathOf(system.baseUrl, path.split('?')[0] ?? '');
    if (method !== 'GET' && !opts.idempotencyKey) {
      throw new Error(
        `${system.name}: ${method}${shownPath === undefined ? '' : ` ${shownPath}`} needs an idempotency key`,
      );
    }
    const ctx = activityContext();
    const url = new URL(system.baseUrl.replace(/\/$/, '') + filled(system.name, path, opts.params));
    for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    // Text the other side wrote (its answer, a network error) enters failures, logs, spans and alerts: the URL's
    // secret parts out, emails hashed, and bounded.
    const redactUrl = secretUrl ? urlRedactor(url) : (text: string) => text;
    const scrub = (text: string) => safeText(redactUrl(text));
    const headers: Record<string, string> = { accept: 'application/json' };
    if (system.apiKey) headers.authorization = `Bearer ${system.apiKey}`;
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    if (opts.idempotencyKey) headers['idempotency-key'] = opts.idempotencyKey;
    propagation.inject(context.active(), headers);

    // The activity's cancellation (its workflow cancelled it, or the worker is shutting down past its grace time)
    // aborts the wait and the call: the attempt ends now, and its retry carries the same idempotency key.
    const cancelled = ctx?.cancellationSignal;
    const callerSignals = [opts.signal, cancelled].filter((s): s is AbortSignal => s !== undefined);
    const callerSignal = callerSignals.length > 1 ? AbortSignal.any(callerSignals) : callerSignals[0];
    const answered = await passGate(ctx, method, shownPath, callerSignal);
    trace.getActiveSpan()?.addEvent('sent');
    const timeout = AbortSignal.timeout(options.timeoutMs);
    const signal = callerSignal ? AbortSignal.any([timeout, callerSignal]) : timeout;
    const started = Date.now();
    const where = shownPath === undefined ? `${system.name} ${method}` : `${system.name} ${method} ${shownPath}`;
    const details = (status: number, responseMessage?: string, retryAfterMs?: number): DownstreamFailureDetails => ({
      system: system.name,
      method,
      ...(shownPath === undefined ? {} : { path: shownPath }),
      status,
      responseMessage,
      retryAfterMs,
    });
    let res: globalThis.Response;
    let text: string;
    try {
      [res, text] = await heartbeating(ctx, async () => {
        try {
          const r = await doFetch(url, {
            method,
            headers,
            body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
            signal,
          });
          return [r, await r.text()] as const;
        } finally {
          answered();
        }
      });
    } catch (err) {
      options.onCall?.(system.name, method, 0, Date.now() - started);
      if (opts.signal?.aborted) throw err;
      if (cancelled?.aborted) throw cancelled.reason;
      if (timeout.aborted) {
        throw ApplicationFailure.retryable(
          `${where} timed out after ${options.timeoutMs} ms`,
          FailureType.timeout,
          details(0),
        );
      }
      if (isProgrammingError(err)) {
        const reason = `${err.name}: ${scrub(withoutQuotedValues(err.message))}`;
        throw ApplicationFailure.create({
          message: `${where} could not be sent (${reason}): a bug on our side, not retried`,
          type: FailureType.programming,
          nonRetryable: true,
          details: [details(0, reason)],
        });
      }
      const cause = scrub(
        err instanceof Error ? ((err.cause as Error | undefined)?.message ?? err.message) : String(err),
      );
      throw ApplicationFailure.retryable(`${where} failed: ${cause}`, FailureType.network, details(0, cause));
    }
    options.onCall?.(system.name, method, res.status, Date.now() - started);
    const retryAfter = parseRetryAfter(res.headers.get('retry-after'));
    const type = failureTypeOfStatus(res.status, retryAfter !== undefined);
    if (type !== FailureType.throttled) options.gate?.unthrottled(system.name);
    let body: unknown = text;
    if (text && (res.headers.get('content-type') ?? '').includes('json')) {
      try {
        body = JSON.parse(text);
      } catch {
        throw ApplicationFailure.retryable(
          `${where} answered ${res.status} with invalid JSON`,
          FailureType.protocol,
          details(res.status),
        );
      }
    }
    if ((res.status >= 200 && res.status < 300) || opts.accept?.includes(res.status)) {
      return { status: res.status, body: body as T, replayed: res.headers.get('idempotent-replayed') === 'true' };
    }

    if (opts.onKeyReused && isKeyReused(res.status, body)) {
      const existing = await opts.onKeyReused();
      if (existing !== undefined) {
        ctx?.log.warn(
          `${where}: key ${opts.idempotencyKey} was already used with another body; using what it created instead`,
          {
            system: system.name,
            idempotencyKey: opts.idempotencyKey,
            existingId: (existing as { id?: unknown } | null)?.id,
            differences: differencesOf(opts.body, existing),
          },
        );
        return { status: res.status, body: existing, replayed: true };
      }
    }

    const responseMessage = scrub(messageOf(body, res.statusText));
    const message = `${where} answered ${res.status}: ${responseMessage}`;
    if (type === FailureType.throttled) {
      // Every caller of the system waits the whole window the server gave (its limit is per credential, not per
      // caller); this attempt's retry may come sooner, and is then held back at the gate without a call.
      const window = options.gate?.throttled(system.name, retryAfter) ?? throttleWindowMs(retryAfter);
      const delay = Math.min(window, maxDelayFor(ctx));
      options.onThrottle?.(system.name, window);
      await options.gate?.report(system.name, window, `answered ${res.status}: wait ${window} ms`);
      throw ApplicationFailure.create({
        message,
        type,
        nextRetryDelay: delay,
        details: [details(res.status, responseMessage, delay)],
      });
    }
    const failure = details(res.status, responseMessage);
    throw NON_RETRYABLE_TYPES.includes(type)
      ? ApplicationFailure.nonRetryable(message, type, failure)
      : ApplicationFailure.retryable(message, type, failure);
  }

  return { system: system.name, request };
}

export type DownstreamClient = ReturnType<typeof createDownstreamClient>;

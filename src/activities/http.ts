import { ApplicationFailure } from '@temporalio/common';

// The one HTTP client layer every activity talks to third-party systems through. It owns timeouts, auth,
// idempotency keys and the classification of answers into Temporal failures; Temporal owns the retries.

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface DownstreamSystem {
  /** Short system name used in errors, metrics and alert text, e.g. "accounting". */
  name: string;
  baseUrl: string;
  /** Sent as a bearer token; omitted for systems whose URL is the secret (Slack-style alert webhooks). */
  apiKey?: string;
}

export interface CallObserver {
  /** Called once per HTTP exchange, including failed ones (status 0 for network errors). */
  onCall?(system: string, method: HttpMethod, status: number, durationMs: number): void;
  /** Called with the server's Retry-After when it throttles us (429, or 503 with Retry-After). */
  onThrottle?(system: string, retryAfterMs: number): void;
}

export interface RequestOptions {
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  /** Required on every mutating request: derived from the business key and the step, never random. */
  idempotencyKey?: string;
  /** Statuses the caller handles itself (e.g. 409 on an idempotent create); returned instead of thrown. */
  accept?: readonly number[];
  signal?: AbortSignal;
}

export interface Response<T> {
  status: number;
  body: T;
}

/** Failure types, for retry policies' nonRetryableErrorTypes and for operators reading a red execution. */
export const FailureType = {
  rejected: 'DownstreamRejected',
  unavailable: 'DownstreamUnavailable',
  throttled: 'DownstreamThrottled',
  timeout: 'DownstreamTimeout',
  network: 'DownstreamNetworkError',
  protocol: 'DownstreamProtocolError',
} as const;

const NON_RETRYABLE = new Set([400, 401, 403, 404, 405, 409, 410, 411, 413, 415, 422]);

/** Parses Retry-After, given as delay-seconds or an HTTP-date. Returns milliseconds, or undefined. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
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
  /** Upper bound for a server-requested delay (the activity policy's maximum interval). */
  maxRetryDelayMs?: number;
  fetch?: typeof fetch;
}

/** An HTTP client bound to one third-party system. */
export function createDownstreamClient(system: DownstreamSystem, options: DownstreamClientOptions) {
  const doFetch = options.fetch ?? fetch;
  const maxDelay = options.maxRetryDelayMs ?? 10 * 60 * 1000;

  async function request<T = unknown>(
    method: HttpMethod,
    path: string,
    opts: RequestOptions = {},
  ): Promise<Response<T>> {
    if (method !== 'GET' && !opts.idempotencyKey) {
      throw new Error(`${system.name}: ${method} ${path} needs an idempotency key`);
    }
    const url = new URL(system.baseUrl.replace(/\/$/, '') + path);
    for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const headers: Record<string, string> = { accept: 'application/json' };
    if (system.apiKey) headers.authorization = `Bearer ${system.apiKey}`;
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    if (opts.idempotencyKey) headers['idempotency-key'] = opts.idempotencyKey;

    const timeout = AbortSignal.timeout(options.timeoutMs);
    const signal = opts.signal ? AbortSignal.any([timeout, opts.signal]) : timeout;
    const started = Date.now();
    const where = `${system.name} ${method} ${url.pathname}`;
    let res: globalThis.Response;
    try {
      res = await doFetch(url, {
        method,
        headers,
        body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
        signal,
      });
    } catch (err) {
      options.onCall?.(system.name, method, 0, Date.now() - started);
      if (timeout.aborted) {
        throw ApplicationFailure.retryable(`${where} timed out after ${options.timeoutMs} ms`, FailureType.timeout);
      }
      const cause = err instanceof Error ? ((err.cause as Error | undefined)?.message ?? err.message) : String(err);
      throw ApplicationFailure.retryable(`${where} failed: ${cause}`, FailureType.network);
    }
    const text = await res.text().catch(() => '');
    options.onCall?.(system.name, method, res.status, Date.now() - started);
    let body: unknown = text;
    if (text && (res.headers.get('content-type') ?? '').includes('json')) {
      try {
        body = JSON.parse(text);
      } catch {
        throw ApplicationFailure.retryable(`${where} answered ${res.status} with invalid JSON`, FailureType.protocol);
      }
    }
    if ((res.status >= 200 && res.status < 300) || opts.accept?.includes(res.status)) {
      return { status: res.status, body: body as T };
    }

    const message = `${where} answered ${res.status}: ${messageOf(body, res.statusText)}`;
    const retryAfter = parseRetryAfter(res.headers.get('retry-after'));
    if (res.status === 429 || (res.status === 503 && retryAfter !== undefined)) {
      const delay = Math.min(retryAfter ?? 1000, maxDelay);
      options.onThrottle?.(system.name, delay);
      throw ApplicationFailure.create({
        message,
        type: FailureType.throttled,
        nextRetryDelay: delay,
        details: [{ status: res.status, retryAfterMs: delay }],
      });
    }
    if (res.status === 408 || res.status >= 500) {
      throw ApplicationFailure.retryable(message, FailureType.unavailable, { status: res.status });
    }
    if (NON_RETRYABLE.has(res.status) || (res.status >= 400 && res.status < 500)) {
      throw ApplicationFailure.nonRetryable(message, FailureType.rejected, { status: res.status, body });
    }
    throw ApplicationFailure.retryable(message, FailureType.protocol, { status: res.status });
  }

  return { system: system.name, request };
}

export type DownstreamClient = ReturnType<typeof createDownstreamClient>;

import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../../contracts/failures';
import type { HttpMethod, RequestOptions, Response } from './types';

// `fetch` for a vendor SDK that takes one (Stripe's createFetchHttpClient), so its calls go through the client layer
// like every other: the rate and throttle gates, Retry-After, timeouts, metrics, spans and the failure classes.

const METHODS: readonly string[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

/** Headers the client layer sets itself, or that only the transport may set. */
const OWN_HEADERS = new Set(['authorization', 'content-type', 'content-length', 'host', 'connection', 'accept']);

type Request = <T>(method: HttpMethod, path: string, opts?: RequestOptions<T>) => Promise<Response<T>>;

/**
 * A fetch whose requests are sent by `request` (one system's client): the URL's path and query are taken relative to
 * the client's base URL, whatever origin the SDK put in front of them, and the client's own credential replaces the
 * SDK's. A 2xx comes back as a JSON Response; anything else is thrown as the client layer's failure (429 throttled,
 * 5xx unavailable, 4xx rejected with the system's own message), which the SDK carries as its connection error's
 * `detail` (see `clientFailureOf`). Reads only: a body is refused, since the client sends JSON and SDKs send forms.
 */
export function fetchThrough(request: Request): typeof fetch {
  return async (input, init = {}) => {
    const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
    const method = (init.method ?? 'GET').toUpperCase();
    if (!METHODS.includes(method) || (init.body !== undefined && init.body !== null && init.body !== '')) {
      throw ApplicationFailure.nonRetryable(
        `fetch through the client layer sends reads only, not ${method} with a body: a bug on our side`,
        FailureType.programming,
      );
    }
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((value, name) => {
      if (!OWN_HEADERS.has(name)) headers[name] = value;
    });
    const res = await request<unknown>(method as HttpMethod, `${url.pathname}${url.search}`, {
      headers,
      signal: init.signal ?? undefined,
    });
    return new globalThis.Response(JSON.stringify(res.body), {
      status: res.status,
      headers: { 'content-type': 'application/json' },
    });
  };
}

/**
 * The client layer's failure an SDK wrapped (Stripe's StripeConnectionError keeps what fetch threw as `detail`), or
 * undefined: rethrow it so the activity fails with our failure class, not the SDK's.
 */
export function clientFailureOf(err: unknown): ApplicationFailure | undefined {
  const detail = (err as { detail?: unknown } | null)?.detail;
  return detail instanceof ApplicationFailure ? detail : undefined;
}

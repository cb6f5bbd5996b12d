import { AsyncLocalStorage } from 'node:async_hooks';
import { ApplicationFailure } from '@temporalio/common';
import axios, { type AxiosAdapter, type AxiosResponse, type InternalAxiosRequestConfig } from 'axios';
import { FailureType } from '../../../contracts/failures';
import type { DownstreamClient, HttpMethod } from '../../../kit/http';
import { XERO_LIMITS } from './limits';

// xero-node sends every call through the global axios. An interceptor gives the calls made inside a connector call
// (an AsyncLocalStorage scope) an adapter that sends them with the client layer's `request` instead: its rate and
// throttle gates, Retry-After, timeouts, metrics, spans and failure classes, with the body exactly as the SDK's
// serializer wrote it (the gate also holds the connector's declared windows, and a 429 names the one it hit). Calls outside a scope, or to another origin, are left to axios as they are.

/** Xero's answer headers saying what is left of each limit (the connector's `limits` declare the same). */
/** The remaining-count header of each of Xero's windows that has one, by window name (limits.ts declares them). */
const REMAINING_HEADERS = XERO_LIMITS.windows.flatMap((w): Array<[string, string]> =>
  w.remainingHeader ? [[w.name, w.remainingHeader]] : [],
);

/** What Xero said is left of each window, by window name (`minute`, `day`, `appminute`). */
export type Remaining = Partial<Record<string, number>>;

/** The failure type of a 401: the connection refreshes its token, the retry uses the new one. */
export const TOKEN_REJECTED = 'XeroTokenRejected';

/** One connector call: where it goes, as whom, and what its exchanges reported. */
export interface XeroCall {
  client: DownstreamClient;
  /** ACCOUNTING_XERO_API_URL, no trailing slash: requests under it are ours. */
  apiUrl: string;
  accessToken: string;
  signal?: AbortSignal;
  /** The failure our layer threw, which the SDK would otherwise flatten into a JSON string. */
  failure?: unknown;
  /** What the last answer said of each limit. */
  remaining: Remaining;
  /** Set when Xero answered 401 to `accessToken`. */
  unauthorized?: boolean;
  /** Set when Xero answered 403 for the tenant: the organisation may have disconnected the app. */
  forbidden?: boolean;
}

const scope = new AsyncLocalStorage<XeroCall>();

/** Request headers the client layer sets itself: the SDK's are dropped. */
const OWN = new Set(['authorization', 'accept', 'content-type', 'content-length', 'idempotency-key']);

function queryOf(params: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries((params ?? {}) as Record<string, unknown>)) {
    if (v !== undefined && v !== null) out[k] = v instanceof Date ? v.toISOString() : String(v);
  }
  return out;
}

/** The SDK's request, sent by the call's client. */
function adapterFor(call: XeroCall): AxiosAdapter {
  return async (config: InternalAxiosRequestConfig): Promise<AxiosResponse> => {
    // The interceptor matched config.url's text against API_URL: cut there, not from a normalised href.
    const url = new URL(config.url!);
    const path = config.url!.slice(call.apiUrl.length).split('?')[0]!;
    const query = { ...Object.fromEntries(url.searchParams), ...queryOf(config.params) };
    const headers: Record<string, string> = {};
    let idempotencyKey: string | undefined;
    for (const [name, value] of Object.entries(config.headers.toJSON())) {
      if (value === undefined || value === null) continue;
      const lower = name.toLowerCase();
      if (lower === 'idempotency-key') idempotencyKey = String(value);
      else if (!OWN.has(lower)) headers[lower] = String(value);
    }
    const method = (config.method ?? 'get').toUpperCase() as HttpMethod;
    const jsonText =
      method === 'GET' || config.data === undefined || config.data === null || config.data === ''
        ? undefined
        : typeof config.data === 'string'
          ? config.data
          : JSON.stringify(config.data);
    try {
      const res = await call.client.request<unknown>(method, path, {
        baseUrl: call.apiUrl,
        bearer: call.accessToken,
        query,
        headers,
        jsonText,
        idempotencyKey,
        accept: [401],
        signal: call.signal,
        onAnswer: (_status, h) => {
          for (const [window, header] of REMAINING_HEADERS) {
            const value = h.get(header);
            if (value !== null && /^\d+$/.test(value)) call.remaining[window] = Number(value);
          }
        },
      });
      if (res.status === 401) {
        call.unauthorized = true;
        throw ApplicationFailure.create({
          message: `accounting (Xero) ${method} ${path} answered 401: the access token was refused; retrying with a refreshed one`,
          type: TOKEN_REJECTED,
          details: [{ system: call.client.system, method, path, status: 401 }],
        });
      }
      return { data: res.body, status: res.status, statusText: '', headers: {}, config, request: {} };
    } catch (err) {
      call.failure = err;
      if ((err as { details?: Array<{ status?: number }> }).details?.[0]?.status === 403) call.forbidden = true;
      throw err;
    }
  };
}

let installed = false;

/** Installs the interceptor on the global axios xero-node uses, once per process. */
function install(): void {
  if (installed) return;
  installed = true;
  axios.interceptors.request.use((config) => {
    const call = scope.getStore();
    if (call && config.url?.startsWith(`${call.apiUrl}/`)) config.adapter = adapterFor(call);
    return config;
  });
}

/**
 * Runs `fn`, whose SDK calls then go through `call.client`. A failure of our layer is rethrown as it was (the SDK
 * turns it into a JSON string); anything else the SDK threw is a bug on our side or an answer we cannot read.
 */
export async function throughClient<T>(call: XeroCall, fn: () => Promise<T>): Promise<T> {
  install();
  try {
    return await scope.run(call, fn);
  } catch (err) {
    if (call.failure !== undefined) throw call.failure;
    if (err instanceof ApplicationFailure) throw err;
    const text = typeof err === 'string' ? err : err instanceof Error ? err.message : JSON.stringify(err);
    throw ApplicationFailure.nonRetryable(
      `accounting (Xero): the SDK failed before or after the call: ${text.slice(0, 300)}`,
      FailureType.programming,
    );
  }
}

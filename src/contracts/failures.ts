import { ActivityFailure, ApplicationFailure } from '@temporalio/common';

// Failure types shared by the client layer (which throws them), the activity profiles (which decide what is retried)
// and operators reading a red execution. Pure: imported by workflows and activities alike.

/** The `type` of every ApplicationFailure the downstream client layer throws. */
export const FailureType = {
  rejected: 'DownstreamRejected',
  unavailable: 'DownstreamUnavailable',
  throttled: 'DownstreamThrottled',
  timeout: 'DownstreamTimeout',
  network: 'DownstreamNetworkError',
  protocol: 'DownstreamProtocolError',
  /** A bug on our side (e.g. a TypeError before the request left): retrying cannot fix it. */
  programming: 'ProgrammingError',
} as const;

export type FailureTypeName = (typeof FailureType)[keyof typeof FailureType];

/** The failure types a connection's callers see; both fail the attempt at once, without calling the provider. */
export const ConnectionFailure = {
  /** Never authorised: an operator opens GET /connections/<system>/authorize on the operator listener. */
  notAuthorized: 'ConnectionNotAuthorized',
  /** The provider refused its refresh token (invalid_grant, revoked consent, removed tenant): re-authorise. */
  broken: 'ConnectionBroken',
} as const;

/** When each failure type is thrown, in an operator's words (the catalog lists them). */
export const FAILURE_CAUSES: Record<FailureTypeName, string> = {
  DownstreamRejected: 'the system answered a 4xx other than 408 and 429: the request itself is wrong',
  DownstreamUnavailable: 'the system answered 408 or a 5xx (a 503 without Retry-After)',
  DownstreamThrottled:
    'the system answered 429, or 503 with Retry-After; or this worker holds the call back because the system asked ' +
    'it to wait, or its turn under the rate limit is more than 10 s away',
  DownstreamTimeout: 'no answer within DOWNSTREAM_TIMEOUT_MS',
  DownstreamNetworkError: 'the connection failed (refused, reset, DNS)',
  DownstreamProtocolError: 'an answer that is not one: invalid JSON, or a 1xx/3xx (a redirect not followed)',
  ProgrammingError: 'a bug on our side before the request left (e.g. a TypeError)',
};

/** How the client layer classifies an answer the caller did not accept: the first class that matches. */
export const HTTP_ANSWER_CLASSES: ReadonlyArray<{
  answer: string;
  type: FailureTypeName;
  matches(status: number, hasRetryAfter: boolean): boolean;
}> = [
  {
    answer: '429, or 503 with Retry-After',
    type: FailureType.throttled,
    matches: (status, hasRetryAfter) => status === 429 || (status === 503 && hasRetryAfter),
  },
  { answer: '408 or 5xx', type: FailureType.unavailable, matches: (status) => status === 408 || status >= 500 },
  { answer: 'any other 4xx', type: FailureType.rejected, matches: (status) => status >= 400 },
  // 1xx/3xx reaching us means a redirect we did not follow or a broken proxy: worth another try.
  { answer: '1xx or 3xx', type: FailureType.protocol, matches: () => true },
];

/** The failure type of an HTTP answer the caller did not accept (see HTTP_ANSWER_CLASSES). */
export function failureTypeOfStatus(status: number, hasRetryAfter: boolean): FailureTypeName {
  return HTTP_ANSWER_CLASSES.find((c) => c.matches(status, hasRetryAfter))!.type;
}

/**
 * The SDK's failure type for an activity the polling worker does not register: an activity sent to the wrong
 * system's queue. Non-retryable in every profile, so it fails the flow loudly instead of retrying for days.
 */
export const ACTIVITY_NOT_REGISTERED = 'NotFoundError';

/** Failures no retry can fix: the flow fails at once, alerts, and shows red. */
export const NON_RETRYABLE_TYPES: readonly string[] = [
  FailureType.rejected,
  FailureType.programming,
  ACTIVITY_NOT_REGISTERED,
];

/**
 * The order already has an invoice, and it is not the one asked for: another total (compared in the currency's minor
 * unit), currency or recipient. Non-retryable: nothing was written, and a retry meets the same invoice. A command
 * answers 409 naming the fields; a flow ends needs-review with an alert.
 */
export const INVOICE_CONFLICT = 'InvoiceConflict';

/** The fields of an invoice request, as /api/v1 and the canonical order name them, in the request's order. */
export const INVOICE_FIELDS = ['total', 'currency', 'customerEmail'] as const;
export type InvoiceField = (typeof INVOICE_FIELDS)[number];

/** The details of an InvoiceConflict: field names only, never the values (an address is personal data). */
export interface InvoiceConflictDetails {
  system: string;
  orderId: string;
  invoiceId: string;
  /** What the request holds differently from the order's invoice, in the request's field order. */
  fields: InvoiceField[];
}

/** The InvoiceConflict `err` is or wraps (an activity's, seen from its workflow), with its message and details. */
export function invoiceConflictOf(err: unknown): (InvoiceConflictDetails & { message: string }) | undefined {
  let e: unknown = err;
  while (e instanceof ActivityFailure && e.cause) e = e.cause;
  if (!(e instanceof ApplicationFailure) || e.type !== INVOICE_CONFLICT) return undefined;
  const details = e.details?.[0] as Partial<InvoiceConflictDetails> | undefined;
  if (!Array.isArray(details?.fields) || typeof details.invoiceId !== 'string') return undefined;
  return { ...(details as InvoiceConflictDetails), message: e.message };
}

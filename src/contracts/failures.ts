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

import { asyncLocalStorage, type Context } from '@temporalio/activity';
import { durationMs } from '../../temporal/time';
import type { DownstreamClientOptions } from './types';

// The client runs inside an activity (heartbeats, its retry policy, its cancellation) or outside one (the API's
// reads), and must work in both.

/**
 * The current activity's context, or undefined outside one. Read from the SDK's AsyncLocalStorage, which is what
 * `Context.current()` reads, without its throw: outside an activity (the API's reads) an Error with its stack trace
 * per call was a third of the client layer's own cost (docs/performance.md, P9).
 */
export function activityContext(): Context | undefined {
  return asyncLocalStorage.getStore();
}

/** Heartbeats while `work` runs, when the activity has a heartbeat timeout (long calls must show they are alive). */
export async function heartbeating<T>(ctx: Context | undefined, work: () => Promise<T>): Promise<T> {
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

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
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

/** The longest retry delay an attempt may ask for: the client's bound, lowered by the activity's maximumInterval. */
export function maxDelayFor(ctx: Context | undefined, options: Pick<DownstreamClientOptions, 'maxRetryDelayMs'>) {
  const maximumInterval = ctx?.info.retryPolicy?.maximumInterval;
  const policyMax = maximumInterval === undefined ? undefined : durationMs(maximumInterval);
  return Math.min(options.maxRetryDelayMs ?? 10 * 60 * 1000, policyMax ?? Infinity);
}

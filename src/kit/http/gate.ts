import type { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../../contracts/failures';
import { heartbeating, maxDelayFor, sleep } from './activity';
import type { DownstreamClientOptions, DownstreamFailureDetails, HttpMethod } from './types';

/**
 * Waits for this call's turn at the system's gate (the shared throttle window, then the rate's spacing), or fails the
 * attempt with the wait as its retry delay. Returns what to call once the call has settled.
 */
export async function passGate(
  systemName: string,
  options: DownstreamClientOptions,
  call: { ctx: Context | undefined; method: HttpMethod; path?: string; signal?: AbortSignal },
): Promise<() => void> {
  const { ctx, method, path, signal } = call;
  const gate = options.gate;
  if (!gate) return () => {};
  const maxQueueWaitMs = options.maxQueueWaitMs ?? 10_000;
  /** Ends the attempt without a call: Temporal retries it when the turn has come. */
  const defer = (retryInMs: number, why: string): never => {
    const details: DownstreamFailureDetails = {
      system: systemName,
      method,
      ...(path === undefined ? {} : { path }),
      status: 0,
      retryAfterMs: retryInMs,
    };
    options.onDeferred?.(systemName, retryInMs);
    throw ApplicationFailure.create({
      message: `${systemName} is throttled here: next turn in ${Math.ceil(retryInMs)} ms${why}`,
      type: FailureType.throttled,
      nextRetryDelay: Math.min(Math.ceil(retryInMs), maxDelayFor(ctx, options)),
      details: [details],
    });
  };
  await gate.learn(systemName);
  const left = gate.remainingMs(systemName);
  const turn = left > (options.maxGateWaitMs ?? 0) ? { retryInMs: left } : gate.reserve(systemName, maxQueueWaitMs);
  if ('retryInMs' in turn) defer(turn.retryInMs, '');
  else if (turn.waitMs > 0) await heartbeating(ctx, () => sleep(turn.waitMs, signal));
  // A scheduled sync's calls keep off the reserve of a provider's windows, which event flows may still use.
  const background = ctx !== undefined && (options.isBackground?.(ctx.info.workflowType ?? '') ?? false);
  for (;;) {
    const admitted = gate.admit(systemName, background);
    if ('answered' in admitted) return admitted.answered;
    const why = admitted.reason ? ` (${admitted.reason})` : '';
    if (admitted.waitMs > maxQueueWaitMs) defer(admitted.waitMs, why);
    await heartbeating(ctx, () => sleep(admitted.waitMs, signal));
  }
}

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
  await gate.learn(systemName);
  const left = gate.remainingMs(systemName);
  const turn =
    left > (options.maxGateWaitMs ?? 0)
      ? { retryInMs: left }
      : gate.reserve(systemName, options.maxQueueWaitMs ?? 10_000);
  if ('retryInMs' in turn) {
    const details: DownstreamFailureDetails = {
      system: systemName,
      method,
      ...(path === undefined ? {} : { path }),
      status: 0,
      retryAfterMs: turn.retryInMs,
    };
    options.onDeferred?.(systemName, turn.retryInMs);
    throw ApplicationFailure.create({
      message: `${systemName} is throttled here: next turn in ${turn.retryInMs} ms`,
      type: FailureType.throttled,
      nextRetryDelay: Math.min(Math.ceil(turn.retryInMs), maxDelayFor(ctx, options)),
      details: [details],
    });
  }
  if (turn.waitMs > 0) await heartbeating(ctx, () => sleep(turn.waitMs, signal));
  for (;;) {
    const admitted = gate.admit(systemName);
    if ('answered' in admitted) return admitted.answered;
    await heartbeating(ctx, () => sleep(admitted.waitMs, signal));
  }
}

import type { Deadline, Interceptor } from '@grpc/grpc-js';
import { Client, Connection, defaultGrpcRetryOptions, makeGrpcRetryInterceptor } from '@temporalio/client';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import type { DataConverter } from '@temporalio/common';

export interface TemporalTarget {
  address: string;
  namespace: string;
  tls?: ReturnType<typeof loadClientConnectConfig>['connectionOptions']['tls'];
  apiKey?: string;
  metadata?: ReturnType<typeof loadClientConnectConfig>['connectionOptions']['metadata'];
}

/**
 * Where to reach Temporal, following the @temporalio/envconfig conventions (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE,
 * TEMPORAL_TLS_*, TEMPORAL_API_KEY, TEMPORAL_PROFILE and the TOML profile file). `address` overrides, e.g. with the
 * embedded dev server's.
 */
export function resolveTemporalTarget(
  config: { temporal: { namespace: string; address?: string } },
  env: NodeJS.ProcessEnv,
  address?: string,
): TemporalTarget {
  const overrideEnvVars = Object.fromEntries(
    Object.entries(env).filter((e): e is [string, string] => typeof e[1] === 'string'),
  );
  const { connectionOptions, namespace } = loadClientConnectConfig({ overrideEnvVars, profile: env.TEMPORAL_PROFILE });
  return {
    address: address ?? connectionOptions.address ?? config.temporal.address ?? 'localhost:7233',
    namespace: env.TEMPORAL_NAMESPACE ?? namespace ?? config.temporal.namespace,
    tls: connectionOptions.tls,
    apiKey: typeof connectionOptions.apiKey === 'string' ? connectionOptions.apiKey : undefined,
    metadata: connectionOptions.metadata,
  };
}

/** The fields both Connection and NativeConnection take from a target: address, TLS, API key, gRPC metadata. */
export function connectionOptions(
  target: TemporalTarget,
): Pick<TemporalTarget, 'address' | 'tls' | 'apiKey' | 'metadata'> {
  return { address: target.address, tls: target.tls, apiKey: target.apiKey, metadata: target.metadata };
}

// Reconnect quickly after an outage: grpc-js would otherwise back off for up to two minutes.
const CHANNEL_ARGS = {
  'grpc.initial_reconnect_backoff_ms': 200,
  'grpc.max_reconnect_backoff_ms': 1000,
  'grpc.keepalive_time_ms': 10_000,
  'grpc.keepalive_timeout_ms': 3_000,
  'grpc.keepalive_permit_without_calls': 1,
};

function deadlineMs(deadline: Deadline | undefined): number {
  if (deadline instanceof Date) return deadline.getTime();
  return typeof deadline === 'number' ? deadline : Infinity;
}

// The SDK's retry of transient gRPC errors, minus any backoff that would end past the call's deadline: it otherwise
// sleeps up to one more backoff step after the deadline, and the ingress's 503 arrived ~2 s late.
function deadlineBoundedRetry(): Interceptor {
  const base = defaultGrpcRetryOptions();
  return (options, nextCall) => {
    const deadline = deadlineMs(options.deadline);
    let delay = 0;
    return makeGrpcRetryInterceptor({
      // Called before delayFunction for the same attempt, so the jittered delay is drawn once.
      retryableDecider(attempt, status) {
        delay = base.delayFunction(attempt, status);
        return base.retryableDecider(attempt, status) && Date.now() + delay < deadline;
      },
      delayFunction: () => delay,
    })(options, nextCall);
  };
}

/**
 * A client whose connection is opened on first use, so the API starts (unready) while Temporal is down. Retries of
 * transient errors stop before the caller's deadline, so a deadline bounds the whole call.
 */
export function createLazyClient(target: TemporalTarget, dataConverter?: DataConverter): Client {
  const connection = Connection.lazy({
    ...connectionOptions(target),
    channelArgs: CHANNEL_ARGS,
    interceptors: [deadlineBoundedRetry()],
  });
  return new Client({ connection, namespace: target.namespace, dataConverter });
}

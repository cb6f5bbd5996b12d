import { Client, Connection } from '@temporalio/client';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import type { Config } from '../config';

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
export function resolveTemporalTarget(config: Config, env: NodeJS.ProcessEnv, address?: string): TemporalTarget {
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

// Reconnect quickly after an outage: grpc-js would otherwise back off for up to two minutes.
const CHANNEL_ARGS = {
  'grpc.initial_reconnect_backoff_ms': 200,
  'grpc.max_reconnect_backoff_ms': 1000,
  'grpc.keepalive_time_ms': 10_000,
  'grpc.keepalive_timeout_ms': 3_000,
  'grpc.keepalive_permit_without_calls': 1,
};

/** A client whose connection is opened on first use, so the API starts (unready) while Temporal is down. */
export function createLazyClient(target: TemporalTarget): Client {
  const connection = Connection.lazy({
    address: target.address,
    tls: target.tls,
    apiKey: target.apiKey,
    metadata: target.metadata,
    channelArgs: CHANNEL_ARGS,
  });
  return new Client({ connection, namespace: target.namespace });
}

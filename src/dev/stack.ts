import { withLongKeepAlive } from '../http/keep-alive';
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { listenApi } from '../api/listeners';
import { createApiMetrics } from '../api/metrics';
import { createWorkflowStarter } from '../api/workflow-starter';
import { type Config, loadConfig } from '../config';
import { createLogger } from '../logger';
import { createSandbox, type Sandbox, sandboxEnv, sandboxKeys } from '../sandbox/server';
import { createSources } from '../api/sources';
import { dataConverterFor } from '../temporal/codec';
import { createWorkers } from '../worker/workers';

// The whole service in one process on a given Temporal server: sandbox, workers and ingress, each on a free port,
// isolated from other stacks on the same server by a unique task-queue prefix. Used by the tests and the benchmarks.

/** A unique lowercase id, for task-queue prefixes, event ids and order ids that must not collide across tests. */
export function uniqueId(prefix = 't'): string {
  return `${prefix}${randomBytes(5).toString('hex')}`;
}

/** Listens on port 0 and returns the base URL. */
export async function listenOnFreePort(app: { listen: (port: number, host: string, cb: () => void) => Server }) {
  const server = await new Promise<Server>((resolve, reject) => {
    const s = withLongKeepAlive(app.listen(0, '127.0.0.1', () => resolve(s)));
    s.on('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}` };
}

export function closeServer(server: Server): Promise<void> {
  server.closeAllConnections?.();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** Config as a test deployment would have it: sandbox URLs, a unique task-queue prefix, explicit env overrides. */
export function testConfig(sandboxUrl: string, env: Record<string, string> = {}): Config {
  return loadConfig({
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    TASK_QUEUE_PREFIX: `${uniqueId()}-`,
    ...sandboxEnv(sandboxUrl, sandboxKeys(loadConfig({ NODE_ENV: 'test' }))),
    // The whole service shares one event loop here (API, workers, sandbox, test client) on two cores that also run
    // Temporal, another suite and sometimes Chromium; event-loop lag alone can exceed the shipped 1.5 s start deadline
    // and turn a duplicate into a 503. The deadline itself is tested through startProductionIngress, which keeps it.
    TEMPORAL_START_TIMEOUT_MS: '5000',
    ...env,
  });
}

/**
 * Every system's URL and key of `config`, and its payload keys, as variables: what a separately started worker process
 * is given.
 */
export function systemsEnv(config: Config): Record<string, string> {
  const env: Record<string, string> = {};
  if (config.payloads.keys.length) {
    env.PAYLOAD_KEYS = config.payloads.keys.map((k) => `${k.id}:${k.key.toString('base64')}`).join(',');
  } else env.PAYLOAD_ENCRYPTION = 'off';
  for (const [name, s] of Object.entries(config.systems)) {
    const prefix = name.toUpperCase().replace(/-/g, '_');
    if (s.secretUrl) env[`${prefix}_WEBHOOK_URL`] = s.url;
    else {
      env[`${prefix}_API_URL`] = s.url;
      env[`${prefix}_API_KEY`] = s.apiKey!;
    }
  }
  return env;
}

export interface Stack {
  config: Config;
  sandbox: Sandbox;
  sandboxUrl: string;
  apiUrl: string;
  /** The operator listener: /admin and /metrics. */
  adminUrl: string;
  client: Client;
  metrics: ReturnType<typeof createApiMetrics>;
  /** Starts the workers (if `workers: false` was passed) */
  startWorkers(): Promise<void>;
  stopWorkers(): Promise<void>;
  stop(): Promise<void>;
}

export interface StackOptions {
  /** host:port of the Temporal server. */
  address: string;
  /** A prebuilt workflow bundle (built once per test run); bundled here when absent. */
  workflowBundlePath?: string;
  env?: Record<string, string>;
  /** Start workers in-process (default true). */
  workers?: boolean;
  /** Port of the operator listener (default: a free one), when something must know it in advance. */
  operatorPort?: number;
}

/** Starts the whole service against `options.address`. */
export async function startStack(options: StackOptions): Promise<Stack> {
  const probe = loadConfig({ NODE_ENV: 'test' });
  const sandbox = createSandbox(sandboxKeys(probe));
  const { server: sandboxServer, url: sandboxUrl } = await sandbox.listen(0);
  const config = testConfig(sandboxUrl, options.env);
  const logger = createLogger({ level: config.logLevel });

  const connection = await NativeConnection.connect({ address: options.address });
  let workers: Worker[] = [];
  let running: Promise<unknown> | undefined;
  const startWorkers = async () => {
    workers = await createWorkers({
      connection,
      namespace: 'default',
      config,
      logger,
      workflowBundle: options.workflowBundlePath ? ({ codePath: options.workflowBundlePath } as never) : undefined,
    });
    running = Promise.all(workers.map((w) => w.run()));
  };
  const stopWorkers = async () => {
    for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
    await running;
    running = undefined;
  };
  if (options.workers !== false) await startWorkers();

  const clientConnection = await Connection.connect({ address: options.address });
  const client = new Client({
    connection: clientConnection,
    namespace: 'default',
    dataConverter: dataConverterFor(config),
  });
  const metrics = createApiMetrics();
  const api = await listenApi(
    {
      config,
      logger,
      starter: createWorkflowStarter(client, config.temporal.startTimeoutMs),
      metrics,
      sources: createSources(config),
      client,
    },
    { ingress: 0, operator: options.operatorPort ?? 0 },
  );

  return {
    config,
    sandbox,
    sandboxUrl,
    apiUrl: api.ingress.url,
    adminUrl: api.operator.url,
    client,
    metrics,
    startWorkers,
    stopWorkers,
    async stop() {
      await closeServer(api.ingress.server);
      await closeServer(api.operator.server);
      await stopWorkers();
      await connection.close();
      await clientConnection.close();
      await closeServer(sandboxServer);
    },
  };
}

import {
  DefaultLogger,
  type LogLevel,
  type NativeConnection,
  Runtime,
  Worker,
  bundleWorkflowCode,
} from '@temporalio/worker';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { Config } from '../config';
import { Client } from '@temporalio/client';
import { createActivities } from '../activities';
import { createSyncActivities } from '../activities/sync';
import { createDownstreamClient } from '../activities/http';
import { ThrottleGate } from '../activities/throttle';
import type { Logger } from '../logger';
import { queueFor, type QueueSystem } from '../workflows/task-queues';
import { createWorkerMetrics, serveWorkerMetrics, type WorkerMetrics } from './metrics';
import { retryingAlertInterceptor } from './retrying-alerts';

/** The SDK's own Prometheus exporter listens on loopback next to WORKER_METRICS_PORT; /metrics there merges it. */
export function sdkMetricsPort(metricsPort: number): number {
  return metricsPort + 1;
}

/**
 * Routes the SDK's own logs into our pino logger and, when a port is given, exports its Prometheus metrics on
 * 127.0.0.1:<port + 1>, which createWorkers merges into /metrics on <port>.
 */
export function installRuntime(logger: Logger, metricsPort?: number): void {
  const levels: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
    TRACE: 'trace',
    DEBUG: 'debug',
    INFO: 'info',
    WARN: 'warn',
    ERROR: 'error',
  };
  Runtime.install({
    logger: new DefaultLogger('INFO', (entry) => {
      logger[levels[entry.level]]({ ...entry.meta, sdk: true }, entry.message);
    }),
    telemetryOptions:
      metricsPort !== undefined
        ? { metrics: { prometheus: { bindAddress: `127.0.0.1:${sdkMetricsPort(metricsPort)}` } } }
        : undefined,
  });
}

/** Builds the workflow bundle once; the orchestration worker reuses it. */
export function bundleWorkflows(): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({ workflowsPath: require.resolve('../workflows'), logger: new DefaultLogger('WARN') });
}

const SYSTEM_RATE: Record<QueueSystem, keyof Config['rateLimits']> = {
  accounting: 'accounting',
  'email-platform': 'email-platform',
  crm: 'crm',
  shop: 'shop',
  alerts: 'alerts',
};

export interface WorkerSetOptions {
  connection: NativeConnection;
  namespace: string;
  config: Config;
  logger: Logger;
  workflowBundle?: WorkflowBundleWithSourceMap;
  /** Our own counters; created here when not given. Served on WORKER_METRICS_PORT when that is set. */
  metrics?: WorkerMetrics;
}

/**
 * One worker for workflows on the orchestration queue, and one per third-party system on its own queue, each
 * limited server-side with maxTaskQueueActivitiesPerSecond so the rate holds across every worker replica.
 */
export async function createWorkers(options: WorkerSetOptions): Promise<Worker[]> {
  const { connection, namespace, config, logger } = options;
  const prefix = config.temporal.taskQueuePrefix;
  const metrics = options.metrics ?? createWorkerMetrics();
  // One gate per process: a 429 seen by any activity slows every caller of that system here, and calls are spaced
  // at each system's rate so the server-side limit's bursts do not reach it.
  const gate = new ThrottleGate();
  for (const [system, perSecond] of Object.entries(config.rateLimits)) gate.setRate(system, perSecond);
  const common = { timeoutMs: config.downstream.timeoutMs, maxRetryDelayMs: 10 * 60 * 1000, gate, ...metrics.observer };
  const d = config.downstream;
  const activities = createActivities({
    accounting: createDownstreamClient(
      { name: 'accounting', baseUrl: d.accounting.url, apiKey: d.accounting.apiKey },
      common,
    ),
    email: createDownstreamClient({ name: 'email-platform', baseUrl: d.email.url, apiKey: d.email.apiKey }, common),
    alerts: d.alertWebhookUrl
      ? createDownstreamClient({ name: 'alerts', baseUrl: d.alertWebhookUrl }, common)
      : undefined,
    temporalUiUrl: config.temporal.uiUrl,
    namespace,
    onAlertSent: (kind) => metrics.alertsSent.inc({ kind }),
  });
  const interceptors = {
    activity: [
      retryingAlertInterceptor({
        afterAttempts: config.alerts.retryingAfterAttempts,
        sendAlert: activities.sendAlert,
        logger,
      }),
    ],
  };
  if (config.worker.metricsPort !== undefined) {
    const { url } = await serveWorkerMetrics({
      registry: metrics.registry,
      port: config.worker.metricsPort,
      sdkMetricsUrl: `http://127.0.0.1:${sdkMetricsPort(config.worker.metricsPort)}/metrics`,
    });
    logger.info({ url }, 'worker metrics served');
  }

  // Scheduled syncs: the third-party calls go to each system's queue, the Temporal-only ones (watermark, schedule
  // inspection) to the orchestration queue.
  const syncActivities = createSyncActivities({
    crm: createDownstreamClient({ name: 'crm', baseUrl: d.crm.url, apiKey: d.crm.apiKey }, common),
    email: createDownstreamClient({ name: 'email-platform', baseUrl: d.email.url, apiKey: d.email.apiKey }, common),
    shop: createDownstreamClient({ name: 'shop', baseUrl: d.shop.url, apiKey: d.shop.apiKey }, common),
    accounting: createDownstreamClient(
      { name: 'accounting', baseUrl: d.accounting.url, apiKey: d.accounting.apiKey },
      common,
    ),
    alerts: d.alertWebhookUrl
      ? createDownstreamClient({ name: 'alerts', baseUrl: d.alertWebhookUrl }, common)
      : undefined,
    temporal: new Client({ connection, namespace }),
    temporalUiUrl: config.temporal.uiUrl,
    namespace,
  });

  const workflowBundle = options.workflowBundle ?? (await bundleWorkflows());
  const workers = [
    await Worker.create({
      connection,
      namespace,
      taskQueue: queueFor(prefix, 'orchestration'),
      workflowBundle,
      activities: syncActivities,
    }),
  ];
  for (const system of Object.keys(SYSTEM_RATE) as QueueSystem[]) {
    workers.push(
      await Worker.create({
        connection,
        namespace,
        taskQueue: queueFor(prefix, system),
        activities: { ...activities, ...syncActivities },
        interceptors,
        maxTaskQueueActivitiesPerSecond: config.rateLimits[SYSTEM_RATE[system]],
      }),
    );
  }
  logger.info({ namespace, taskQueues: workers.map((w) => w.options.taskQueue) }, 'workers created');
  return workers;
}

/** Runs all workers until one fails or they are shut down (SIGINT/SIGTERM, via the Runtime). */
export async function runWorkers(workers: Worker[]): Promise<void> {
  await Promise.all(workers.map((w) => w.run()));
}

import v8 from 'node:v8';
import { DefaultLogger, type NativeConnection, Runtime, Worker, bundleWorkflowCode } from '@temporalio/worker';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { Config } from '../config';
import { Client } from '@temporalio/client';
import { createAlertActivities } from '../systems/alerts/activities';
import { createDownstreamClient } from '../kit/http';
import { createTemporalActivities } from '../kit/temporal-activities';
import { checkCredentials, credentialProblems } from '../kit/credentials';
import { createSharedWindows } from '../kit/shared-gate';
import { ThrottleGate } from '../kit/throttle';
import type { SystemName } from '../config';
import { queueFor } from '../contracts/task-queues';
import { credentialStateSources, FLOWS, SYSTEMS } from '../registry';
import { dataConverterFor, FAILURE_CONVERTER_PATH, workerDataConverterFor } from '../temporal/codec';
import type { ActivityFunctions, BudgetReport, SystemDeclaration } from '../kit/declare';
import { Context } from '@temporalio/activity';
import type { SystemActivityDeps } from '../kit/activity-deps';
import type { AlertKind } from '../contracts/alerts';
import { createConnectionActivities } from '../kit/connections/activities';
import { createConnections } from '../kit/connections/client';
import type { Connections } from '../kit/connections/types';
import type { Logger } from '../logger';
import { sdkLogLevel } from './sdk-log';
import { createWorkerMetrics, serveWorkerMetrics, type WorkerMetrics } from './metrics';
import { retryingAlertInterceptor } from './retrying-alerts';
import { activityTracingInterceptor, workflowInterceptorModules, workflowTracingSinks } from '../tracing/install';

/** The workflow types a schedule starts: their activities' calls are background work. */
const SCHEDULED_FLOWS: ReadonlySet<string> = new Set(
  Object.entries(FLOWS).flatMap(([type, flow]) => ('schedule' in flow.trigger ? [type] : [])),
);

/** The SDK's own Prometheus exporter listens on loopback next to WORKER_METRICS_PORT; /metrics there merges it. */
export function sdkMetricsPort(metricsPort: number): number {
  return metricsPort + 1;
}

/**
 * Routes the SDK's own logs into our pino logger and, when a port is given, exports its Prometheus metrics on
 * 127.0.0.1:<port + 1>, which createWorkers merges into /metrics on <port>.
 */
export function installRuntime(logger: Logger, metricsPort?: number): void {
  Runtime.install({
    logger: new DefaultLogger(logger.isLevelEnabled('debug') ? 'DEBUG' : 'INFO', (entry) => {
      logger[sdkLogLevel(entry.level, entry.message)]({ ...entry.meta, sdk: true }, entry.message);
    }),
    telemetryOptions:
      metricsPort !== undefined
        ? { metrics: { prometheus: { bindAddress: `127.0.0.1:${sdkMetricsPort(metricsPort)}` } } }
        : undefined,
  });
}

/** Builds the workflow bundle once; the orchestration worker reuses it. Install tracing first to trace workflows. */
export function bundleWorkflows(): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({
    workflowsPath: require.resolve('../flows/bundle'),
    workflowInterceptorModules: workflowInterceptorModules(),
    failureConverterPath: FAILURE_CONVERTER_PATH,
    logger: new DefaultLogger('WARN'),
  });
}

/**
 * Sizes the heap of the workflow thread for its cache. V8 sizes every isolate for the machine (a 4 GB limit on
 * 24 GB), and with such a limit it lets the old generation grow to about four times what is live before collecting,
 * next to a 32 MB young generation. The workflow thread holds about 30 MB live with 100 cached workflows, yet its
 * heap reached 60-110 MB in P6. A limit of the SDK's own budget for the cache (its default cache is 600 workflows a
 * GB above 200 MB) keeps V8's growth factor near 1.3, and 2 MB semi-spaces suffice for short activations. V8 reads
 * these flags when it creates an isolate, and the SDK creates the workflow thread in Worker.create with no limits of
 * its own, so they reach that thread and leave the main thread, already running, as it is.
 */
export function limitWorkflowThreadHeap(maxCachedWorkflows: number): void {
  const oldSpaceMb = 200 + Math.ceil((maxCachedWorkflows * 1024) / 600);
  v8.setFlagsFromString(`--max-old-space-size=${oldSpaceMb}`);
  v8.setFlagsFromString('--max-semi-space-size=2');
}

/**
 * The system's activities, with those its selected connector serves in their place (the invoice email over SMTP while
 * the contact sync stays on the API). An unknown connector is a configuration error config has already refused.
 */
export function withConnector(
  system: SystemDeclaration,
  selected: { name: string; settings: Record<string, string | undefined> },
  deps: SystemActivityDeps,
  connections?: Connections,
  onBudgetLow?: (report: BudgetReport) => Promise<void>,
): ActivityFunctions {
  const activities = system.activities(deps);
  if (selected.name === 'api') return activities;
  const connector = system.connectors?.find((c) => c.name === selected.name);
  if (!connector) throw new Error(`${system.name} has no connector "${selected.name}"`);
  const own = connector.activities({
    ...deps,
    settings: selected.settings,
    connections,
    onBudgetLow,
  }) as ActivityFunctions;
  for (const name of Object.keys(own)) {
    if (!(name in activities)) {
      throw new Error(`connector ${connector.name} serves ${name}, which ${system.name} lacks`);
    }
  }
  // An OAuth connector's queue also serves its connection workflow's calls to the provider (the secret stays here).
  const oauth = connector.oauth ? createConnectionActivities(connector.oauth(selected.settings, system.name)) : {};
  return { ...activities, ...own, ...oauth };
}

export interface WorkerSetOptions {
  connection: NativeConnection;
  namespace: string;
  config: Config;
  logger: Logger;
  workflowBundle?: WorkflowBundleWithSourceMap;
  /** Our own counters; created here when not given. Served on WORKER_METRICS_PORT when that is set. */
  metrics?: WorkerMetrics;
  /** The downstream systems to serve (default: every declared one). Tests add a fixture system here. */
  systems?: readonly SystemDeclaration[];
}

/**
 * One worker for workflows on the orchestration queue, and one per declared system on its own queue, registering only
 * that system's activities and limited server-side with maxTaskQueueActivitiesPerSecond to the workers' share of the
 * system's budget, so the rate holds across every worker replica.
 */
export async function createWorkers(options: WorkerSetOptions): Promise<Worker[]> {
  const { connection, namespace, config, logger } = options;
  const systems = options.systems ?? (SYSTEMS as readonly SystemDeclaration[]);
  const prefix = config.temporal.taskQueuePrefix;
  const metrics = options.metrics ?? createWorkerMetrics();
  // The client (gates, schedules) reads what Switchyard wrote; the workers refuse plain inputs in production.
  const temporal = new Client({ connection, namespace, dataConverter: dataConverterFor(config) });
  const dataConverter = workerDataConverterFor(config);
  // One gate per process: a 429 seen by any activity slows every caller of that system here, and calls are spaced
  // at each system's rate so the server-side limit's bursts do not reach it. Its windows are shared with every other
  // replica through a throttle-gate workflow per system.
  const gate = new ThrottleGate({
    headroomPercent: config.downstream.headroomPercent,
    replicas: config.downstream.workerReplicas,
    shared: createSharedWindows({
      client: temporal,
      prefix,
      taskQueue: queueFor(prefix, 'orchestration'),
      logger,
      onReported: (system) => metrics.gateReports.inc({ system }),
      onUnavailable: (system, operation) => metrics.gateUnavailable.inc({ system, operation }),
    }),
  });
  const connections = createConnections({ temporal, prefix });
  const common = {
    timeoutMs: config.downstream.timeoutMs,
    maxRetryDelayMs: 10 * 60 * 1000,
    gate,
    // A scheduled run's calls keep off the reserve of a provider's windows (a day's last 500 Xero calls).
    isBackground: (workflowType: string) => SCHEDULED_FLOWS.has(workflowType),
    ...metrics.observer,
  };
  const settings = (name: string) => {
    const s = (config.systems as Record<string, Config['systems'][SystemName] | undefined>)[name];
    if (!s) throw new Error(`system "${name}" is declared but has no configuration`);
    return s;
  };
  const activitiesOf = (system: SystemDeclaration) => {
    const s = settings(system.name);
    gate.setRate(system.name, s.workerRatePerSecond);
    const limits = system.connectors?.find((c) => c.name === s.connector.name)?.limits;
    if (limits) gate.setLimits(system.name, limits);
    const client = createDownstreamClient(
      { name: system.name, baseUrl: s.url, apiKey: s.apiKey, secretUrl: s.secretUrl },
      common,
    );
    const deps = {
      client,
      temporalUiUrl: config.temporal.uiUrl,
      namespace,
      onAlertSent: (kind: AlertKind) => metrics.alertsSent.inc({ kind }),
    };
    return withConnector(system, s.connector, deps, connections, budgetLow);
  };
  const alertActivities = createAlertActivities({
    client: createDownstreamClient({ name: 'alerts', baseUrl: config.systems.alerts.url, secretUrl: true }, common),
    temporalUiUrl: config.temporal.uiUrl,
    namespace,
    onAlertSent: (kind) => metrics.alertsSent.inc({ kind }),
  });
  // One budget alert per system, tenant and UTC day from this process (the alert's key dedupes across replicas),
  // linked to the execution whose call saw it.
  const budgetAlerted = new Set<string>();
  async function budgetLow(report: BudgetReport): Promise<void> {
    const day = new Date().toISOString().slice(0, 10);
    const key = `${report.system}:${report.tenant}:${day}`;
    if (budgetAlerted.has(key)) return;
    budgetAlerted.add(key);
    const info = Context.current().info;
    await alertActivities
      .sendAlert({
        kind: 'budget',
        workflowId: info.workflowExecution?.workflowId ?? 'unknown',
        runId: info.workflowExecution?.runId ?? 'unknown',
        workflowType: info.workflowType ?? 'unknown',
        businessKey: `budget:${key}`,
        error:
          `${report.system} (tenant ${report.tenant}) has ${report.remaining} of its ${report.limit} calls left today: ` +
          'scheduled syncs can wait; event flows will be throttled (429) when it runs out',
      })
      .catch((err: unknown) => {
        budgetAlerted.delete(key);
        logger.warn({ err, system: report.system }, 'could not send the budget alert');
      });
  }
  const interceptors = {
    activity: [
      retryingAlertInterceptor({
        afterAttempts: config.alerts.retryingAfterAttempts,
        sendAlert: alertActivities.sendAlert,
        logger,
      }),
    ],
  };
  if (config.worker.metricsPort !== undefined) {
    const { url } = await serveWorkerMetrics({
      registry: metrics.registry,
      port: config.worker.metricsPort,
      host: config.worker.metricsHost,
      sdkMetricsUrl: `http://127.0.0.1:${sdkMetricsPort(config.worker.metricsPort)}/metrics`,
    });
    logger.info({ url }, 'worker metrics served');
  }

  // On SIGTERM a worker stops polling; running activities get half of SHUTDOWN_TIMEOUT_MS to finish, then are
  // cancelled (their HTTP calls abort) and fail this attempt, which another worker retries with the same idempotency
  // key. The rest of the budget bounds the shutdown.
  const shutdownTimes = {
    shutdownGraceTime: Math.floor(config.shutdown.timeoutMs / 2),
    shutdownForceTime: config.shutdown.timeoutMs,
  };
  // With WORKER_BUILD_ID, every queue of this process belongs to one version of the Worker Deployment: a pinned
  // execution's workflow and activity tasks go only to workers of the version it started on (each flow's
  // declaration says whether it is pinned). Unset, the workers are unversioned.
  const { buildId, deploymentName } = config.worker;
  const workerOptions = {
    ...shutdownTimes,
    ...(buildId
      ? {
          workerDeploymentOptions: {
            useWorkerVersioning: true as const,
            version: { deploymentName, buildId },
            defaultVersioningBehavior: 'PINNED' as const,
          },
        }
      : {}),
  };
  // The OAuth connections of the connectors this deployment selected join the credential registry's daily check.
  const credentialSources = credentialStateSources(config, temporal);
  const workflowBundle =
    options.workflowBundle ??
    (config.worker.workflowBundlePath ? { codePath: config.worker.workflowBundlePath } : await bundleWorkflows());
  limitWorkflowThreadHeap(config.worker.maxCachedWorkflows);
  const workers = [
    await Worker.create({
      connection,
      namespace,
      taskQueue: queueFor(prefix, 'orchestration'),
      workflowBundle,
      // The SDK's default scales with the heap limit (about 2,400 on a 4 GB heap), and each cached workflow holds
      // about 0.3 MB: 1,000 open workflows took the worker to 485 MB. Evicted ones replay their (short) history.
      maxCachedWorkflows: config.worker.maxCachedWorkflows,
      sinks: workflowTracingSinks(),
      dataConverter,
      // Only the activities that talk to Temporal itself run here; every third-party call runs on its system's queue.
      activities: createTemporalActivities({
        temporal,
        credentialProblems: async () =>
          credentialProblems(await checkCredentials(config.credentials, credentialSources)),
      }),
      ...workerOptions,
    }),
  ];
  for (const system of systems) {
    const activities = activitiesOf(system);
    workers.push(
      await Worker.create({
        connection,
        namespace,
        taskQueue: queueFor(prefix, system.name),
        dataConverter,
        activities,
        interceptors: {
          activity: [
            activityTracingInterceptor(system.name),
            ...interceptors.activity,
            metrics.activityInterceptor(system.name, Object.keys(activities)),
          ],
        },
        // The workers' share of the system's budget: its limit less the API replicas' reads (docs/rate-limits.md).
        maxTaskQueueActivitiesPerSecond: settings(system.name).workerRatePerSecond,
        ...workerOptions,
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

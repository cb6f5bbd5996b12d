import http, { type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { Counter, Histogram, Registry } from 'prom-client';
import type { CallObserver } from '../kit/http';
import { willRetry } from './retrying-alerts';

/** Attempt numbers as a closed label: each of the first five, then ranges (a retry storm must not grow /metrics). */
export function attemptLabel(attempt: number): string {
  if (attempt <= 5) return String(Math.max(1, Math.floor(attempt)));
  return attempt <= 10 ? '6-10' : '11+';
}

/** The worker's own Prometheus metrics, on a registry of its own so several worker sets can share a process (tests). */
export function createWorkerMetrics() {
  const registry = new Registry();
  const calls = new Counter({
    name: 'switchyard_downstream_calls_total',
    help: 'HTTP calls to third-party systems by system, method and status class (2xx..5xx, or "error" when none came).',
    labelNames: ['system', 'method', 'status_class'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'switchyard_downstream_call_duration_seconds',
    help: 'Duration of HTTP calls to third-party systems.',
    labelNames: ['system'] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const throttled = new Counter({
    name: 'switchyard_downstream_throttled_total',
    help: 'Answers asking us to slow down (429, or 503 with Retry-After), by system.',
    labelNames: ['system'] as const,
    registers: [registry],
  });
  const deferred = new Counter({
    name: 'switchyard_gate_deferred_total',
    help: 'Attempts the throttle gate handed back to Temporal to retry after a window, without calling the system.',
    labelNames: ['system'] as const,
    registers: [registry],
  });
  const gateReports = new Counter({
    name: 'switchyard_gate_closures_total',
    help: 'Throttle windows this worker reported to the shared gate (one per window, however many 429s), by system.',
    labelNames: ['system'] as const,
    registers: [registry],
  });
  const gateUnavailable = new Counter({
    name: 'switchyard_gate_unavailable_total',
    help: 'Reads or reports of the shared throttle gate that could not reach Temporal (the local gate still holds).',
    labelNames: ['system', 'operation'] as const,
    registers: [registry],
  });
  const alertsSent = new Counter({
    name: 'switchyard_alerts_sent_total',
    help: 'Alerts delivered to the alert inbox (ALERTS_WEBHOOK_URL), by kind (failed, retrying, schedule).',
    labelNames: ['kind'] as const,
    registers: [registry],
  });
  const activityAttempts = new Counter({
    name: 'switchyard_activity_attempts_total',
    help: 'Activity attempts started, by system, activity and attempt number (1..5, 6-10, 11+); attempt > 1 is a retry.',
    labelNames: ['system', 'activity', 'attempt'] as const,
    registers: [registry],
  });
  const activityFailures = new Counter({
    name: 'switchyard_activity_failures_total',
    help: 'Activity attempts that failed, by system, activity and whether Temporal will retry (will_retry="false": final).',
    labelNames: ['system', 'activity', 'will_retry'] as const,
    registers: [registry],
  });
  const observer: Required<CallObserver> = {
    onCall(system, method, status, durationMs) {
      calls.inc({ system, method, status_class: status === 0 ? 'error' : `${Math.floor(status / 100)}xx` });
      duration.observe({ system }, durationMs / 1000);
    },
    onThrottle(system) {
      throttled.inc({ system });
    },
    onDeferred(system) {
      deferred.inc({ system });
    },
  };
  /**
   * Counts every attempt of `system`'s activities and every failed one. `activities` are the names the worker
   * registers, so the label set stays closed.
   */
  const activityInterceptor =
    (system: string, activities: readonly string[]): ActivityInterceptorsFactory =>
    (ctx) => ({
      inbound: {
        async execute(input, next) {
          const activity = activities.includes(ctx.info.activityType) ? ctx.info.activityType : 'other';
          activityAttempts.inc({ system, activity, attempt: attemptLabel(ctx.info.attempt) });
          try {
            return await next(input);
          } catch (err) {
            activityFailures.inc({ system, activity, will_retry: String(willRetry(err, ctx)) });
            throw err;
          }
        },
      },
    });
  return { registry, calls, throttled, gateReports, gateUnavailable, alertsSent, observer, activityInterceptor };
}

export type WorkerMetrics = ReturnType<typeof createWorkerMetrics>;

/**
 * Serves GET /metrics: our registry, followed by the SDK's own Prometheus text when `sdkMetricsUrl` is given (the
 * Runtime exports it on a loopback port), so one scrape target shows both.
 */
export async function serveWorkerMetrics(options: {
  registry: Registry;
  port: number;
  host?: string;
  sdkMetricsUrl?: string;
}): Promise<{ server: Server; url: string }> {
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    void (async () => {
      let sdk = '';
      if (options.sdkMetricsUrl) {
        sdk = await fetch(options.sdkMetricsUrl, { signal: AbortSignal.timeout(2000) })
          .then((r) => r.text())
          .catch((err: unknown) => `# SDK metrics unavailable: ${err instanceof Error ? err.message : String(err)}\n`);
      }
      const own = await options.registry.metrics();
      res.writeHead(200, { 'content-type': options.registry.contentType }).end(`${own}\n${sdk}`);
    })().catch(() => res.writeHead(500).end());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '0.0.0.0', () => resolve());
  });
  server.unref();
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}/metrics` };
}

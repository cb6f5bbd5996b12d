import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

/** The ingress's Prometheus metrics, on a registry of its own so several apps can live in one process (tests). */
export function createApiMetrics(options: { defaultMetrics?: boolean } = {}) {
  const registry = new Registry();
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry });
  return {
    registry,
    webhooks: new Counter({
      name: 'switchyard_webhooks_total',
      help: 'Webhook deliveries by source, event type and outcome (accepted, duplicate, ignored, rejected).',
      labelNames: ['source', 'event_type', 'outcome', 'reason'] as const,
      registers: [registry],
    }),
    latency: new Histogram({
      name: 'switchyard_ingress_latency_seconds',
      help: 'Time from request to answer on the webhook ingress.',
      labelNames: ['source', 'status'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5],
      registers: [registry],
    }),
    startErrors: new Counter({
      name: 'switchyard_temporal_start_errors_total',
      help: 'Workflow starts that failed because Temporal was unreachable or errored.',
      labelNames: ['source', 'reason'] as const,
      registers: [registry],
    }),
    apiVersionDrift: new Counter({
      name: 'switchyard_webhook_api_version_drift_total',
      help: 'Deliveries whose provider API version the adapter does not declare.',
      labelNames: ['source', 'api_version'] as const,
      registers: [registry],
    }),
  };
}

export type ApiMetrics = ReturnType<typeof createApiMetrics>;

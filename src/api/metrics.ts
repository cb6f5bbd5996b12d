import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import { SOURCES } from '../registry';

// Every label value here comes from a closed set. A series is never removed once created, so a value copied from a
// request (a topic, an API version, a path) would let any sender grow /metrics and the scraper's memory without end.

/** `value` when it is one of `known`, else `other`. */
export function closedLabel(value: string | undefined, known: readonly string[]): string {
  return value !== undefined && known.includes(value) ? value : 'other';
}

// The leading date of a provider API version: Shopify "2025-01", Stripe "2025-03-31.basil".
const VERSION_DATE = /^(\d{4}-\d{2}(?:-\d{2})?)(?:$|\.)/;

/**
 * A provider API version as a label: itself when the adapter declares it; otherwise `newer` or `older` than every
 * declared one (the provider moved on, or a subscription is pinned to an old version), else `other`.
 */
export function apiVersionLabel(version: string, known: readonly string[]): string {
  if (known.includes(version)) return version;
  const date = VERSION_DATE.exec(version)?.[1];
  if (!date) return 'other';
  const dates = known.flatMap((k) => VERSION_DATE.exec(k)?.[1] ?? []).filter((d) => d.length === date.length);
  if (dates.length === 0) return 'other';
  if (dates.every((d) => date > d)) return 'newer';
  if (dates.every((d) => date < d)) return 'older';
  return 'other';
}

const OUTCOMES = ['accepted', 'duplicate', 'ignored', 'rejected'] as const;

export interface WebhookLabels {
  source: string;
  event_type: string;
  outcome: (typeof OUTCOMES)[number];
  /** A machine-readable answer code (`invalid_payload`, `signature_mismatch`), empty when accepted. */
  reason: string;
}

/** The ingress's Prometheus metrics, on a registry of its own so several apps can live in one process (tests). */
export function createApiMetrics(options: { defaultMetrics?: boolean; sources?: readonly { name: string }[] } = {}) {
  // The closed set of source labels: the declared sources (the registry's, or a test's), and `unknown`.
  const sourceLabels: readonly string[] = [...(options.sources ?? SOURCES).map((s) => s.name), 'unknown'];
  const registry = new Registry();
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry });
  const webhooks = new Counter({
    name: 'switchyard_webhooks_total',
    help: 'Webhook deliveries by source, event type and outcome (accepted, duplicate, ignored, rejected).',
    labelNames: ['source', 'event_type', 'outcome', 'reason'] as const,
    registers: [registry],
  });
  return {
    registry,
    webhooks: {
      /**
       * Counts one delivery. Callers map event types into a closed set; the source is checked here too, so a name
       * that came from a request's path can never add a label.
       */
      inc(labels: WebhookLabels): void {
        webhooks.inc({
          source: closedLabel(labels.source, sourceLabels),
          event_type: labels.event_type,
          outcome: closedLabel(labels.outcome, OUTCOMES),
          reason: /^[a-z_]{0,40}$/.test(labels.reason) ? labels.reason : 'other',
        });
      },
    },
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
      help: 'Deliveries whose provider API version the adapter does not declare, as newer, older or other.',
      labelNames: ['source', 'api_version'] as const,
      registers: [registry],
    }),
  };
}

export type ApiMetrics = ReturnType<typeof createApiMetrics>;

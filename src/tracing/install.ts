import { type Attributes, context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { detectResourcesSync, envDetectorSync, Resource } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  NoopSpanProcessor,
  type ReadableSpan,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  type OpenTelemetryWorkflowExporter,
} from '@temporalio/interceptors-opentelemetry';
import type { ActivityInterceptorsFactory, InjectedSinks } from '@temporalio/worker';
import { clip, redactEmails, safeText } from '../redaction';
import { setTracingOn, tracingOn } from './index';

// OpenTelemetry for the whole service. Code below the entry points only asks the global API for a tracer: until
// installTracing() registers a provider (OTEL_EXPORTER_OTLP_ENDPOINT set), every span is a no-op and nothing is sent.
// The exporter reads the other standard variables itself (OTEL_EXPORTER_OTLP_HEADERS, OTEL_EXPORTER_OTLP_TIMEOUT, …),
// and the provider reads OTEL_TRACES_SAMPLER; OTEL_RESOURCE_ATTRIBUTES adds to the resource.

/**
 * The workflow interceptors of @temporalio/interceptors-opentelemetry (the package's own OpenTelemetryPlugin resolves
 * the same module; a release that moves it fails here, loudly).
 */
const OTEL_WORKFLOW_INTERCEPTORS = require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors');

/**
 * The workflow interceptor modules to bundle: OpenTelemetry's once tracing is installed, else none, so a worker
 * without tracing runs the workflows exactly as before. Either way the recorded histories replay (their only trace
 * is a header on scheduled activities, which replay does not compare).
 */
export function workflowInterceptorModules(): string[] {
  return installed ? [OTEL_WORKFLOW_INTERCEPTORS] : [];
}

export interface TracingOptions {
  /** OTEL_EXPORTER_OTLP_ENDPOINT: the collector's base URL; spans go to `<endpoint>/v1/traces` over OTLP/HTTP. */
  endpoint: string;
  /** OTEL_SERVICE_NAME, or the role's default (`switchyard-api`, `switchyard-worker`). */
  serviceName: string;
}

export interface Tracing {
  resource: Resource;
  processor: SpanProcessor;
  /** Sends what is buffered now (tests, and before exit). */
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

let installed: Tracing | undefined;

/** Registers the global tracer provider, context manager and W3C propagator, exporting over OTLP/HTTP. */
export function installTracing(options: TracingOptions): Tracing {
  if (installed) return installed;
  const resource = new Resource({ 'service.name': options.serviceName }).merge(
    detectResourcesSync({ detectors: [envDetectorSync] }),
  );
  const exporter = redactingExporter(
    new OTLPTraceExporter({ url: `${options.endpoint.replace(/\/$/, '')}/v1/traces` }),
  );
  const processor = new BatchSpanProcessor(exporter, { scheduledDelayMillis: 1000 });
  const provider = new BasicTracerProvider({ resource, spanProcessors: [processor] });
  provider.register({
    contextManager: new AsyncLocalStorageContextManager(),
    propagator: new W3CTraceContextPropagator(),
  });
  setTracingOn(true);
  installed = {
    resource,
    processor,
    flush: () => provider.forceFlush(),
    shutdown: async () => {
      await provider.shutdown();
      trace.disable();
      context.disable();
      propagation.disable();
      installed = undefined;
      setTracingOn(false);
    },
  };
  return installed;
}

/** The longest attribute value exported; a span is no place for a document. */
const MAX_ATTRIBUTE_LENGTH = 4096;

function redactedAttributes(attributes: Attributes | undefined): Attributes {
  const out: Attributes = {};
  for (const [key, value] of Object.entries(attributes ?? {})) {
    const text = (v: unknown) => (typeof v === 'string' ? redactEmails(clip(v, MAX_ATTRIBUTE_LENGTH)) : v);
    out[redactEmails(key)] = (Array.isArray(value) ? value.map(text) : text(value)) as Attributes[string];
  }
  return out;
}

/**
 * Spans leave the process through this: whatever made them (our code, the Temporal interceptors, a library), their
 * name, attributes, status message, events and links carry no email and no unbounded text. Spans are not encrypted,
 * and a collector keeps them longer than the executions they describe.
 */
export function redactingExporter(inner: SpanExporter): SpanExporter {
  const redacted = (span: ReadableSpan): ReadableSpan =>
    Object.create(span, {
      name: { value: redactEmails(span.name) },
      attributes: { value: redactedAttributes(span.attributes) },
      status: { value: { ...span.status, ...(span.status.message ? { message: safeText(span.status.message) } : {}) } },
      events: {
        value: span.events.map((e) => ({
          ...e,
          name: redactEmails(e.name),
          attributes: redactedAttributes(e.attributes),
        })),
      },
      links: { value: span.links.map((l) => ({ ...l, attributes: redactedAttributes(l.attributes) })) },
    }) as ReadableSpan;
  return {
    export: (spans, done) => inner.export(spans.map(redacted), done),
    shutdown: () => inner.shutdown(),
    forceFlush: () => inner.forceFlush?.() ?? Promise.resolve(),
  };
}

/** Whether tracing is installed in this process (clients then carry the trace into the workflows they start). */
export function tracingInstalled(): boolean {
  return tracingOn();
}

/** Installs tracing when the configuration names a collector (OTEL_EXPORTER_OTLP_ENDPOINT); otherwise nothing. */
export function tracingFromConfig(
  tracing: { endpoint?: string; serviceName?: string },
  role: 'api' | 'worker' | 'dev',
): Tracing | undefined {
  if (!tracing.endpoint) return undefined;
  return installTracing({ endpoint: tracing.endpoint, serviceName: tracing.serviceName ?? `switchyard-${role}` });
}

/**
 * The sink through which workflow spans leave the workflow sandbox. It is registered on every workflow worker, and
 * hands spans to the installed provider when there is one (installed later than the worker, too), else drops them.
 */
export function workflowTracingSinks(): InjectedSinks<{ exporter: OpenTelemetryWorkflowExporter }> {
  const noop = new NoopSpanProcessor();
  const current = () => installed?.processor ?? noop;
  const forwarding: SpanProcessor = {
    onStart: () => undefined,
    onEnd: (span: ReadableSpan) => current().onEnd(span),
    forceFlush: () => current().forceFlush(),
    shutdown: () => Promise.resolve(),
  };
  return { exporter: makeWorkflowExporter(forwarding, installed?.resource ?? Resource.empty()) };
}

/**
 * One span per activity attempt (`RunActivity:<type>`, a child of the workflow's `StartActivity:<type>`), carrying
 * the system and the attempt number; activity logs carry its trace_id and span_id.
 */
export function activityTracingInterceptor(system: string): ActivityInterceptorsFactory {
  return (ctx) => {
    const otel = new OpenTelemetryActivityInboundInterceptor(ctx);
    return {
      inbound: {
        execute: (input, next) =>
          otel.execute(input, (i) => {
            trace.getActiveSpan()?.setAttributes({
              'switchyard.system': system,
              'temporal.activity.attempt': ctx.info.attempt,
              'temporal.workflow.type': ctx.info.workflowType ?? '',
            });
            return next(i);
          }),
      },
      outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
    };
  };
}

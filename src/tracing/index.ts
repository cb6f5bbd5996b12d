import {
  context,
  INVALID_SPAN_CONTEXT,
  propagation,
  type Span,
  SpanStatusCode,
  trace,
  type Tracer,
} from '@opentelemetry/api';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { emailHash, redactEmails, safeText } from '../redaction';

// Spans through the global OpenTelemetry API only: a no-op until src/tracing/install.ts registers a provider, so the
// code that makes spans (the ingress, the HTTP client) never needs to know whether tracing is on.

/** The service's tracer: a no-op until installTracing(). */
export function tracer(): Tracer {
  return trace.getTracer('switchyard');
}

let recording = false;

/**
 * Whether a provider is installed (installTracing sets it). Until then the helpers below skip the API's no-op spans
 * and context switches altogether: on the ingress's hot path they cost more than the work they would wrap.
 */
export function tracingOn(): boolean {
  return recording;
}

/** For src/tracing/install.ts only. */
export function setTracingOn(on: boolean): void {
  recording = on;
}

/** What `fn` is handed when nothing records: a span that ignores everything, as the API's no-op tracer gives. */
const NOT_RECORDED = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

/**
 * A business key as an attribute: itself, or with the email address in it replaced by the hash its log lines, search
 * attributes and alerts carry (`email:<12 hex>`), so one contact's spans and logs are found by one value.
 */
export function businessKeyAttribute(key: string): string {
  const redacted = redactEmails(key);
  return redacted === key && key.includes('@') ? emailHash(key) : redacted;
}

/** Runs the synchronous `fn` in a child span of the active one, ending it with an error status when `fn` throws. */
export function inSpanSync<T>(name: string, attributes: Record<string, string>, fn: () => T): T {
  if (!recording) return fn();
  return tracer().startActiveSpan(name, { attributes }, (span) => {
    try {
      return fn();
    } catch (err) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.name : 'error' });
      throw err;
    } finally {
      span.end();
    }
  });
}

/** Runs `fn` in a child span of the active one, ending it with an error status when `fn` throws. */
export async function inSpan<T>(
  name: string,
  attributes: Record<string, string | number | boolean | undefined>,
  fn: (span: Span) => Promise<T> | T,
): Promise<T> {
  if (!recording) return fn(NOT_RECORDED);
  return tracer().startActiveSpan(name, { attributes }, async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      span.setStatus({
        code: SpanStatusCode.ERROR,
        message: safeText(err instanceof Error ? err.message : String(err)),
      });
      throw err;
    } finally {
      span.end();
    }
  });
}

/**
 * The header in which @temporalio/interceptors-opentelemetry carries the trace context from a workflow start to the
 * workflow (its TRACE_HEADER, not exported from its entry point); the worker's workflow interceptors read it.
 */
export const TEMPORAL_TRACE_HEADER = '_tracer-data';

/** Start headers carrying the active trace context; none when tracing is off, so the request does not change. */
export function temporalTraceHeaders(): Record<string, Payload> {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return Object.keys(carrier).length ? { [TEMPORAL_TRACE_HEADER]: defaultPayloadConverter.toPayload(carrier) } : {};
}

import { isSpanContextValid, trace } from '@opentelemetry/api';
import pino from 'pino';

export type Logger = pino.Logger;

// Secrets are redacted here, once, rather than at each call site.
const REDACT = [
  'secret',
  'secrets',
  'apiKey',
  'token',
  'password',
  'authorization',
  '*.secret',
  '*.secrets',
  '*.apiKey',
  '*.token',
  '*.authorization',
  'headers.authorization',
  'req.headers.authorization',
  'headers["webhook-signature"]',
  'headers["stripe-signature"]',
  'headers["x-shopify-hmac-sha256"]',
];

/** The active span's ids, so a log line leads to its trace (nothing when tracing is off or no span is active). */
function traceIds(): { trace_id?: string; span_id?: string } {
  const span = trace.getActiveSpan()?.spanContext();
  return span && isSpanContextValid(span) ? { trace_id: span.traceId, span_id: span.spanId } : {};
}

/** JSON logs, one event per line, with secrets redacted and, inside a span, its trace_id and span_id. */
export function createLogger(options: { level: string; name?: string }, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level: options.level,
      name: options.name,
      base: { service: 'switchyard', ...(options.name ? { component: options.name } : {}) },
      redact: { paths: REDACT, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      mixin: traceIds,
    },
    destination,
  );
}

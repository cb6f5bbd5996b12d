import { isSpanContextValid, trace } from '@opentelemetry/api';
import pino from 'pino';
import { emailHash, scrub } from './redaction';

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

// Customers' email addresses, wherever they sit in a log line and however they are spelled, are replaced by their
// hash (src/redaction.ts): logs outlive and travel further than Temporal's encrypted payloads.
export { emailHash };

/** The active span's ids, so a log line leads to its trace (nothing when tracing is off or no span is active). */
function traceIds(): { trace_id?: string; span_id?: string } {
  const span = trace.getActiveSpan()?.spanContext();
  return span && isSpanContextValid(span) ? { trace_id: span.traceId, span_id: span.spanId } : {};
}

/**
 * JSON logs, one event per line, with secrets redacted, email addresses hashed and, inside a span, its trace_id and
 * span_id.
 */
export function createLogger(options: { level: string; name?: string }, destination?: pino.DestinationStream): Logger {
  const logger = pino(
    {
      level: options.level,
      name: options.name,
      base: { service: 'switchyard', ...(options.name ? { component: options.name } : {}) },
      redact: { paths: REDACT, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      mixin: traceIds,
      hooks: {
        logMethod(args, method) {
          method.apply(this, args.map((a) => scrub(a)) as Parameters<typeof method>);
        },
      },
    },
    destination,
  );
  // A child's bindings are serialized once, when it is made, past the hook; its children inherit this method.
  const child = logger.child;
  logger.child = function (this: Logger, bindings, childOptions) {
    return child.call(this, scrub(bindings) as pino.Bindings, childOptions);
  } as typeof child;
  return logger;
}

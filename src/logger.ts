import { createHash } from 'node:crypto';
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

// Anything shaped like an email address, wherever it sits in a log line: customers' addresses are personal data, and
// logs outlive and travel further than Temporal's encrypted payloads.
const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g;

/** What a log line shows instead of an email address: a short hash, the same for every spelling of its case. */
export function emailHash(email: string): string {
  return `email:${createHash('sha256').update(email.trim().toLowerCase()).digest('hex').slice(0, 12)}`;
}

function scrub(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return value.includes('@') ? value.replace(EMAIL, emailHash) : value;
  if (value === null || typeof value !== 'object' || depth > 8) return value;
  if (Array.isArray(value)) return value.map((v) => scrub(v, depth + 1));
  if (value instanceof Error) {
    const copy = new Error(scrub(value.message) as string);
    copy.name = value.name;
    copy.stack = scrub(value.stack) as string | undefined;
    if (value.cause !== undefined) copy.cause = scrub(value.cause, depth + 1);
    for (const [k, v] of Object.entries(value)) (copy as unknown as Record<string, unknown>)[k] = scrub(v, depth + 1);
    return copy;
  }
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrub(v, depth + 1)]));
}

/** JSON logs, one event per line, with secrets redacted and email addresses hashed. */
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
      hooks: {
        logMethod(args, method) {
          method.apply(this, args.map((a) => scrub(a)) as Parameters<typeof method>);
        },
      },
    },
    destination,
  );
}

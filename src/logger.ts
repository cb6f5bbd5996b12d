import { isSpanContextValid, trace } from '@opentelemetry/api';
import pino from 'pino';
import type PinoPretty from 'pino-pretty';
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

export type LogFormat = 'auto' | 'json' | 'pretty';

export interface LoggerOptions {
  level: string;
  name?: string;
  /** `auto` (the default): pretty when standard output is a terminal, else JSON. */
  format?: LogFormat;
}

/**
 * Logs with secrets redacted, email addresses hashed and, inside a span, its trace_id and span_id: JSON, one event
 * per line, or, for a person at a terminal, pino-pretty's lines (level, time, component, message, then the fields).
 * `auto` writes JSON to a `destination`, which is no terminal.
 */
export function createLogger(options: LoggerOptions, destination?: pino.DestinationStream): Logger {
  const format = options.format ?? 'auto';
  const pretty = format === 'pretty' || (format === 'auto' && !destination && process.stdout.isTTY === true);
  const logger = pino(
    {
      level: options.level,
      name: options.name,
      base: { service: 'switchyard', ...(options.name ? { component: options.name } : {}) },
      redact: { paths: REDACT, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      // pino-pretty names levels from their numbers; JSON carries the label, which log pipelines read.
      formatters: pretty ? {} : { level: (label) => ({ level: label }) },
      mixin: traceIds,
      hooks: {
        logMethod(args, method) {
          method.apply(this, args.map((a) => scrub(a)) as Parameters<typeof method>);
        },
      },
    },
    pretty ? prettyStream(destination) : destination,
  );
  // A child's bindings are serialized once, when it is made, past the hook; its children inherit this method.
  const child = logger.child;
  logger.child = function (this: Logger, bindings, childOptions) {
    return child.call(this, scrub(bindings) as pino.Bindings, childOptions);
  } as typeof child;
  return logger;
}

/** pino-pretty, loaded only when asked for: a production process writing JSON never loads it. */
function prettyStream(destination?: pino.DestinationStream): pino.DestinationStream {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on demand, see above
  const pretty = require('pino-pretty') as typeof PinoPretty;
  return pretty({
    colorize: !destination && process.stdout.isTTY === true,
    ...(destination ? { destination } : {}),
    sync: true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,service,name,component',
    singleLine: true,
    messageFormat: '{if component}{component}: {end}{msg}',
  });
}

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

/** JSON logs, one event per line, with secrets redacted. */
export function createLogger(options: { level: string; name?: string }, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level: options.level,
      name: options.name,
      base: { service: 'switchyard', ...(options.name ? { component: options.name } : {}) },
      redact: { paths: REDACT, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}

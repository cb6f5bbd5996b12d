import { createHash } from 'node:crypto';
import { z } from 'zod';

/** Systems we call, each served by its own task queue and rate limit. */
export const SYSTEMS = ['accounting', 'email-platform', 'crm', 'shop', 'alerts'] as const;
export type SystemName = (typeof SYSTEMS)[number];

/** Every webhook source the ingress knows; each reads its secrets from WEBHOOK_SECRET_<SOURCE>. */
export const SOURCES = ['shop', 'shopify', 'stripe'] as const;
export type SourceName = (typeof SOURCES)[number];

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

const port = z.coerce.number().int().min(0).max(65535);
const positiveInt = z.coerce.number().int().positive();
const url = z.url();

/** Which process reads the config: each role requires only what it uses. */
export type Role = 'api' | 'worker' | 'all';

// Variables that must be set explicitly in production, by the role that needs them. Elsewhere they fall back to
// development values, derived here rather than written down so that no credential-shaped literal lives in the source.
const REQUIRED_IN_PRODUCTION = {
  api: ['WEBHOOK_SECRET_SHOP', 'WEBHOOK_SECRET_SHOPIFY', 'WEBHOOK_SECRET_STRIPE'],
  worker: [
    'ACCOUNTING_API_URL',
    'ACCOUNTING_API_KEY',
    'EMAIL_API_URL',
    'EMAIL_API_KEY',
    'CRM_API_URL',
    'CRM_API_KEY',
    'SHOP_API_URL',
    'SHOP_API_KEY',
    'ALERT_WEBHOOK_URL',
  ],
} as const;

/** The variables a role cannot start without in production (used by the deployment checks too). */
export function requiredInProduction(role: Role): string[] {
  return role === 'all'
    ? [...REQUIRED_IN_PRODUCTION.api, ...REQUIRED_IN_PRODUCTION.worker]
    : [...REQUIRED_IN_PRODUCTION[role]];
}

const SECRET_VARS = [
  'WEBHOOK_SECRET_SHOP',
  'WEBHOOK_SECRET_SHOPIFY',
  'WEBHOOK_SECRET_STRIPE',
  'ACCOUNTING_API_KEY',
  'EMAIL_API_KEY',
  'CRM_API_KEY',
  'SHOP_API_KEY',
] as const;

const SANDBOX_PATHS: Record<string, string> = {
  ACCOUNTING_API_URL: 'accounting',
  EMAIL_API_URL: 'email',
  CRM_API_URL: 'crm',
  SHOP_API_URL: 'shop',
  ALERT_WEBHOOK_URL: 'alerts',
};

// A role that does not use a variable gets this in production, so a mistaken use fails loudly instead of silently.
const UNUSED_BY_ROLE = 'unused-by-this-role';

function developmentSecret(name: string): string {
  const digest = createHash('sha256').update(`switchyard-development-only:${name}`).digest();
  if (name === 'WEBHOOK_SECRET_SHOP') return `whsec_${digest.toString('base64')}`;
  if (name === 'WEBHOOK_SECRET_STRIPE') return `whsec_${digest.toString('hex').slice(0, 32)}`;
  return `dev_${digest.toString('hex').slice(0, 32)}`;
}

const secretList = z
  .string()
  .transform((s) => s.split(/\s+/).filter(Boolean))
  .pipe(z.array(z.string().min(8, 'each secret must be at least 8 characters')).min(1));

const schema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  PORT: port.default(3000),
  HOST: z.string().default('0.0.0.0'),
  SANDBOX_PORT: port.default(4000),
  WEBHOOK_MAX_BODY_BYTES: positiveInt.default(256 * 1024),
  STANDARD_WEBHOOKS_TOLERANCE_SECONDS: positiveInt.default(300),

  TEMPORAL_ADDRESS: z.string().optional(),
  TEMPORAL_NAMESPACE: z.string().default('default'),
  TEMPORAL_UI_URL: url.default('http://localhost:8233'),
  TEMPORAL_DEV_PORT: port.default(7233),
  TEMPORAL_DEV_UI_PORT: port.default(8233),
  TEMPORAL_DEV_DB_FILE: z.string().default('.data/temporal.db'),
  TEMPORAL_START_TIMEOUT_MS: positiveInt.default(1500),
  TASK_QUEUE_PREFIX: z
    .string()
    .regex(/^[a-z0-9-]*$/, 'lowercase letters, digits and dashes only')
    .default(''),

  WEBHOOK_SECRET_SHOP: secretList,
  WEBHOOK_SECRET_SHOPIFY: secretList,
  WEBHOOK_SECRET_STRIPE: secretList,

  ACCOUNTING_API_URL: url,
  ACCOUNTING_API_KEY: z.string().min(8),
  EMAIL_API_URL: url,
  EMAIL_API_KEY: z.string().min(8),
  CRM_API_URL: url,
  CRM_API_KEY: z.string().min(8),
  SHOP_API_URL: url,
  SHOP_API_KEY: z.string().min(8),
  ALERT_WEBHOOK_URL: url,
  DOWNSTREAM_TIMEOUT_MS: positiveInt.default(10_000),

  ACCOUNTING_RATE_LIMIT_PER_SECOND: positiveInt.default(20),
  EMAIL_PLATFORM_RATE_LIMIT_PER_SECOND: positiveInt.default(10),
  CRM_RATE_LIMIT_PER_SECOND: positiveInt.default(10),
  SHOP_RATE_LIMIT_PER_SECOND: positiveInt.default(10),
  ALERTS_RATE_LIMIT_PER_SECOND: positiveInt.default(5),
  RETRYING_ALERT_AFTER_ATTEMPTS: positiveInt.default(5),

  WORKER_METRICS_PORT: port.optional(),
  ADMIN_TOKEN: z.string().min(16, 'use at least 16 characters').optional(),
  ADMIN_TOKEN_NAME: z.string().default('admin'),

  SCHEDULES_APPLY_ON_START: z.enum(['true', 'false']).default('true'),
  SCHEDULES_TIME_ZONE: z.string().default('Europe/Warsaw'),
  CONTACT_SYNC_CRON: z.string().default('0 2 * * *'),
  WATCHDOG_PAUSED_ALERT_AFTER_MINUTES: positiveInt.default(24 * 60),
});

export type Config = ReturnType<typeof loadConfig>;

/**
 * Turns the environment into a typed, validated config. Throws ConfigError naming every bad or missing variable.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, role: Role = 'all') {
  const nodeEnv = env.NODE_ENV ?? 'development';
  const production = nodeEnv === 'production';
  const input: Record<string, string | undefined> = { ...env };
  const defaulted: string[] = [];
  const missing: string[] = [];

  const required = new Set(requiredInProduction(role));
  const sandboxPort = Number(input.SANDBOX_PORT ?? 4000);
  for (const name of [...SECRET_VARS, ...Object.keys(SANDBOX_PATHS)]) {
    if (input[name]?.trim()) continue;
    const isUrl = name in SANDBOX_PATHS;
    if (production) {
      if (required.has(name))
        missing.push(`${name} is required in production${isUrl ? '' : ' (a secret; see .env.example)'}`);
      else input[name] = isUrl ? `http://${UNUSED_BY_ROLE}.invalid` : UNUSED_BY_ROLE;
    } else if (isUrl) {
      input[name] = `http://127.0.0.1:${sandboxPort}/${SANDBOX_PATHS[name]}`;
    } else {
      input[name] = developmentSecret(name);
      defaulted.push(name);
    }
  }
  if (missing.length) throw new ConfigError(missing);

  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`));
  }
  const c = parsed.data;
  return {
    env: c.NODE_ENV,
    production,
    logLevel: c.LOG_LEVEL,
    defaultedSecrets: defaulted,
    http: { host: c.HOST, port: c.PORT, maxBodyBytes: c.WEBHOOK_MAX_BODY_BYTES },
    sandbox: { port: c.SANDBOX_PORT },
    temporal: {
      address: c.TEMPORAL_ADDRESS,
      namespace: c.TEMPORAL_NAMESPACE,
      uiUrl: c.TEMPORAL_UI_URL.replace(/\/$/, ''),
      startTimeoutMs: c.TEMPORAL_START_TIMEOUT_MS,
      taskQueuePrefix: c.TASK_QUEUE_PREFIX,
      dev: { port: c.TEMPORAL_DEV_PORT, uiPort: c.TEMPORAL_DEV_UI_PORT, dbFile: c.TEMPORAL_DEV_DB_FILE },
    },
    sources: {
      shop: { secrets: c.WEBHOOK_SECRET_SHOP, toleranceSeconds: c.STANDARD_WEBHOOKS_TOLERANCE_SECONDS },
      shopify: { secrets: c.WEBHOOK_SECRET_SHOPIFY },
      stripe: { secrets: c.WEBHOOK_SECRET_STRIPE, toleranceSeconds: 300 },
    } satisfies Record<SourceName, { secrets: string[]; toleranceSeconds?: number }>,
    downstream: {
      timeoutMs: c.DOWNSTREAM_TIMEOUT_MS,
      accounting: { url: c.ACCOUNTING_API_URL, apiKey: c.ACCOUNTING_API_KEY },
      email: { url: c.EMAIL_API_URL, apiKey: c.EMAIL_API_KEY },
      crm: { url: c.CRM_API_URL, apiKey: c.CRM_API_KEY },
      shop: { url: c.SHOP_API_URL, apiKey: c.SHOP_API_KEY },
      alertWebhookUrl: c.ALERT_WEBHOOK_URL,
    },
    rateLimits: {
      accounting: c.ACCOUNTING_RATE_LIMIT_PER_SECOND,
      'email-platform': c.EMAIL_PLATFORM_RATE_LIMIT_PER_SECOND,
      crm: c.CRM_RATE_LIMIT_PER_SECOND,
      shop: c.SHOP_RATE_LIMIT_PER_SECOND,
      alerts: c.ALERTS_RATE_LIMIT_PER_SECOND,
    } satisfies Record<SystemName, number>,
    alerts: { retryingAfterAttempts: c.RETRYING_ALERT_AFTER_ATTEMPTS },
    worker: { metricsPort: c.WORKER_METRICS_PORT },
    admin: c.ADMIN_TOKEN ? { token: c.ADMIN_TOKEN, tokenName: c.ADMIN_TOKEN_NAME } : undefined,
    schedules: {
      applyOnStart: c.SCHEDULES_APPLY_ON_START === 'true',
      timeZone: c.SCHEDULES_TIME_ZONE,
      contactSyncCron: c.CONTACT_SYNC_CRON,
      pausedAlertAfterMs: c.WATCHDOG_PAUSED_ALERT_AFTER_MINUTES * 60_000,
    },
  };
}

import { z } from 'zod';
import { MAX_PREFIX_LENGTH } from '../contracts/workflow-ids';
import { originProblem } from './secret-strength';

// The general variables, each declared once with its documentation; the systems and sources add their own
// (derived.ts). The catalog and .env.example are generated from the same table, so docs and validation cannot drift.

/** Which process reads the config: each role requires only what it uses. */
export type Role = 'api' | 'worker' | 'all';
export type Reader = 'api' | 'worker';

/** One environment variable as the catalog and .env.example document it. */
export interface VariableDoc {
  name: string;
  group: string;
  roles: Reader[];
  description: string;
  /** The default when unset (outside production for secrets and URLs, which have development values there). */
  default?: string;
  /** What an unset value means in development, when it differs from `default` (sandbox URLs, derived secrets). */
  development?: string;
  secret: boolean;
  requiredInProduction: boolean;
  /** Earlier names, still read with a deprecation warning. */
  deprecatedNames: string[];
  /**
   * Shown commented out in .env.example even though it has a default: copying the example into a deployment must
   * never set it (NODE_ENV=development there would accept the public development secrets).
   */
  neverSetByExample?: true;
}

const port = z.coerce.number().int().min(0).max(65535);
export const positiveInt = z.coerce.number().int().positive();
const nonNegativeInt = z.coerce.number().int().min(0);
export const url = z.url();
export const BOTH: Reader[] = ['api', 'worker'];

interface GeneralDoc {
  group: string;
  roles: Reader[];
  description: string;
  secret?: boolean;
  neverSetByExample?: true;
}

/** A calendar date, YYYY-MM-DD (UTC). */
const isoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date, YYYY-MM-DD')
  .refine((v) => {
    const at = new Date(`${v}T00:00:00Z`);
    return !Number.isNaN(at.getTime()) && at.toISOString().startsWith(v);
  }, 'is not a calendar date');

/** CREDENTIAL_DATES once parsed: when each credential variable was issued and when its provider says it expires. */
export const credentialDatesSchema = z.record(
  z.string(),
  z
    .object({ issued: isoDate.optional(), expires: isoDate.optional() })
    .strict()
    .refine((d) => !d.issued || !d.expires || d.issued <= d.expires, 'is issued after it expires'),
);
export type CredentialDates = z.output<typeof credentialDatesSchema>;

// JSON in a variable: a parse error names neither the value nor a piece of it.
const credentialDates = z
  .string()
  .transform((raw, ctx) => {
    try {
      return JSON.parse(raw) as unknown;
    } catch {
      ctx.addIssue({
        code: 'custom',
        message: 'must be JSON: {"<VARIABLE>": {"issued": "YYYY-MM-DD", "expires": "YYYY-MM-DD"}}',
      });
      return z.NEVER;
    }
  })
  .pipe(credentialDatesSchema);

const general = {
  NODE_ENV: [
    z.enum(['development', 'test', 'production']).default('development'),
    {
      group: 'Runtime',
      roles: BOTH,
      description:
        'production requires every secret and URL and refuses weak, shared and development values ' +
        '(docs/configuration-secrets.md); the deployable entry points accept development secrets only with ' +
        'NODE_ENV=development set explicitly (.env.example leaves it commented out, so a copy never sets it)',
      neverSetByExample: true,
    },
  ],
  LOG_LEVEL: [
    z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    { group: 'Runtime', roles: BOTH, description: 'pino log level' },
  ],
  LOG_FORMAT: [
    z.enum(['auto', 'json', 'pretty']).default('auto'),
    {
      group: 'Runtime',
      roles: BOTH,
      description:
        '`json`: one event per line; `pretty`: human-readable lines; `auto`: pretty in a terminal outside ' +
        'production, JSON otherwise (always JSON in production)',
    },
  ],
  PORT: [port.default(3000), { group: 'Ingress', roles: ['api'], description: 'port of the webhook ingress' }],
  HOST: [z.string().default('0.0.0.0'), { group: 'Ingress', roles: ['api'], description: 'address it binds' }],
  WEBHOOK_MAX_BODY_BYTES: [
    positiveInt.default(256 * 1024),
    { group: 'Ingress', roles: ['api'], description: 'larger webhook bodies are answered 413 before being read' },
  ],
  WEBHOOK_MAX_IN_FLIGHT: [
    positiveInt.default(64),
    {
      group: 'Ingress',
      roles: ['api'],
      description:
        'deliveries one API process works on at once; more are answered 503 with Retry-After: 1 at once, before ' +
        'their body is read, instead of queueing past the senders’ timeouts',
    },
  ],
  API_ENABLED: [
    z.enum(['true', 'false']).default('true'),
    {
      group: 'Request/response API',
      roles: ['api'],
      description: 'serves /api/v1 on the ingress; in production it then requires API_CLIENTS',
    },
  ],
  API_SYNC_WAIT_MS: [
    positiveInt.default(5000),
    {
      group: 'Request/response API',
      roles: ['api'],
      description:
        'a command not done within this (a gRPC deadline) answers 202 with Location: /api/v1/operations/{id}',
    },
  ],
  API_READ_TIMEOUT_MS: [
    positiveInt.default(2000),
    {
      group: 'Request/response API',
      roles: ['api'],
      description: 'timeout of each owner’s answer to a contact read; a late owner’s fields come back unavailable',
    },
  ],
  API_MAX_BODY_BYTES: [
    positiveInt.default(64 * 1024),
    { group: 'Request/response API', roles: ['api'], description: 'larger command bodies are answered 413' },
  ],
  SANDBOX_PORT: [
    port.default(4000),
    { group: 'Ingress', roles: BOTH, description: '`npm start` only: port of the sandbox stand-ins' },
  ],
  TEMPORAL_ADDRESS: [
    z.string().optional(),
    {
      group: 'Temporal',
      roles: BOTH,
      description: 'host:port of the Temporal frontend; unset, `npm start` runs an embedded dev server',
    },
  ],
  TEMPORAL_NAMESPACE: [
    z.string().default('default'),
    { group: 'Temporal', roles: BOTH, description: 'the namespace of every workflow, schedule and search attribute' },
  ],
  TEMPORAL_UI_URL: [
    url.default('http://localhost:8233'),
    { group: 'Temporal', roles: BOTH, description: 'base URL of the Web UI, for links in alerts and ops output' },
  ],
  // Below the shortest common sender timeout (Shopify's 5 s) and above what the embedded server's starts took under a
  // saturating backlog (p99 3.1 s in the benchmark's P2): a 503 sooner only makes the sender deliver the event again
  // while its first start may still land, which adds load exactly when Temporal is slow.
  TEMPORAL_START_TIMEOUT_MS: [
    positiveInt.default(4000),
    {
      group: 'Temporal',
      roles: ['api'],
      description: 'a workflow start slower than this answers the sender 503 + Retry-After (nothing is lost)',
    },
  ],
  TEMPORAL_DEV_PORT: [port.default(7233), { group: 'Temporal', roles: BOTH, description: 'embedded dev server port' }],
  TEMPORAL_DEV_UI_PORT: [
    port.default(8233),
    { group: 'Temporal', roles: BOTH, description: 'embedded dev server Web UI port' },
  ],
  TEMPORAL_DEV_DB_FILE: [
    z.string().default('.data/temporal.db'),
    { group: 'Temporal', roles: BOTH, description: 'SQLite file of the embedded dev server' },
  ],
  TEMPORAL_DEV_DB_SYNC: [
    z.enum(['normal', 'off', 'full']).default('normal'),
    {
      group: 'Temporal',
      roles: BOTH,
      description:
        "the embedded dev server's SQLite synchronous pragma (WAL): off is faster, but an OS crash may corrupt the file",
    },
  ],
  TASK_QUEUE_PREFIX: [
    z
      .string()
      .regex(/^[a-z0-9-]*$/, 'lowercase letters, digits and dashes only')
      .max(MAX_PREFIX_LENGTH, `at most ${MAX_PREFIX_LENGTH} characters, so every id it starts fits Temporal's id limit`)
      .default(''),
    {
      group: 'Temporal',
      roles: BOTH,
      description:
        'prefix of every task queue, workflow id and schedule id, so deployments can share a namespace ' +
        '(docs/workflow-ids.md)',
    },
  ],
  DOWNSTREAM_TIMEOUT_MS: [
    positiveInt.default(10_000),
    { group: 'Downstream systems', roles: ['worker'], description: 'timeout of one HTTP call to a third party' },
  ],
  RATE_LIMIT_HEADROOM_PERCENT: [
    z.coerce.number().min(0).max(100).default(0),
    {
      group: 'Downstream systems',
      roles: BOTH,
      description:
        'each process sends at most its share of a limit / (1 + this %) per second, counting each call until ' +
        '1 s × (1 + this %) after its answer; 0 is exact for a provider counting arrivals per second',
    },
  ],
  API_REPLICAS: [
    z.coerce.number().int().min(0).default(1),
    {
      group: 'Downstream systems',
      roles: BOTH,
      description:
        'the most API processes serving /api/v1 at once: each reads a contact owner at its <SYSTEM>_API_READ_RATE_PER_SECOND, ' +
        'and the workers get the rest of the limit (0: no API reads, the workers get all of it)',
    },
  ],
  WORKER_REPLICAS: [
    z.coerce.number().int().min(1).default(1),
    {
      group: 'Downstream systems',
      roles: ['worker'],
      description:
        "the most worker processes serving a system at once (an autoscaler's maximum): each keeps to its share of a " +
        "provider's limit on calls in flight (Xero's 5 per organisation)",
    },
  ],
  RETRYING_ALERT_AFTER_ATTEMPTS: [
    positiveInt.default(5),
    {
      group: 'Alerts',
      roles: ['worker'],
      description: 'an activity still failing at this attempt raises one "retrying" alert',
    },
  ],
  ADMIN_PORT: [
    port.default(3001),
    {
      group: 'Operating',
      roles: ['api'],
      description: 'port of the operator listener: /admin, /metrics and the probes (never on the public PORT)',
    },
  ],
  ADMIN_HOST: [
    z.string().default('127.0.0.1'),
    {
      group: 'Operating',
      roles: ['api'],
      description: 'address the operator listener binds: loopback unless a scraper or operator must reach it',
    },
  ],
  WORKER_BUILD_ID: [
    z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,64}$/, '1–64 letters, digits, dots, dashes or underscores (e.g. a git commit)')
      .optional(),
    {
      group: 'Deploying',
      roles: ['worker'],
      description:
        'turns on Worker Versioning: this worker is version <WORKER_DEPLOYMENT_NAME>:<id> and gets new executions ' +
        'only once `npm run deploy -- set-current <id>` (or ramp) says so; unset, workers are unversioned',
    },
  ],
  WORKER_DEPLOYMENT_NAME: [
    z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,64}$/, '1–64 letters, digits, dots, dashes or underscores')
      .default('switchyard'),
    { group: 'Deploying', roles: BOTH, description: 'the Worker Deployment every versioned worker belongs to' },
  ],
  SHUTDOWN_DRAIN_DELAY_MS: [
    nonNegativeInt.default(0),
    {
      group: 'Operating',
      roles: ['api'],
      description:
        'on SIGTERM, /readyz answers 503 at once and the ingress keeps serving this long before it stops accepting ' +
        'connections: set it to how long your load balancer takes to stop sending (e.g. 5000)',
    },
  ],
  SHUTDOWN_TIMEOUT_MS: [
    positiveInt.default(8000),
    {
      group: 'Operating',
      roles: BOTH,
      description:
        'on SIGTERM, the API finishes in-flight requests and a worker its running activities within this (the ' +
        "worker's shutdownGraceTime, then long calls are cancelled); keep it under the orchestrator's kill timeout",
    },
  ],
  WORKFLOW_BUNDLE_PATH: [
    z.string().optional(),
    {
      group: 'Deploying',
      roles: ['worker'],
      description:
        'a workflow bundle built ahead (bundleWorkflowCode, as src/worker/workers.ts does), so a worker starts ' +
        'without bundling; unset, each worker bundles at start (seconds of CPU)',
    },
  ],
  WORKER_MAX_CACHED_WORKFLOWS: [
    positiveInt.default(100),
    {
      group: 'Deploying',
      roles: ['worker'],
      description:
        'workflows a worker keeps in memory between tasks (about 0.3 MB each); one evicted from the cache replays ' +
        'its history at its next task, so this bounds memory, not what runs',
    },
  ],
  WORKER_METRICS_HOST: [
    z.string().default('127.0.0.1'),
    { group: 'Monitoring', roles: ['worker'], description: 'address the worker metrics listener binds' },
  ],
  WORKER_METRICS_PORT: [
    port.optional(),
    { group: 'Monitoring', roles: ['worker'], description: 'serves the worker’s Prometheus metrics when set' },
  ],
  OTEL_EXPORTER_OTLP_ENDPOINT: [
    url.optional(),
    {
      group: 'Monitoring',
      roles: ['api', 'worker'],
      description:
        'OpenTelemetry collector base URL; set, traces go to <url>/v1/traces over OTLP/HTTP (other OTEL_* variables apply)',
    },
  ],
  OTEL_SERVICE_NAME: [
    z.string().optional(),
    {
      group: 'Monitoring',
      roles: ['api', 'worker'],
      description: 'service.name of the spans (default switchyard-api, switchyard-worker)',
    },
  ],
  ADMIN_TOKEN: [
    z.string().min(16, 'use at least 16 characters').optional(),
    {
      group: 'Operating',
      roles: ['api'],
      secret: true,
      description: 'bearer token of the /admin operator API (16+ characters); unset, /admin answers 404',
    },
  ],
  ADMIN_TOKEN_NAME: [
    z.string().default('admin'),
    { group: 'Operating', roles: ['api'], description: 'the name admin calls are audited under' },
  ],
  PAYLOAD_ENCRYPTION: [
    z.enum(['on', 'off']).default('on'),
    {
      group: 'Data protection',
      roles: BOTH,
      description:
        'off sends payloads to Temporal unencrypted (PAYLOAD_KEYS is then not required; every start warns); ' +
        'for benchmarks and emergencies only',
    },
  ],
  CODEC_TOKEN: [
    z.string().min(16, 'use at least 16 characters').optional(),
    {
      group: 'Data protection',
      roles: ['api'],
      secret: true,
      description:
        'bearer token of the codec server (/codec on the operator listener, for the Web UI); unset, it answers 404, ' +
        'except with the development PAYLOAD_KEYS, where a development token is derived',
    },
  ],
  CODEC_TOKEN_NAME: [
    z.string().default('codec'),
    {
      group: 'Data protection',
      roles: ['api'],
      description: 'the name codec-server encodes and decodes are audited under',
    },
  ],
  CODEC_CORS_ORIGIN: [
    z
      .string()
      .refine((v) => originProblem(v) === undefined, 'must be an origin, http(s)://host[:port], with no path or user')
      .optional(),
    {
      group: 'Data protection',
      roles: ['api'],
      description: "the one browser origin allowed to call the codec server (default: TEMPORAL_UI_URL's origin)",
    },
  ],
  SCHEDULES_APPLY_ON_START: [
    z.enum(['true', 'false']).default('true'),
    { group: 'Schedules', roles: ['worker'], description: 'the worker applies the declared schedules at start' },
  ],
  SCHEDULES_TIME_ZONE: [
    z.string().default('Europe/Warsaw'),
    { group: 'Schedules', roles: ['worker'], description: 'time zone of every schedule' },
  ],
  CONTACT_SYNC_CRON: [
    z.string().default('0 2 * * *'),
    { group: 'Schedules', roles: ['worker'], description: 'when the contact sync runs' },
  ],
  WATCHDOG_PAUSED_ALERT_AFTER_MINUTES: [
    positiveInt.default(24 * 60),
    { group: 'Schedules', roles: ['worker'], description: 'a schedule paused longer than this raises an alert' },
  ],
  CREDENTIAL_DATES: [
    credentialDates.optional(),
    {
      group: 'Credentials',
      roles: BOTH,
      description:
        'when each credential was issued and when its provider says it expires, as JSON by variable name: ' +
        '{"SHOP_WEBHOOK_SECRET": {"issued": "2026-01-31", "expires": "2027-01-31"}}; a name that is not a secret ' +
        'variable, or a bad date, stops startup. Shown by `npm run ops -- credentials` and alerted by the daily ' +
        'credential check (docs/credentials/)',
    },
  ],
  CREDENTIAL_EXPIRY_WARNING_DAYS: [
    positiveInt.default(14),
    {
      group: 'Credentials',
      roles: BOTH,
      description: 'a credential that expires within this many days is `expiring`, and alerted once',
    },
  ],
  CREDENTIAL_STORE: [
    z.string().max(200).optional(),
    {
      group: 'Credentials',
      roles: BOTH,
      description:
        'where this deployment keeps its secret values (e.g. "Vault kv/switchyard/prod"), shown as each ' +
        "credential's storage; unset: the process environment, as the deployment sets it",
    },
  ],
} as const satisfies Record<string, readonly [z.ZodType, GeneralDoc]>;

// Read by @temporalio/envconfig when connecting (src/temporal/connection.ts), not by the schema above. Documented
// here so the catalog and .env.example list them. Note that envconfig takes a set-but-empty value as set: an empty
// TEMPORAL_API_KEY turns TLS on.
const temporalConnection: Array<{ name: string; description: string; secret?: boolean }> = [
  {
    name: 'TEMPORAL_API_KEY',
    secret: true,
    description: 'API key of Temporal Cloud or of a cluster that requires one; setting it turns TLS on',
  },
  { name: 'TEMPORAL_TLS', description: 'true or false: TLS on or off, whatever else is set' },
  { name: 'TEMPORAL_TLS_CLIENT_CERT_PATH', description: 'client certificate (PEM) for mTLS' },
  { name: 'TEMPORAL_TLS_CLIENT_CERT_DATA', description: 'client certificate (PEM) for mTLS, inline instead of a file' },
  { name: 'TEMPORAL_TLS_CLIENT_KEY_PATH', description: 'private key (PEM) of the client certificate' },
  {
    name: 'TEMPORAL_TLS_CLIENT_KEY_DATA',
    secret: true,
    description: 'private key (PEM) of the client certificate, inline instead of a file',
  },
  { name: 'TEMPORAL_TLS_SERVER_CA_CERT_PATH', description: "CA certificate (PEM) to verify the server's certificate" },
  { name: 'TEMPORAL_TLS_SERVER_CA_CERT_DATA', description: 'CA certificate (PEM), inline instead of a file' },
  { name: 'TEMPORAL_TLS_SERVER_NAME', description: "server name to verify, when it differs from the address's host" },
  {
    name: 'TEMPORAL_TLS_DISABLE_HOST_VERIFICATION',
    description: "true skips verifying the server's host name (testing only)",
  },
  {
    name: 'TEMPORAL_PROFILE',
    description:
      'profile of the envconfig TOML file to read the connection from (TEMPORAL_GRPC_META_<header> adds gRPC headers)',
  },
  {
    name: 'TEMPORAL_CONFIG_FILE',
    description: 'path of the envconfig TOML file (default: temporalio/temporal.toml in the user config directory)',
  },
];

type General = typeof general;
export const generalSchema = z.object(
  Object.fromEntries(Object.entries(general).map(([k, [schema]]) => [k, schema])) as {
    [K in keyof General]: General[K][0];
  },
);

/** The general and Temporal connection variables, documented, in catalog order. */
export function generalVariableDocs(): VariableDoc[] {
  const docs: VariableDoc[] = Object.entries(general).map(([name, [schema, doc]]) => {
    const parsed = schema.safeParse(undefined);
    const d = doc as GeneralDoc;
    return {
      name,
      group: d.group,
      roles: [...d.roles],
      description: d.description,
      default: parsed.success && parsed.data !== undefined ? String(parsed.data) : undefined,
      secret: d.secret ?? false,
      requiredInProduction: false,
      deprecatedNames: [],
      ...(d.neverSetByExample ? { neverSetByExample: true as const } : {}),
    };
  });
  const connection: VariableDoc[] = temporalConnection.map((v) => ({
    name: v.name,
    group: 'Temporal connection (@temporalio/envconfig)',
    roles: [...BOTH],
    description: v.description,
    secret: v.secret ?? false,
    requiredInProduction: false,
    deprecatedNames: [],
  }));
  // Listed right after the other Temporal variables.
  const after = docs.map((d) => d.group).lastIndexOf('Temporal') + 1;
  return [...docs.slice(0, after), ...connection, ...docs.slice(after)];
}

/**
 * One general variable, validated as loadConfig validates it, for the operator commands that need a single setting
 * (`npm run deploy` reads WORKER_DEPLOYMENT_NAME) and must not demand the services' secrets.
 */
export function readVariable<K extends keyof typeof general>(
  name: K,
  env: NodeJS.ProcessEnv = process.env,
): z.output<(typeof general)[K][0]> {
  const raw = env[name]?.trim() ? env[name]!.trim() : undefined;
  const parsed = general[name][0].safeParse(raw);
  if (!parsed.success) throw new Error(`${name}: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  return parsed.data as z.output<(typeof general)[K][0]>;
}

import { SOURCES, SYSTEMS, type SystemName } from '../registry';
import { envPrefix } from '../kit/declare';
import { parseApiClients } from './api-clients';
import {
  connectorVariable,
  type Declared,
  derivedVariables,
  READ_BY_API,
  readRateVariable,
  selectedConnector,
  type Sources,
  type Systems,
} from './derived';
import { developmentToken } from './development';
import type { CredentialSettings } from '../kit/credentials';
import { credentialDatesProblems, credentialPresence, declaredCredentials, DEFAULT_STORE } from './credentials';
import { parsePayloadKeys } from './payload-keys';
import { productionSecretProblems } from './production';
import { generalSchema, type Role, type VariableDoc } from './variables';

// The environment, turned once into a typed, validated object. The general variables are declared in variables.ts
// with their documentation; each declared system and source adds its own (derived.ts: URL, key, rate limit, webhook
// secret). The catalog and .env.example are generated from the same list (variableDocs), so docs and validation
// cannot drift apart.

export { readVariable, type Role, type VariableDoc } from './variables';
export { type Declared, requiredInProduction, variableDocs } from './derived';
export { developmentApiKey } from './development';

export type SourceName = (typeof SOURCES)[number]['name'];
export type { SystemName };

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

// A role that does not use a variable gets this in production, so a mistaken use fails loudly instead of silently.
const UNUSED_BY_ROLE = 'unused-by-this-role';

export interface LoadOptions {
  /**
   * Set by the deployable entry points (the API and worker processes): development secrets are then refused unless
   * NODE_ENV=development is set explicitly, because they are public and anyone could sign with them.
   */
  deployable?: boolean;
  /** The downstream systems to configure (default: every declared one). Tests add a fixture system here. */
  systems?: Systems;
  /** The webhook sources to configure (default: every declared one). Tests add a fixture source here. */
  sources?: Sources;
}

export type Config = ReturnType<typeof loadConfig>;

/** The selected connector's name and its variables' values, by suffix. */
function connectorSettings(system: Systems[number], env: NodeJS.ProcessEnv, values: Record<string, string>) {
  const name = selectedConnector(system, env);
  const connector = system.connectors?.find((c) => c.name === name);
  const settings = Object.fromEntries(
    (connector?.variables ?? []).map((v) => [v.suffix, values[connectorVariable(system.name, name, v.suffix)]]),
  );
  return { name, settings };
}

/**
 * Turns the environment into a typed, validated config. Throws ConfigError naming every bad or missing variable,
 * never a secret's value.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, role: Role = 'all', options: LoadOptions = {}) {
  const production = env.NODE_ENV === 'production';
  const problems: string[] = [];
  const defaulted: string[] = [];
  const deprecations: string[] = [];
  const sandboxPort = Number(env.SANDBOX_PORT ?? 4000);
  const values: Record<string, string> = {};
  // The derived variables whose value passed its format check: only those are checked for strength.
  const valid = new Set<string>();
  const readers = (doc: VariableDoc) => role === 'all' || doc.roles.includes(role);

  const declared: Declared = { systems: options.systems ?? SYSTEMS, sources: options.sources ?? SOURCES };
  const systemDeclarations = declared.systems;
  for (const variable of derivedVariables(declared)) {
    const { doc } = variable;
    if (variable.notNeeded?.(env)) continue;
    let value = env[doc.name]?.trim() ? env[doc.name]!.trim() : undefined;
    for (const old of doc.deprecatedNames) {
      if (value === undefined && env[old]?.trim()) {
        value = env[old]!.trim();
        deprecations.push(`${old} is deprecated: rename it ${doc.name}`);
      }
    }
    if (value === undefined && variable.requiredBy) {
      if (readers(doc))
        problems.push(`${doc.name} is required with ${variable.requiredBy}${doc.secret ? ' (a secret)' : ''}`);
      continue;
    }
    if (value === undefined && variable.developmentFirst && !production) {
      value = variable.development(sandboxPort);
      if (doc.secret && readers(doc)) defaulted.push(doc.name);
    }
    if (value === undefined) {
      if (doc.default !== undefined) value = doc.default;
      else if (production) {
        if (variable.optionalWhen?.(env, role)) continue;
        if (readers(doc)) problems.push(`${doc.name} is required in production${doc.secret ? ' (a secret)' : ''}`);
        value = doc.name.endsWith('_URL') ? `http://${UNUSED_BY_ROLE}.invalid` : UNUSED_BY_ROLE;
        values[doc.name] = value;
        continue;
      } else {
        value = variable.development(sandboxPort);
        if (doc.secret && readers(doc)) defaulted.push(doc.name);
      }
    }
    const found = variable.check(value);
    for (const problem of found) problems.push(`${doc.name} ${problem}`);
    if (found.length === 0) valid.add(doc.name);
    values[doc.name] = value;
  }

  if (production) {
    problems.push(...productionSecretProblems(env, values, valid, declared, sandboxPort));
  }

  if (options.deployable && defaulted.length && env.NODE_ENV !== 'development') {
    problems.push(
      `${defaulted.join(', ')} ${defaulted.length > 1 ? 'are' : 'is'} unset. Set ${defaulted.length > 1 ? 'them' : 'it'}, ` +
        'or set NODE_ENV=development explicitly to run with the public development secrets (never in production)',
    );
  }

  // An empty value means unset (compose passes `VAR=""` for an unset `${VAR}`): ADMIN_TOKEN="" disables /admin.
  const set = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v.trim() !== ''));
  const parsed = generalSchema.safeParse(set);
  if (!parsed.success) {
    for (const i of parsed.error.issues) problems.push(`${i.path.join('.') || '(root)'}: ${i.message}`);
  }
  if (problems.length || !parsed.success) throw new ConfigError(problems);
  const c = parsed.data;

  // One budget per system (docs/rate-limits.md): each API replica reads a system at its read rate, and the workers,
  // all replicas together, get what is left of the provider's limit.
  if (c.API_REPLICAS === 0 && role !== 'worker' && c.API_ENABLED === 'true') {
    problems.push(
      'API_REPLICAS=0 leaves the contact reads of /api/v1 no budget: count this process, or set API_ENABLED=false',
    );
  }
  const systems = Object.fromEntries(
    systemDeclarations.map((s) => {
      const p = envPrefix(s.name);
      const ratePerSecond = Number(values[`${p}_RATE_LIMIT_PER_SECOND`]);
      const readRatePerSecond = READ_BY_API.has(s.name) ? Number(values[readRateVariable(s.name)]) : 0;
      const workerRatePerSecond = ratePerSecond - c.API_REPLICAS * readRatePerSecond;
      const connector = connectorSettings(s, env, values);
      const declaredConnector = s.connectors?.find((k) => k.name === connector.name);
      for (const problem of declaredConnector?.checkSettings?.(connector.settings) ?? []) {
        problems.push(`${p}_CONNECTOR=${connector.name}: ${problem}`);
      }
      // Each worker takes a whole share of a provider's calls in flight: more replicas than calls overrun it.
      for (const w of declaredConnector?.limits?.windows ?? []) {
        if (w.spanMs === undefined && c.WORKER_REPLICAS > w.limit) {
          problems.push(
            `WORKER_REPLICAS=${c.WORKER_REPLICAS} is more than ${w.description} (${p}_CONNECTOR=${connector.name}): ` +
              'each worker needs at least one; run fewer workers for this system',
          );
        }
      }
      if (workerRatePerSecond < 1) {
        problems.push(
          `${p}_RATE_LIMIT_PER_SECOND=${ratePerSecond} leaves the workers nothing: API_REPLICAS=${c.API_REPLICAS} × ` +
            `${readRateVariable(s.name)}=${readRatePerSecond} takes it all for reads; raise the limit or lower the reads`,
        );
      }
      return [
        s.name,
        {
          url: values[`${p}_${s.auth === 'bearer' ? 'API' : 'WEBHOOK'}_URL`]!,
          apiKey: s.auth === 'bearer' ? values[`${p}_API_KEY`] : undefined,
          secretUrl: s.auth === 'secret-url',
          /** What the provider allows Switchyard: every worker and API replica together. */
          ratePerSecond,
          /** The share of each API replica's contact reads (0 for a system the API does not read). */
          readRatePerSecond,
          /** The share of the workers, all replicas together: the task queue's server-side limit. */
          workerRatePerSecond,
          /** The connector <PREFIX>_CONNECTOR selects (`api`: the HTTP API above) and its variables by suffix. */
          connector,
        },
      ];
    }),
  ) as Record<
    SystemName,
    {
      url: string;
      apiKey?: string;
      secretUrl: boolean;
      ratePerSecond: number;
      readRatePerSecond: number;
      workerRatePerSecond: number;
      connector: { name: string; settings: Record<string, string | undefined> };
    }
  >;
  // The credential registry, checked here so a person named as an owner or a date for no credential stops startup.
  let credentialList: CredentialSettings['declared'] = [];
  try {
    credentialList = declaredCredentials(declared, c.CREDENTIAL_STORE ?? DEFAULT_STORE);
  } catch (err) {
    problems.push((err as Error).message);
  }
  problems.push(...credentialDatesProblems(c.CREDENTIAL_DATES ?? {}, credentialList));
  if (problems.length) throw new ConfigError(problems);

  const sources = Object.fromEntries(
    declared.sources.map((s) => [
      s.name,
      {
        secrets: values[`${envPrefix(s.name)}_WEBHOOK_SECRET`]!.split(/\s+/).filter(Boolean),
        toleranceSeconds: s.signature.toleranceSeconds,
      },
    ]),
  ) as Record<SourceName, { secrets: string[]; toleranceSeconds?: number }>;

  const payloadKeys = values.PAYLOAD_KEYS === undefined ? [] : parsePayloadKeys(values.PAYLOAD_KEYS).keys;
  if (c.PAYLOAD_ENCRYPTION === 'on' && payloadKeys.length === 0) {
    throw new ConfigError(['PAYLOAD_KEYS is unset while PAYLOAD_ENCRYPTION=on']);
  }
  const developmentKeys = defaulted.includes('PAYLOAD_KEYS');
  // The public development codec token only ever decrypts what the public development key encrypted.
  const codecToken = c.CODEC_TOKEN ?? (developmentKeys ? developmentToken('CODEC_TOKEN') : undefined);
  const credentials: CredentialSettings = {
    role,
    declared: credentialList,
    presence: credentialPresence(declared, env, values, {
      role,
      sandboxPort,
      codecDevelopment: c.CODEC_TOKEN === undefined && developmentKeys,
    }),
    dates: c.CREDENTIAL_DATES ?? {},
    warningDays: c.CREDENTIAL_EXPIRY_WARNING_DAYS,
  };

  return {
    env: c.NODE_ENV,
    production,
    logLevel: c.LOG_LEVEL,
    /** `auto` is pretty only when the process writes to a terminal; production never chooses pretty by itself. */
    logFormat: production && c.LOG_FORMAT === 'auto' ? ('json' as const) : c.LOG_FORMAT,
    /** Secrets running on their public development values: the entry points warn about each. */
    defaultedSecrets: defaulted,
    /** Deprecated variable names in use: the entry points warn about each. */
    deprecations,
    http: { host: c.HOST, port: c.PORT, maxBodyBytes: c.WEBHOOK_MAX_BODY_BYTES, maxInFlight: c.WEBHOOK_MAX_IN_FLIGHT },
    sandbox: { port: c.SANDBOX_PORT },
    temporal: {
      address: c.TEMPORAL_ADDRESS,
      namespace: c.TEMPORAL_NAMESPACE,
      uiUrl: c.TEMPORAL_UI_URL.replace(/\/$/, ''),
      startTimeoutMs: c.TEMPORAL_START_TIMEOUT_MS,
      taskQueuePrefix: c.TASK_QUEUE_PREFIX,
      dev: {
        port: c.TEMPORAL_DEV_PORT,
        uiPort: c.TEMPORAL_DEV_UI_PORT,
        dbFile: c.TEMPORAL_DEV_DB_FILE,
        dbSync: c.TEMPORAL_DEV_DB_SYNC,
      },
    },
    sources,
    systems,
    downstream: {
      timeoutMs: c.DOWNSTREAM_TIMEOUT_MS,
      headroomPercent: c.RATE_LIMIT_HEADROOM_PERCENT,
      workerReplicas: c.WORKER_REPLICAS,
    },
    alerts: { retryingAfterAttempts: c.RETRYING_ALERT_AFTER_ATTEMPTS },
    /** The request/response API (/api/v1); undefined when API_ENABLED=false. */
    api:
      c.API_ENABLED === 'true' && values.API_CLIENTS !== undefined && values.API_CLIENTS !== UNUSED_BY_ROLE
        ? {
            clients: parseApiClients(values.API_CLIENTS!),
            syncWaitMs: c.API_SYNC_WAIT_MS,
            readTimeoutMs: c.API_READ_TIMEOUT_MS,
            maxBodyBytes: c.API_MAX_BODY_BYTES,
          }
        : undefined,
    worker: {
      metricsPort: c.WORKER_METRICS_PORT,
      metricsHost: c.WORKER_METRICS_HOST,
      deploymentName: c.WORKER_DEPLOYMENT_NAME,
      /** Set: Worker Versioning is on and this is the worker's build id. */
      buildId: c.WORKER_BUILD_ID,
      workflowBundlePath: c.WORKFLOW_BUNDLE_PATH,
      maxCachedWorkflows: c.WORKER_MAX_CACHED_WORKFLOWS,
    },
    shutdown: { drainDelayMs: c.SHUTDOWN_DRAIN_DELAY_MS, timeoutMs: c.SHUTDOWN_TIMEOUT_MS },
    tracing: { endpoint: c.OTEL_EXPORTER_OTLP_ENDPOINT, serviceName: c.OTEL_SERVICE_NAME },
    operator: { host: c.ADMIN_HOST, port: c.ADMIN_PORT },
    admin: c.ADMIN_TOKEN ? { token: c.ADMIN_TOKEN, tokenName: c.ADMIN_TOKEN_NAME } : undefined,
    /** The payload codec's keys: none when PAYLOAD_ENCRYPTION=off. */
    payloads: { encryption: c.PAYLOAD_ENCRYPTION === 'on', keys: c.PAYLOAD_ENCRYPTION === 'on' ? payloadKeys : [] },
    /** The codec server on the operator listener; undefined (404) without a token. */
    codec: codecToken
      ? {
          token: codecToken,
          tokenName: c.CODEC_TOKEN_NAME,
          corsOrigin: new URL(c.CODEC_CORS_ORIGIN ?? c.TEMPORAL_UI_URL).origin,
          /** The token is the public development one: the UI of `npm start` may send it in the path. */
          development: c.CODEC_TOKEN === undefined,
        }
      : undefined,
    /** The credential registry and what this process knows of each (never a value): src/kit/credentials.ts. */
    credentials,
    schedules: {
      applyOnStart: c.SCHEDULES_APPLY_ON_START === 'true',
      timeZone: c.SCHEDULES_TIME_ZONE,
      contactSyncCron: c.CONTACT_SYNC_CRON,
      pausedAlertAfterMs: c.WATCHDOG_PAUSED_ALERT_AFTER_MINUTES * 60_000,
    },
  };
}

import type { z } from 'zod';
import { SOURCES } from '../registry';
import { CONTACT_OWNERSHIP } from '../domain/ownership';
import { apiClientsProblems, developmentApiClients, parseApiClients } from './api-clients';
import { SYSTEMS, type SystemName } from '../registry';
import { envPrefix, type SourceDeclaration, type SystemDeclaration } from '../kit/declare';
import { parsePayloadKeys } from './payload-keys';
import { DEVELOPMENT_KEY_ID, developmentDigest, developmentToken } from './development';
import {
  DevelopmentValues,
  keyWeakness,
  secretPart,
  sharedSecretProblems,
  tokenWeakness,
  type SecretPart,
} from './secret-strength';
import {
  BOTH,
  generalSchema,
  generalVariableDocs,
  positiveInt,
  url,
  type Reader,
  type Role,
  type VariableDoc,
} from './variables';

// The environment, turned once into a typed, validated object. The general variables are declared in variables.ts
// with their documentation; each declared system and source adds its own (URL, key, rate limit, webhook secret). The
// catalog and .env.example are generated from the same list (variableDocs), so docs and validation cannot drift apart.

export { readVariable, type Role, type VariableDoc } from './variables';
export { developmentApiKey } from './development';

export type SourceName = (typeof SOURCES)[number]['name'];
export type { SystemName };

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

/** A variable derived from a system or source declaration. */
interface DerivedVariable {
  doc: VariableDoc;
  /** Checks one raw value; returns problems (never echoing a secret). */
  check(value: string): string[];
  /** The development value when unset outside production. */
  development(sandboxPort: number): string;
  /** True when the environment makes this variable unnecessary (it is then neither required nor defaulted). */
  notNeeded?(env: NodeJS.ProcessEnv): boolean;
  /** Not required in production when this holds for the environment (API_CLIENTS with API_ENABLED=false). */
  optionalWhen?(env: NodeJS.ProcessEnv, role: Role): boolean;
}

const apiDisabled = (env: NodeJS.ProcessEnv) => env.API_ENABLED?.trim() === 'false';

/** Systems the API process reads from itself (contact reads), so the API role needs their URL and key too. */
const READ_BY_API: ReadonlySet<string> = new Set(Object.values(CONTACT_OWNERSHIP).map((r) => r.owner));

/** The share of one API replica's reads of `system`, in calls per second (docs/rate-limits.md). */
const readRateVariable = (system: string) => `${envPrefix(system)}_API_READ_RATE_PER_SECOND`;

function zodProblems(schema: z.ZodType, value: string): string[] {
  const parsed = schema.safeParse(value);
  return parsed.success ? [] : parsed.error.issues.map((i) => i.message);
}

type Systems = readonly Pick<
  SystemDeclaration,
  'name' | 'title' | 'auth' | 'defaultRatePerSecond' | 'deprecatedVariables'
>[];

type Sources = readonly SourceDeclaration[];

/** The declarations config derives variables from: the registry's, or a test's throwaway ones added to them. */
export interface Declared {
  systems: Systems;
  sources: Sources;
}
const REGISTERED: Declared = { systems: SYSTEMS, sources: SOURCES };

/** The variables each declared system and source adds, in catalog order. */
function derivedVariables({ systems, sources }: Declared = REGISTERED): DerivedVariable[] {
  const out: DerivedVariable[] = [
    {
      doc: {
        name: 'PAYLOAD_KEYS',
        group: 'Data protection',
        roles: [...BOTH],
        description:
          'AES-256 keys of the payload codec, as id:base64 pairs, comma separated: the first encrypts, all decrypt. ' +
          'Rotate by adding a new key second, then moving it first; remove an old one only after ' +
          '`npm run ops -- keys check` (docs/keys.md)',
        development: 'a development key "dev" derived from the variable name (public: never for real data)',
        secret: true,
        requiredInProduction: true,
        deprecatedNames: [],
      },
      check: (v) => parsePayloadKeys(v).problems,
      development: () => `${DEVELOPMENT_KEY_ID}:${developmentDigest('PAYLOAD_KEYS').toString('base64')}`,
      notNeeded: (env) => env.PAYLOAD_ENCRYPTION?.trim() === 'off',
    },
  ];
  for (const system of systems) {
    const p = envPrefix(system.name);
    const group = `System: ${system.name}`;
    const roles: Reader[] = READ_BY_API.has(system.name) ? ['worker', 'api'] : ['worker'];
    // The API reads these only for /api/v1: an API process with the API disabled starts without them.
    const optionalWhen = (env: NodeJS.ProcessEnv, role: Role) => role === 'api' && apiDisabled(env);
    if (system.auth === 'bearer') {
      out.push({
        doc: {
          name: `${p}_API_URL`,
          group,
          roles,
          description: `base URL of the ${system.title} API`,
          development: `the sandbox stand-in, http://127.0.0.1:<SANDBOX_PORT>/${system.name}`,
          secret: false,
          requiredInProduction: true,
          deprecatedNames: system.deprecatedVariables?.url ? [system.deprecatedVariables.url] : [],
        },
        check: (v) => zodProblems(url, v),
        development: (sandboxPort) => `http://127.0.0.1:${sandboxPort}/${system.name}`,
        optionalWhen,
      });
      out.push({
        doc: {
          name: `${p}_API_KEY`,
          group,
          roles,
          description: `API key for ${system.title}, sent as a bearer token`,
          development: 'a development key derived from the variable name (the sandbox accepts it)',
          secret: true,
          requiredInProduction: true,
          deprecatedNames: system.deprecatedVariables?.key ? [system.deprecatedVariables.key] : [],
        },
        check: (v) => (v.length < 8 ? [`is ${v.length} characters; use at least 8`] : []),
        development: () => developmentToken(`${p}_API_KEY`),
        optionalWhen,
      });
    } else {
      out.push({
        doc: {
          name: `${p}_WEBHOOK_URL`,
          group,
          roles: ['worker'],
          description: `${system.title} webhook URL; it carries its own token, so it is a secret and never logged`,
          development: `the sandbox stand-in, http://127.0.0.1:<SANDBOX_PORT>/${system.name}/<development token>`,
          secret: true,
          requiredInProduction: true,
          deprecatedNames: system.deprecatedVariables?.url ? [system.deprecatedVariables.url] : [],
        },
        check: (v) => zodProblems(url, v).map(() => 'must be a URL'),
        development: (sandboxPort) =>
          `http://127.0.0.1:${sandboxPort}/${system.name}/${developmentToken(`${p}_WEBHOOK_URL`)}`,
      });
    }
    out.push({
      doc: {
        name: `${p}_RATE_LIMIT_PER_SECOND`,
        group,
        roles,
        description: `calls per second ${system.title} allows Switchyard: every worker and API replica together`,
        default: String(system.defaultRatePerSecond),
        secret: false,
        requiredInProduction: false,
        deprecatedNames: [],
      },
      check: (v) => zodProblems(positiveInt, v),
      development: () => String(system.defaultRatePerSecond),
    });
    if (READ_BY_API.has(system.name)) {
      out.push({
        doc: {
          name: readRateVariable(system.name),
          group,
          roles,
          description:
            `calls per second to ${system.title} from the contact reads of each API replica; the workers get ` +
            `${p}_RATE_LIMIT_PER_SECOND − API_REPLICAS × this`,
          default: '1',
          secret: false,
          requiredInProduction: false,
          deprecatedNames: [],
        },
        check: (v) => zodProblems(positiveInt, v),
        development: () => '1',
      });
    }
  }
  for (const source of sources) {
    const name = `${envPrefix(source.name)}_WEBHOOK_SECRET`;
    out.push({
      doc: {
        name,
        group: `Source: ${source.name}`,
        roles: ['api'],
        description:
          `signing secret of ${source.title} webhooks: ${source.secret.format}. ` +
          'Several, space-separated, during a rotation',
        development: 'a development secret derived from the variable name (`npm run send-sample` signs with it)',
        secret: true,
        requiredInProduction: true,
        deprecatedNames: source.deprecatedVariable ? [source.deprecatedVariable] : [],
      },
      check(value) {
        const secrets = value.split(/\s+/).filter(Boolean);
        if (secrets.length === 0) return ['is empty'];
        return secrets.flatMap((s, i) => {
          const problem = source.secret.check(s);
          return problem ? [`${secrets.length > 1 ? `secret ${i + 1} ` : ''}${problem}`] : [];
        });
      },
      development: () => source.secret.development(developmentDigest(name)),
    });
  }
  out.push({
    doc: {
      name: 'API_CLIENTS',
      group: 'Request/response API',
      roles: ['api'],
      description:
        'JSON array of the callers of /api/v1: [{"name","key" (24+ characters, or "sha256:<hex>" of it),"scopes" ' +
        '(orders:write, contacts:write, contacts:read),"system" (crm or email-platform: the contact fields it may ' +
        'write),"ratePerSecond" (default 10, per API replica)}]',
      development: 'one client `dev` with every scope and a key derived from the variable name',
      secret: true,
      requiredInProduction: true,
      deprecatedNames: [],
    },
    check: apiClientsProblems,
    development: () => developmentApiClients(developmentToken('API_CLIENTS')),
    optionalWhen: apiDisabled,
  });
  return out;
}

/** Every variable Switchyard reads, documented: for the catalog, .env.example and the deployment checks. */
export function variableDocs(declared: Declared = REGISTERED): VariableDoc[] {
  return [...generalVariableDocs(), ...derivedVariables(declared).map((v) => v.doc)];
}

/** The variables a role cannot start without in production (used by the deployment checks too). */
export function requiredInProduction(role: Role, declared: Declared = REGISTERED): string[] {
  return derivedVariables(declared)
    .filter((v) => v.doc.requiredInProduction && (role === 'all' || v.doc.roles.includes(role)))
    .map((v) => v.doc.name);
}

/**
 * Every public development value the service derives (what `npm start` uses and prints when a secret is unset), taken
 * from the same declarations that derive them, so the list cannot drift from what is printed.
 */
function developmentSecretValues(declared: Declared = REGISTERED, sandboxPort = 4000): string[] {
  return [
    ...derivedVariables(declared)
      .filter((v) => v.doc.secret)
      .map((v) => v.development(sandboxPort)),
    developmentToken('CODEC_TOKEN'),
  ];
}

const SHA256_KEY = /^sha256:([0-9a-f]{64})$/i;

/**
 * What production refuses beyond each variable's format (docs/configuration-secrets.md): a development value wherever
 * it came from, a guessable token or a degenerate key, one secret shared by two roles, and a codec origin that is not
 * http(s)://host[:port]. Every problem names the variable, never its value.
 */
function productionSecretProblems(
  env: NodeJS.ProcessEnv,
  values: Record<string, string>,
  valid: ReadonlySet<string>,
  declared: Declared,
  sandboxPort: number,
): string[] {
  const problems: string[] = [];
  const parts: SecretPart[] = [];
  const raw = (name: string) => (env[name]?.trim() ? env[name]!.trim() : undefined);
  const token = (name: string, value: string, at?: string) => {
    const part = secretPart(name, value, at);
    parts.push(part);
    const weakness = tokenWeakness(value);
    if (weakness) problems.push(`${at ? `${name} ${at}` : name} ${weakness}`);
  };

  for (const name of ['ADMIN_TOKEN', 'CODEC_TOKEN', 'TEMPORAL_API_KEY']) {
    const value = raw(name);
    // Shorter than 16 is already refused by its format check.
    if (value !== undefined && (name === 'TEMPORAL_API_KEY' || value.length >= 16)) token(name, value);
  }
  for (const variable of derivedVariables(declared)) {
    const { name, secret } = variable.doc;
    const value = values[name];
    if (!secret || value === undefined || !valid.has(name)) continue;
    if (name === 'PAYLOAD_KEYS') {
      parsePayloadKeys(value).keys.forEach(({ key }, i) => {
        const at = `key ${i + 1}`;
        parts.push(secretPart(name, key.toString('base64'), at));
        const weakness = keyWeakness(key);
        if (weakness) problems.push(`${name} ${at} ${weakness}`);
      });
    } else if (name === 'API_CLIENTS') {
      (JSON.parse(value) as Array<{ name: string; key: string }>).forEach((client) => {
        const at = `client "${client.name}"`;
        const hashed = SHA256_KEY.exec(client.key);
        if (hashed) parts.push({ variable: name, at, sha256: hashed[1]!.toLowerCase() });
        else token(name, client.key, at);
      });
    } else if (name.endsWith('_WEBHOOK_SECRET')) {
      const secrets = value.split(/\s+/).filter(Boolean);
      secrets.forEach((s, i) => token(name, s, secrets.length > 1 ? `secret ${i + 1}` : undefined));
    } else if (name.endsWith('_WEBHOOK_URL')) {
      // The provider made this URL and its token: checked for development values and sharing, not for strength.
      parts.push(secretPart(name, value));
    } else {
      token(name, value);
    }
  }

  const development = new DevelopmentValues(developmentSecretValues(declared, sandboxPort));
  const developmentVariables = [
    ...new Set(parts.filter((p) => development.matches(p)).map((p) => (p.at ? `${p.variable} ${p.at}` : p.variable))),
  ];
  for (const name of developmentVariables) {
    problems.push(
      `${name} is a public development value (the service derives it for \`npm start\`, so anyone can sign or ` +
        'call with it): set a value of your own, e.g. `openssl rand -base64 32`',
    );
  }
  problems.push(...sharedSecretProblems(parts));

  const corsOrigin = raw('CODEC_CORS_ORIGIN');
  const uiUrl = raw('TEMPORAL_UI_URL');
  if (
    corsOrigin === undefined &&
    uiUrl !== undefined &&
    URL.canParse(uiUrl) &&
    !/^https?:$/.test(new URL(uiUrl).protocol)
  ) {
    problems.push(
      "TEMPORAL_UI_URL is not http(s), so its origin cannot be the codec server's allowed origin: set CODEC_CORS_ORIGIN",
    );
  }
  return problems;
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
    }
  >;
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
    http: { host: c.HOST, port: c.PORT, maxBodyBytes: c.WEBHOOK_MAX_BODY_BYTES },
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
    downstream: { timeoutMs: c.DOWNSTREAM_TIMEOUT_MS, headroomPercent: c.RATE_LIMIT_HEADROOM_PERCENT },
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
    schedules: {
      applyOnStart: c.SCHEDULES_APPLY_ON_START === 'true',
      timeZone: c.SCHEDULES_TIME_ZONE,
      contactSyncCron: c.CONTACT_SYNC_CRON,
      pausedAlertAfterMs: c.WATCHDOG_PAUSED_ALERT_AFTER_MINUTES * 60_000,
    },
  };
}

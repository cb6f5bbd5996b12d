import type { z } from 'zod';
import { SOURCES, SYSTEMS } from '../registry';
import { CONTACT_OWNERSHIP } from '../domain/ownership';
import { connectorNames, envPrefix, type SourceDeclaration, type SystemDeclaration } from '../kit/declare';
import { apiClientsProblems, developmentApiClients } from './api-clients';
import { DEVELOPMENT_KEY_ID, developmentDigest, developmentToken } from './development';
import { parsePayloadKeys } from './payload-keys';
import { BOTH, generalVariableDocs, positiveInt, url, type Reader, type Role, type VariableDoc } from './variables';

// The variables each declared system and source adds (URL, key, rate limit, webhook secret), with PAYLOAD_KEYS and
// API_CLIENTS, whose checks and development values are code rather than a zod schema.

/** A variable derived from a system or source declaration. */
export interface DerivedVariable {
  doc: VariableDoc;
  /** Checks one raw value; returns problems (never echoing a secret). */
  check(value: string): string[];
  /** The development value when unset outside production. */
  development(sandboxPort: number): string;
  /** True when the environment makes this variable unnecessary (it is then neither required nor defaulted). */
  notNeeded?(env: NodeJS.ProcessEnv): boolean;
  /** Not required in production when this holds for the environment (API_CLIENTS with API_ENABLED=false). */
  optionalWhen?(env: NodeJS.ProcessEnv, role: Role): boolean;
  /**
   * Required in every environment whenever it is needed, with no development value (a selected connector's SMTP
   * relay: there is nothing to default it to). The message says what needs it.
   */
  requiredBy?: string;
  /** Outside production, the development value wins over the default (a connector's URLs: the sandbox's stand-in). */
  developmentFirst?: boolean;
}

export const apiDisabled = (env: NodeJS.ProcessEnv) => env.API_ENABLED?.trim() === 'false';

/** Systems the API process reads from itself (contact reads), so the API role needs their URL and key too. */
export const READ_BY_API: ReadonlySet<string> = new Set(Object.values(CONTACT_OWNERSHIP).map((r) => r.owner));

/** The share of one API replica's reads of `system`, in calls per second (docs/rate-limits.md). */
export const readRateVariable = (system: string) => `${envPrefix(system)}_API_READ_RATE_PER_SECOND`;

function zodProblems(schema: z.ZodType, value: string): string[] {
  const parsed = schema.safeParse(value);
  return parsed.success ? [] : parsed.error.issues.map((i) => i.message);
}

export type Systems = readonly Pick<
  SystemDeclaration,
  'name' | 'title' | 'auth' | 'defaultRatePerSecond' | 'deprecatedVariables' | 'connectors' | 'owner'
>[];

export type Sources = readonly SourceDeclaration[];

/** The declarations config derives variables from: the registry's, or a test's throwaway ones added to them. */
export interface Declared {
  systems: Systems;
  sources: Sources;
}
export const REGISTERED: Declared = { systems: SYSTEMS, sources: SOURCES };

/** The variables each declared system and source adds, in catalog order. */
export function derivedVariables({ systems, sources }: Declared = REGISTERED): DerivedVariable[] {
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
    out.push(...connectorVariables(system, group));
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

/** The connector <PREFIX>_CONNECTOR selects for `system`, from the environment (`api` when unset). */
export function selectedConnector(system: Pick<SystemDeclaration, 'name'>, env: NodeJS.ProcessEnv): string {
  return env[`${envPrefix(system.name)}_CONNECTOR`]?.trim() || 'api';
}

/** A connector's variable: EMAIL_PLATFORM + smtp + URL → EMAIL_PLATFORM_SMTP_URL. */
export const connectorVariable = (system: string, connector: string, suffix: string) =>
  `${envPrefix(system)}_${envPrefix(connector)}_${suffix}`;

/** <PREFIX>_CONNECTOR and each connector's own variables, needed only when it is the one selected. */
function connectorVariables(system: Systems[number], group: string): DerivedVariable[] {
  if (!system.connectors?.length) return [];
  const p = envPrefix(system.name);
  const names = connectorNames(system);
  const out: DerivedVariable[] = [
    {
      doc: {
        name: `${p}_CONNECTOR`,
        group,
        roles: ['worker'],
        description:
          `how the worker reaches ${system.title}: ${names.map((n) => `\`${n}\``).join(', ')}. \`api\` is its HTTP API ` +
          `at ${p}_API_URL; ` +
          system.connectors.map((c) => `\`${c.name}\`: ${c.title}`).join('; '),
        default: 'api',
        secret: false,
        requiredInProduction: false,
        deprecatedNames: [],
      },
      check: (v) => (names.includes(v) ? [] : [`must be one of ${names.join(', ')}`]),
      development: () => 'api',
    },
  ];
  for (const connector of system.connectors) {
    const needed = (env: NodeJS.ProcessEnv) => selectedConnector(system, env) === connector.name;
    for (const v of connector.variables) {
      out.push({
        doc: {
          name: connectorVariable(system.name, connector.name, v.suffix),
          group,
          roles: ['worker'],
          description: `with ${p}_CONNECTOR=${connector.name}: ${v.description}`,
          ...(v.default !== undefined ? { default: v.default } : {}),
          ...(v.development
            ? { development: `the sandbox's stand-in: ${v.development('http://127.0.0.1:<SANDBOX_PORT>')}` }
            : {}),
          secret: v.secret ?? false,
          requiredInProduction: false,
          deprecatedNames: [],
        },
        check: (value) => v.check?.(value) ?? [],
        development: (sandboxPort) => v.development?.(`http://127.0.0.1:${sandboxPort}`) ?? v.default ?? '',
        notNeeded: (env) => !needed(env),
        ...(v.default === undefined && !v.development ? { requiredBy: `${p}_CONNECTOR=${connector.name}` } : {}),
        ...(v.development ? { developmentFirst: true } : {}),
      });
    }
  }
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

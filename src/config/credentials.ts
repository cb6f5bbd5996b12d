import {
  CREDENTIAL_KINDS,
  type CredentialKind,
  DEFAULT_OWNER,
  type DeclaredCredential,
  ownerProblem,
  type Presence,
  ROTATION,
} from '../kit/credentials';
import { envPrefix } from '../kit/declare';
import { connectorVariable, type Declared, type DerivedVariable, derivedVariables } from './derived';
import { developmentDigest, developmentToken } from './development';
import { type CredentialDates, generalVariableDocs, type Reader, type Role } from './variables';

// The credential registry's derivation (src/kit/credentials.ts has its types and states): every `secret: true`
// variable, grouped by the system or source it was derived from, or general. Only the general secrets are listed by
// hand, below, because what they are is in no declaration.

// The general secrets: the only hand-written part, because what they are is not in a declaration. A general secret
// without an entry gets the default owner and kind api-key (test/kit/credentials.test.ts insists on an entry).
export const GENERAL_CREDENTIALS: Record<string, { kind: CredentialKind; owner: string; unset?: string }> = {
  PAYLOAD_KEYS: { kind: 'payload-key', owner: 'platform team' },
  API_CLIENTS: { kind: 'api-clients', owner: DEFAULT_OWNER },
  ADMIN_TOKEN: { kind: 'admin-token', owner: 'operations team', unset: 'unset: /admin answers 404' },
  CODEC_TOKEN: { kind: 'codec-token', owner: 'operations team', unset: 'unset: the codec server answers 404' },
  TEMPORAL_API_KEY: {
    kind: 'temporal-connection',
    owner: 'platform team',
    unset: 'unset: Temporal is reached without an API key',
  },
  TEMPORAL_TLS_CLIENT_KEY_DATA: {
    kind: 'temporal-connection',
    owner: 'platform team',
    unset: 'unset: no inline client key (TEMPORAL_TLS_CLIENT_KEY_PATH may name a file instead)',
  },
};

// A connector's secret is of the kind its connector speaks; any other is a secret URL or a key by its suffix.
const CONNECTOR_KINDS: Record<string, CredentialKind> = { smtp: 'smtp-relay' };

export const DEFAULT_STORE = 'the process environment, as the deployment sets it (CREDENTIAL_STORE says where)';

function kindOf(
  variable: DerivedVariable,
  declared: Declared,
): { kind: CredentialKind; scope: 'system' | 'source' | 'general'; of?: string } {
  const name = variable.doc.name;
  const general = GENERAL_CREDENTIALS[name];
  if (general && !/^(System|Source): /.test(variable.doc.group)) return { kind: general.kind, scope: 'general' };
  for (const source of declared.sources) {
    if (name === `${envPrefix(source.name)}_WEBHOOK_SECRET`)
      return { kind: 'webhook-secret', scope: 'source', of: source.name };
  }
  for (const system of declared.systems) {
    const p = envPrefix(system.name);
    if (name === `${p}_API_KEY`) return { kind: 'api-key', scope: 'system', of: system.name };
    if (name === `${p}_WEBHOOK_URL`) return { kind: 'secret-url', scope: 'system', of: system.name };
    for (const c of system.connectors ?? []) {
      for (const v of c.variables) {
        if (connectorVariable(system.name, c.name, v.suffix) !== name) continue;
        const kind = CONNECTOR_KINDS[c.name] ?? (v.suffix.endsWith('URL') ? 'secret-url' : 'api-key');
        return { kind, scope: 'system', of: system.name };
      }
    }
  }
  return { kind: 'api-key', scope: 'general' };
}

function ownerOf(scope: string, of: string | undefined, name: string, declared: Declared): string {
  if (scope === 'system') return declared.systems.find((s) => s.name === of)?.owner ?? DEFAULT_OWNER;
  if (scope === 'source') return declared.sources.find((s) => s.name === of)?.owner ?? DEFAULT_OWNER;
  return GENERAL_CREDENTIALS[name]?.owner ?? DEFAULT_OWNER;
}

/**
 * Every credential the declarations and the config docs give, in catalog order: the derived secrets (PAYLOAD_KEYS,
 * each system's and source's, API_CLIENTS), then the general ones. Throws when an owner is a person's name.
 */
export function declaredCredentials(declared: Declared, store: string = DEFAULT_STORE): DeclaredCredential[] {
  const out: DeclaredCredential[] = [];
  const add = (c: Omit<DeclaredCredential, 'runbook' | 'rotation' | 'storage'>) =>
    out.push({
      ...c,
      storage: { variable: c.name, store },
      runbook: CREDENTIAL_KINDS[c.kind],
      rotation: ROTATION[c.kind],
    });
  for (const v of derivedVariables(declared)) {
    if (!v.doc.secret) continue;
    const { kind, scope, of } = kindOf(v, declared);
    add({
      name: v.doc.name,
      kind,
      scope,
      ...(of ? { of } : {}),
      owner: ownerOf(scope, of, v.doc.name, declared),
      readBy: [...v.doc.roles],
    });
  }
  for (const doc of generalVariableDocs()) {
    if (!doc.secret) continue;
    const general = GENERAL_CREDENTIALS[doc.name];
    add({
      name: doc.name,
      kind: general?.kind ?? 'api-key',
      scope: 'general',
      owner: ownerOf('general', undefined, doc.name, declared),
      readBy: [...doc.roles],
    });
  }
  const problems = out.flatMap((c) => {
    const problem = ownerProblem(c.owner);
    return problem ? [`the owner of ${c.name} ("${c.owner}") ${problem}`] : [];
  });
  if (problems.length) throw new Error(`credential owners: ${problems.join('; ')}`);
  return out;
}

const UNUSED_BY_ROLE = 'unused-by-this-role';

/** A value is a public development one when it is, or contains, what the service derives from the variable's name. */
function isDevelopment(value: string, name: string, development: string | undefined): boolean {
  const digest = developmentDigest(name);
  const marks = [development, developmentToken(name), digest.toString('base64'), digest.toString('hex')];
  return marks.some((m) => m !== undefined && m.length >= 16 && value.includes(m));
}

/**
 * The presence of every declared credential, from the environment and the values config derived (development values
 * included): computed once by loadConfig, so the state surfaces never need the values themselves.
 */
export function credentialPresence(
  declared: Declared,
  env: NodeJS.ProcessEnv,
  values: Readonly<Record<string, string>>,
  options: { role: Role; sandboxPort: number; codecDevelopment: boolean },
): Record<string, Presence> {
  const out: Record<string, Presence> = {};
  const raw = (name: string) => (env[name]?.trim() ? env[name]!.trim() : undefined);
  const reads = (roles: Reader[]) => options.role === 'all' || roles.includes(options.role);
  for (const v of derivedVariables(declared)) {
    const { name, secret, roles } = v.doc;
    if (!secret) continue;
    if (v.notNeeded?.(env)) {
      out[name] = {
        is: 'unused',
        why: name === 'PAYLOAD_KEYS' ? 'PAYLOAD_ENCRYPTION=off' : `used only with ${v.requiredBy ?? 'another setting'}`,
      };
      continue;
    }
    if (v.optionalWhen?.(env, 'all')) {
      out[name] = { is: 'unused', why: 'API_ENABLED=false' };
      continue;
    }
    const value = values[name];
    if (value === undefined || value === UNUSED_BY_ROLE || value.startsWith(`http://${UNUSED_BY_ROLE}`)) {
      out[name] = { is: 'elsewhere', why: `not read by this ${options.role} process` };
      continue;
    }
    if (isDevelopment(value, name, v.development(options.sandboxPort))) out[name] = { is: 'development' };
    else if (raw(name) === undefined && !reads(roles))
      out[name] = { is: 'elsewhere', why: `not read by this ${options.role} process` };
    else out[name] = { is: 'set' };
  }
  for (const doc of generalVariableDocs()) {
    if (!doc.secret) continue;
    const value = raw(doc.name);
    if (value !== undefined) {
      out[doc.name] = isDevelopment(value, doc.name, undefined) ? { is: 'development' } : { is: 'set' };
    } else if (doc.name === 'CODEC_TOKEN' && options.codecDevelopment) {
      out[doc.name] = { is: 'development' };
    } else if (!reads(doc.roles)) {
      out[doc.name] = { is: 'elsewhere', why: `not read by this ${options.role} process` };
    } else {
      out[doc.name] = { is: 'unused', why: GENERAL_CREDENTIALS[doc.name]?.unset ?? 'unset' };
    }
  }
  return out;
}

/** Unknown names in CREDENTIAL_DATES, as config problems (a name is a variable's, never a value). */
export function credentialDatesProblems(dates: CredentialDates, credentials: readonly DeclaredCredential[]): string[] {
  const known = new Set(credentials.map((c) => c.name));
  return Object.keys(dates)
    .filter((name) => !known.has(name))
    .map((name) =>
      /^[A-Z][A-Z0-9_]{0,80}$/.test(name)
        ? `CREDENTIAL_DATES names ${name}, which is not a secret variable (\`npm run ops -- credentials\` lists them)`
        : 'CREDENTIAL_DATES has an entry whose name is not a variable name (SCREAMING_SNAKE_CASE)',
    );
}

/** The processes that read a variable (config's Reader), and which one is reading (config's Role). */
export type CredentialReader = 'api' | 'worker';
export type CredentialRole = CredentialReader | 'all';

// The credential registry (docs/credentials/): every secret Switchyard holds, with who owns it, where it is kept, how
// it is rotated and when it expires. Derived, never listed: every `secret: true` variable (a system's API key or
// secret URL, its connectors' secrets, a source's webhook secret, the general ones), so a new system's key appears
// here without anyone editing a list. Credentials that are not variables (OAuth connections) come from a
// CredentialStateSource. Nothing here ever reads a value out: a state is computed from whether a value is set, whether
// it is a public development value, and the dates, and only names, owners, kinds and dates leave this module.

/** Who owns a credential when its declaration does not say: a team or role, never a person. */
export const DEFAULT_OWNER = 'integrations team';

export const CREDENTIAL_KINDS = {
  'webhook-secret': 'docs/credentials/webhook-secret.md',
  'api-key': 'docs/credentials/api-key.md',
  'secret-url': 'docs/credentials/secret-url.md',
  'smtp-relay': 'docs/credentials/smtp-relay.md',
  'payload-key': 'docs/credentials/payload-key.md',
  'admin-token': 'docs/credentials/admin-and-codec-tokens.md',
  'codec-token': 'docs/credentials/admin-and-codec-tokens.md',
  'api-clients': 'docs/credentials/api-clients.md',
  'temporal-connection': 'docs/credentials/temporal-connection.md',
  'oauth-connection': 'docs/credentials/oauth-connection.md',
} as const;
export type CredentialKind = keyof typeof CREDENTIAL_KINDS;

/** How each kind is rotated, in a line; the runbook says it step by step. */
export const ROTATION: Record<CredentialKind, string> = {
  'webhook-secret':
    'zero downtime: several secrets, space-separated; add the new one, switch the sender, then remove the old one',
  'api-key': 'one key: issue a second key at the provider, set it and restart the workers, then revoke the old one',
  'secret-url': 'one URL: create a second URL at the provider, set it and restart the workers, then delete the old one',
  'smtp-relay': 'one URL: add a second relay login, set the URL and restart the workers, then remove the old login',
  'payload-key':
    'zero downtime: several keys; add the new key second, move it first, remove the old one after `npm run ops -- keys check`',
  'admin-token': 'one token: set the new one and restart the API processes; callers switch to it at once',
  'codec-token': 'one token: set the new one and restart the API processes; the Web UI codec setting switches at once',
  'api-clients':
    'per client: add a second entry (new name, new key, same scopes), move the caller to it, then remove the old entry',
  'temporal-connection': 'issue a second key or certificate, set it and restart every process, then revoke the old one',
  'oauth-connection': 're-authorise: GET /connections/<system>/authorize on the operator listener',
};

// An owner is a team or a role: lowercase words ending in one of these. A person's name ("Jane Doe", "jdoe",
// "jane.doe@example.com") does not pass, so the registry survives that person leaving.
const ROLE_WORDS = [
  'team',
  'on-call',
  'rota',
  'lead',
  'owner',
  'owners',
  'administrators',
  'operators',
  'engineers',
  'officer',
  'desk',
  'squad',
  'guild',
];

/** Why `owner` is not acceptable (a team or role, never a person's name), or undefined. */
export function ownerProblem(owner: string): string | undefined {
  if (!/^[a-z0-9][a-z0-9 &/-]*$/.test(owner)) {
    return "must be lowercase words naming a team or role, never a person's name";
  }
  if (!ROLE_WORDS.some((w) => owner === w || owner.endsWith(` ${w}`))) {
    return `must end in a team or role word (${ROLE_WORDS.join(', ')}), never a person's name`;
  }
  return undefined;
}

/** One credential as declared: what the catalog shows. No value, ever. */
export interface DeclaredCredential {
  /** The variable that holds it; for a credential that is not a variable (an OAuth connection), its id. */
  name: string;
  kind: CredentialKind;
  /** What it belongs to: a declared system or source, the service itself, or a state source's connection. */
  scope: 'system' | 'source' | 'general' | 'connection';
  /** The system's or source's name (for a connector's secret, its system's). */
  of?: string;
  /** A team or role (ownerProblem), never a person. */
  owner: string;
  /** Where the value lives: the variable, and the secret store the deployment keeps it in. */
  storage: { variable?: string; store: string };
  /** The processes that read it. */
  readBy: CredentialReader[];
  runbook: string;
  rotation: string;
  /** Where its expiry comes from, for the catalog (unset: the provider's date, set in CREDENTIAL_DATES). */
  expiry?: string;
}

/**
 * What this process knows of one credential without showing it: `set` (a real value), `development` (a public
 * development value), `unused` (this configuration does not need it), or `elsewhere` (another role reads it, and this
 * process does not hold it).
 */
export type Presence = { is: 'set' | 'development' } | { is: 'unused' | 'elsewhere'; why: string };

export type CredentialState = 'valid' | 'expiring' | 'expired' | 'broken' | 'unused' | 'development';
/** The states the daily check alerts on. */
export const ALERTING_STATES: readonly CredentialState[] = ['expiring', 'expired', 'broken'];

/** What a state source says of one credential: its own dates, or that it is broken (and why, in a few words). */
export interface CredentialReport {
  name: string;
  issued?: string;
  expires?: string;
  /** Set: the credential does not work (a revoked OAuth grant); what the provider said, never a token. */
  broken?: string;
}

/**
 * A pluggable source of credentials that are not variables, or of what a provider knows about one that is: the OAuth
 * connections (issued, expires, broken) will report through one. Its credentials join the registry and its reports
 * win over CREDENTIAL_DATES. A source that fails to report marks its own credentials broken, never the others.
 */
export interface CredentialStateSource {
  name: string;
  /** The credentials it holds that are not variables (scope `connection`), as the catalog shows them. */
  declared?(): DeclaredCredential[];
  report(context: { now: Date }): Promise<CredentialReport[]>;
}

/** One credential's state: the declared part, the dates and a sentence saying why, never a value. */
export interface CredentialStatus extends DeclaredCredential {
  state: CredentialState;
  detail: string;
  issued?: string;
  expires?: string;
  /** Whole days until it expires (negative once expired). */
  daysLeft?: number;
}

/** What config keeps of the credentials: the registry, each one's presence and the dates (loadConfig). */
export interface CredentialSettings {
  role: CredentialRole;
  declared: DeclaredCredential[];
  presence: Record<string, Presence>;
  dates: Readonly<Record<string, { issued?: string; expires?: string }>>;
  warningDays: number;
}

const DAY = 86_400_000;

/** The state of each credential at `now`, from config, a state source's reports and their credentials. */
export function credentialStatuses(
  settings: CredentialSettings,
  options: {
    now?: Date;
    reports?: ReadonlyMap<string, CredentialReport & { source: string }>;
    extra?: DeclaredCredential[];
  } = {},
): CredentialStatus[] {
  const now = (options.now ?? new Date()).getTime();
  return [...settings.declared, ...(options.extra ?? [])].map((c): CredentialStatus => {
    const report = options.reports?.get(c.name);
    const issued = report?.issued ?? settings.dates[c.name]?.issued;
    const expires = report?.expires ?? settings.dates[c.name]?.expires;
    const dates = { ...(issued ? { issued } : {}), ...(expires ? { expires } : {}) };
    const presence: Presence = settings.presence[c.name] ?? { is: 'set' };
    const status = (state: CredentialState, detail: string, extra: Partial<CredentialStatus> = {}) => ({
      ...c,
      state,
      detail,
      ...dates,
      ...extra,
    });
    if (presence.is === 'unused') return status('unused', `not needed by this configuration: ${presence.why}`);
    if (report?.broken !== undefined) {
      return status('broken', `reported broken by ${report.source}: ${oneLine(report.broken)}`);
    }
    if (presence.is === 'development') {
      return status(
        'development',
        'RUNNING ON THE PUBLIC DEVELOPMENT VALUE: anyone with the source code can use it; never in production',
      );
    }
    const where = presence.is === 'elsewhere' ? ` (${presence.why}: only its dates are known here)` : '';
    if (!expires) return status('valid', `no expiry date declared (CREDENTIAL_DATES)${where}`);
    const at = Date.parse(`${expires}T00:00:00Z`);
    const daysLeft = Math.floor((at - now) / DAY);
    if (now >= at) return status('expired', `expired on ${expires}${where}`, { daysLeft });
    if (at - now <= settings.warningDays * DAY) {
      return status('expiring', `expires on ${expires}, within ${settings.warningDays} days${where}`, { daysLeft });
    }
    return status('valid', `expires on ${expires}${where}`, { daysLeft });
  });
}

// A provider's words, in one bounded line (a state source must never pass a token; this keeps a slip short).
function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is taken out.
  const line = text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}

/**
 * The states, asking each state source first. A source that throws makes its own credentials `broken` (saying it
 * failed, never its error's text, which could quote anything) and leaves the others alone.
 */
export async function checkCredentials(
  settings: CredentialSettings,
  sources: readonly CredentialStateSource[] = [],
  now: Date = new Date(),
): Promise<CredentialStatus[]> {
  const reports = new Map<string, CredentialReport & { source: string }>();
  const extra: DeclaredCredential[] = [];
  for (const source of sources) {
    const own = source.declared?.() ?? [];
    extra.push(...own);
    try {
      for (const r of await source.report({ now })) reports.set(r.name, { ...r, source: source.name });
    } catch (err) {
      const kind = err instanceof Error ? err.name : typeof err;
      for (const c of own) {
        reports.set(c.name, {
          name: c.name,
          broken: `its state source failed to report (${kind})`,
          source: source.name,
        });
      }
    }
  }
  return credentialStatuses(settings, { now, reports, extra });
}

/** What the daily check alerts on: a credential that is expiring, expired or broken, without its value. */
export interface CredentialProblem {
  name: string;
  state: 'expiring' | 'expired' | 'broken';
  kind: CredentialKind;
  owner: string;
  runbook: string;
  expires?: string;
  detail: string;
}

/** The problems among `states`, for the credential check. */
export function credentialProblems(states: readonly CredentialStatus[]): CredentialProblem[] {
  return states.flatMap((s) =>
    s.state === 'expiring' || s.state === 'expired' || s.state === 'broken'
      ? [
          {
            name: s.name,
            state: s.state,
            kind: s.kind,
            owner: s.owner,
            runbook: s.runbook,
            ...(s.expires ? { expires: s.expires } : {}),
            detail: s.detail,
          },
        ]
      : [],
  );
}

import type { Command } from 'commander';
import { ROUTES } from '../api/v1/openapi';
import { loadConfig, type VariableDoc, variableDocs } from '../config/index';
import { ACTIVITY_PROFILES, type ActivityProfile, type ProfileName } from '../contracts/activity-profiles';
import { ALERT_KINDS } from '../contracts/alerts';
import {
  FAILURE_CAUSES,
  FailureType,
  type FailureTypeName,
  HTTP_ANSWER_CLASSES,
  NON_RETRYABLE_TYPES,
} from '../contracts/failures';
import { NO_SUCCESS_AFTER_INTERVALS, SCHEDULE_PROBLEMS } from '../contracts/schedules';
import { queueFor } from '../contracts/task-queues';
import {
  CONTACT_FIELDS,
  CONTACT_OWNERSHIP,
  CONTACT_SYSTEMS,
  type ContactSystem,
  ruleOf,
  testsOfRule,
} from '../domain/ownership';
import {
  ALL_SEARCH_ATTRIBUTES,
  INTEGRATION_STATUS,
  INTEGRATION_STATUSES,
  type IntegrationStatus,
} from '../domain/search-attributes';
import { buildProgram } from '../ops/cli';
import { scheduleDefinitions, type ScheduleDefinition } from '../schedules/definitions';
import { envPrefix } from '../kit/declare';
import type { ActivityDoc, FlowDeclaration, SourceDeclaration, SystemDeclaration } from '../kit/declare';
import { connectorVariable } from '../config/derived';
import { FLOWS, oauthSystems, SOURCES, SYSTEMS, type WorkflowType } from '../registry';
import { connectionCredential } from '../kit/connections/credentials';
import { TEMPORAL_ACTIVITY_DOCS } from '../kit/temporal-activities';
import { CONNECTION_ACTIVITY_DOCS } from '../kit/connections/activities';
import type { DeclaredCredential } from '../kit/credentials';

// The integration catalog: what Switchyard connects, derived from the declarations and the code (never a hand-written
// list), as plain JSON. `npm run catalog` renders it to docs/CATALOG.md and .env.example, `GET /admin/catalog` and
// `npm run catalog -- --json` serve it. Concrete values are the development defaults; no secret is ever read.

export const SENDER_SETUP = 'docs/webhooks.md#webhook-sources';
/** The workflow that applies the contact ownership map. */
const CONTACT_SYNC: WorkflowType = 'contactSync';
/** The pseudo-system of the activities that only talk to Temporal (sync state, schedule inspection). */
const TEMPORAL = 'temporal';
/** The connection activities run on the queue of the system the connection is for. */
const CONNECTED = '<the connection’s system>';

export interface CatalogActivity {
  name: string;
  does: string;
  kind: ActivityDoc['kind'];
  /** The Idempotency-Key sent downstream, as a format; absent for reads. */
  idempotencyKey?: string;
  perRun?: boolean;
  note?: string;
  profile: ProfileName;
  startToCloseTimeout: string;
  heartbeatTimeout?: string;
  scheduleToCloseTimeout: string;
  retry: ActivityProfile['retry'];
  /** The workflows that schedule it. */
  usedBy: string[];
}

export interface CatalogAnswer {
  /** The class of answer or failure: "any other 4xx", "no answer within DOWNSTREAM_TIMEOUT_MS", … */
  answer: string;
  failureType: FailureTypeName;
  retried: boolean;
  /** What then happens, for the profiles this system's activities run under. */
  then: string;
}

export interface CatalogSystem {
  name: string;
  title: string;
  owns: string;
  auth: 'bearer' | 'secret-url';
  url: { variable: string; development?: string; deprecatedNames: string[] };
  /** Variables holding a credential (for a secret-url system, its URL). */
  credentials: string[];
  rateLimit: { perSecond: number; variable: string };
  /** The task queue (TASK_QUEUE_PREFIX + this name); only this system's worker serves its activities. */
  taskQueue: string;
  activities: CatalogActivity[];
  answers: CatalogAnswer[];
  /** Other ways to reach it, chosen by <PREFIX>_CONNECTOR (default `api`: the activities above, over its API). */
  connectors: CatalogConnector[];
}

export interface CatalogConnector {
  name: string;
  title: string;
  /** The variable that selects it, and the value. */
  selectedBy: string;
  variables: Array<{ name: string; secret: boolean; required: boolean; description: string }>;
  /** The activities it serves instead of the API's, and what changes. */
  activities: Array<{ name: string; note: string }>;
  /** Where the sandbox serves its stand-in (src/systems/<system>/<name>/stand-in.ts), if it has one. */
  standIn?: string;
}

export interface CatalogSource {
  name: string;
  title: string;
  endpoint: string;
  /** The declared downstream system this sender also is, when there is one. */
  system?: string;
  signature: { scheme: string; headers: string[]; toleranceSeconds?: number };
  secret: { variable: string; format: string; rotation: string; deprecatedNames: string[] };
  events: Array<{ type: string; canonicalEvent: string; workflow: string }>;
  knownApiVersions: string[];
  senderSetup: string;
}

export interface CatalogWorkflow {
  name: string;
  description: string;
  startedBy:
    | { kind: 'webhook'; event: string; sources: Array<{ source: string; type: string }> }
    | { kind: 'schedule'; schedule: string }
    | { kind: 'other'; by: string };
  activities: Array<{ name: string; system: string; taskQueue: string }>;
  children: Array<{ workflow: string; id: string; note: string }>;
  /** How it behaves across deploys under Worker Versioning, and why. */
  versioning: { behavior: 'PINNED' | 'AUTO_UPGRADE'; note: string | null };
}

export interface CatalogSchedule {
  id: string;
  description: string;
  spec: string;
  timeZone: string;
  overlap: string;
  catchupWindow: string;
  workflow: string;
  taskQueue: string;
  expectedInterval: string;
  /** The watchdog's thresholds for it (see Catalog.schedules.watchdogChecks), or null when none watches it. */
  watchdog: {
    schedule: string;
    pausedAlertAfter: string;
    noSuccessAlertAfter: string;
    /** The sync-state workflow whose recorded success counts too. */
    syncState?: string;
  } | null;
}

export interface CatalogField {
  entity: 'contact';
  field: string;
  owner: ContactSystem;
  copiesTo: ContactSystem[];
  direction: 'one-way' | 'two-way';
  conflictRule: string;
  syncedBy: string;
  /** Where the rule is tested: "file › describe › test". */
  tests: string[];
}

export interface CatalogCommand {
  command: string;
  description: string;
  options: Array<{ flags: string; description: string; default?: string; choices?: string[]; required: boolean }>;
}

export interface Catalog {
  about: string;
  sources: CatalogSource[];
  workflows: CatalogWorkflow[];
  systems: CatalogSystem[];
  profiles: Array<{ name: ProfileName } & ActivityProfile>;
  failureTypes: Array<{ type: FailureTypeName; when: string; retried: boolean }>;
  schedules: {
    /** The variables that change the schedules of a deployment. */
    variables: string[];
    /** What the watchdog checks of each schedule it watches; at most one problem per schedule, the first. */
    watchdogChecks: Array<{ problem: string; when: string }>;
    items: CatalogSchedule[];
  };
  ownership: CatalogField[];
  /** Every credential as declared: owner, kind, storage, rotation runbook (the states are `ops credentials`'). */
  credentials: DeclaredCredential[];
  variables: VariableDoc[];
  alerts: {
    destination: { system: string; title: string; variable: string };
    kinds: Array<{ kind: string; when: string }>;
    variables: string[];
  };
  /** The request/response API: its endpoints and the variables of its clients. */
  api: {
    endpoints: Array<{ method: string; path: string; summary: string; scope?: string; workflow?: string }>;
    idempotency: string;
    variables: string[];
  };
  operators: {
    uiQueries: Array<{ query: string; finds: string }>;
    searchAttributes: Array<{ name: string; type: string; meaning: string }>;
    commands: CatalogCommand[];
    admin: { base: string; auth: string; catalog: string; variables: string[] };
  };
}

// What each search attribute means and the query an operator types for it. Prose, so it lives here; buildCatalog
// refuses to run while an attribute has none.
const SEARCH_ATTRIBUTE_DOCS: Record<string, { meaning: string; query?: string; finds?: string }> = {
  Source: {
    meaning: 'the webhook source that started the flow, or api:<client> for an /api/v1 command',
    query: `Source = "${SOURCES[0].name}"`,
    finds: `the flows one sender started`,
  },
  EventType: {
    meaning: "the provider's event type",
    query: 'EventType = "order.paid"',
    finds: 'the flows of one kind of event',
  },
  EventId: {
    meaning: "the provider's event id (also in the workflow id <prefix><source>:<event id>)",
    query: 'EventId = "<event id>"',
    finds: 'the flow of one delivery',
  },
  BusinessKey: {
    meaning: 'the order, payment or contact a flow is about',
    query: 'BusinessKey = "<order id>"',
    finds: 'everything that happened to one order',
  },
  IntegrationStatus: { meaning: `where a flow stands: ${INTEGRATION_STATUSES.join(', ')}` },
  ApiVersionDrift: {
    meaning: "true when the sender's API version is not one its adapter knows",
    query: 'ApiVersionDrift = true',
    finds: 'deliveries of an API version the adapter was not written against',
  },
};

// What an operator finds under each IntegrationStatus; a new status does not compile until it is described here.
const STATUS_FINDS: Record<IntegrationStatus, string> = {
  processing: 'the flows under way',
  retrying: 'the flows whose activity keeps failing while it retries',
  completed: 'the flows that did what they were for',
  failed: 'the flows that failed and need a person (fix the cause, then `ops reset` or `ops redrive`)',
  'needs-review': 'the flows that stopped on purpose because a person must decide (a re-run changes nothing)',
};

const BOTH_WAYS = (owner: ContactSystem) => CONTACT_SYSTEMS.filter((s) => s !== owner);

function humanMs(ms: number): string {
  const units: Array<[number, string]> = [
    [86_400_000, 'd'],
    [3_600_000, 'h'],
    [60_000, 'min'],
    [1000, 's'],
  ];
  for (const [size, unit] of units) if (ms % size === 0 && ms >= size) return `${ms / size} ${unit}`;
  return `${ms} ms`;
}

function specOf(d: ScheduleDefinition): string {
  return 'cron' in d.spec ? `cron ${d.spec.cron}` : `every ${String(d.spec.every)}`;
}

function retrySummary(name: ProfileName): string {
  const p = ACTIVITY_PROFILES[name];
  return (
    `${name}: ${p.retry.initialInterval} ×${p.retry.backoffCoefficient} up to ${p.retry.maximumInterval} apart, ` +
    `for up to ${p.scheduleToCloseTimeout}` +
    ('maximumAttempts' in p.retry ? `, at most ${p.retry.maximumAttempts} attempts` : '')
  );
}

function isRetried(type: string, profile: ProfileName): boolean {
  return !(ACTIVITY_PROFILES[profile].retry.nonRetryableErrorTypes as readonly string[]).includes(type);
}

function answerFor(answer: string, type: FailureTypeName, profiles: ProfileName[]): CatalogAnswer {
  const retriedIn = profiles.filter((p) => isRetried(type, p));
  if (retriedIn.length === 0) {
    return {
      answer,
      failureType: type,
      retried: false,
      then:
        'not retried: the activity fails at once, the flow fails, sends a `failed` alert and shows ' +
        'IntegrationStatus = "failed" (fix the cause, then `ops reset` or `ops redrive`)',
    };
  }
  if (retriedIn.length !== profiles.length) {
    throw new Error(`failure type ${type} is retried in some profiles of one system only: make the profiles agree`);
  }
  const windows = profiles.map(retrySummary).join('; ');
  const then =
    type === FailureType.throttled
      ? "retried after the system's Retry-After (1 s without one, at most the profile's maximum interval), this " +
        `worker holding its other calls to the system back meanwhile, for as long as the profile allows (${windows})`
      : `retried with backoff (${windows})`;
  return {
    answer,
    failureType: type,
    retried: true,
    then: `${then}; a \`retrying\` alert at attempt RETRYING_ALERT_AFTER_ATTEMPTS`,
  };
}

function variablesOf(docs: VariableDoc[], group: string): VariableDoc[] {
  const found = docs.filter((d) => d.group === group);
  if (found.length === 0) throw new Error(`no variables are documented for "${group}" (src/config/index.ts)`);
  return found;
}

function one<T>(items: T[], what: string): T {
  if (items.length !== 1) throw new Error(`expected exactly one ${what}, found ${items.length}`);
  return items[0]!;
}

function commandsOf(program: Command, prefix: string): CatalogCommand[] {
  const optionsOf = (c: Command) =>
    c.options.map((o) => ({
      flags: o.flags,
      description: o.description,
      ...(o.defaultValue !== undefined ? { default: String(o.defaultValue) } : {}),
      ...(o.argChoices ? { choices: [...o.argChoices] } : {}),
      required: o.mandatory,
    }));
  return [
    {
      command: `${prefix} [global options] <command>`,
      description: program.description(),
      options: optionsOf(program),
    },
    ...program.commands.map((c) => ({
      command: `${prefix} ${c.name()} ${c.usage()}`.trim(),
      description: c.description(),
      options: optionsOf(c),
    })),
  ];
}

/** The declarations to document (default: the registry's). Tests add throwaway ones here. */
export interface CatalogOptions {
  systems?: readonly SystemDeclaration[];
  sources?: readonly SourceDeclaration[];
  flows?: Readonly<Record<string, FlowDeclaration<never>>>;
}

/** The whole catalog, derived from the declarations and the code; the same JSON everywhere it is served. */
export function buildCatalog(options: CatalogOptions = {}): Catalog {
  const declared = options.systems ?? (SYSTEMS as readonly SystemDeclaration[]);
  const declaredSources = options.sources ?? (SOURCES as readonly SourceDeclaration[]);
  const flows = options.flows ?? (FLOWS as Readonly<Record<string, FlowDeclaration<never>>>);
  const config = loadConfig({ NODE_ENV: 'development' }, 'all', { systems: declared, sources: declaredSources });
  const docs = variableDocs({ systems: declared, sources: declaredSources });
  const definitions = scheduleDefinitions(config);
  const prefix = config.temporal.taskQueuePrefix;

  const activityIndex = new Map<string, { system: string; doc: ActivityDoc }>();
  for (const system of declared) {
    for (const [name, doc] of Object.entries(system.activityDocs))
      activityIndex.set(name, { system: system.name, doc });
  }
  for (const [name, doc] of Object.entries(TEMPORAL_ACTIVITY_DOCS)) activityIndex.set(name, { system: TEMPORAL, doc });
  for (const [name, doc] of Object.entries(CONNECTION_ACTIVITY_DOCS)) {
    activityIndex.set(name, { system: CONNECTED, doc });
  }
  const usedBy = (activity: string) =>
    Object.entries(flows)
      .filter(([, w]) => (w.activities as readonly string[]).includes(activity))
      .map(([name]) => name);

  const sources: CatalogSource[] = declaredSources.map((s) => {
    const secret = one(
      variablesOf(docs, `Source: ${s.name}`).filter((d) => d.secret),
      `secret variable of source ${s.name}`,
    );
    return {
      name: s.name,
      title: s.title,
      endpoint: `POST /webhooks/${s.name}`,
      ...('system' in s && s.system ? { system: s.system } : {}),
      signature: { scheme: s.signature.scheme, headers: [...s.signature.headers], ...tolerance(s.signature) },
      secret: {
        variable: secret.name,
        format: s.secret.format,
        rotation:
          'several secrets, space-separated: a delivery signed with any of them is accepted. Add the new one, ' +
          'switch the sender to it, then remove the old one',
        deprecatedNames: secret.deprecatedNames,
      },
      events: Object.entries(s.events).map(([type, canonicalEvent]) => ({
        type,
        canonicalEvent,
        workflow: workflowFor(canonicalEvent),
      })),
      knownApiVersions: [...s.adapter({}).knownApiVersions],
      senderSetup: SENDER_SETUP,
    };
  });

  const systems: CatalogSystem[] = declared.map((s) => {
    const vars = variablesOf(docs, `System: ${s.name}`);
    const p = envPrefix(s.name);
    const connectorVars = new Set(
      (s.connectors ?? []).flatMap((c) => c.variables.map((v) => connectorVariable(s.name, c.name, v.suffix))),
    );
    const own = vars.filter((v) => !connectorVars.has(v.name));
    const url = one(
      own.filter((v) => v.name === `${p}_API_URL` || v.name === `${p}_WEBHOOK_URL`),
      `URL variable of system ${s.name}`,
    );
    const rate = one(
      vars.filter((v) => v.name.endsWith('_RATE_LIMIT_PER_SECOND')),
      `rate limit variable of system ${s.name}`,
    );
    const activities: CatalogActivity[] = Object.entries(s.activityDocs).map(([name, doc]) =>
      activityEntry(name, doc, usedBy(name)),
    );
    const profiles = [...new Set(activities.map((a) => a.profile))];
    return {
      name: s.name,
      title: s.title,
      owns: s.owns,
      auth: s.auth,
      url: {
        variable: url.name,
        ...(url.development ? { development: url.development } : {}),
        deprecatedNames: url.deprecatedNames,
      },
      credentials: own.filter((v) => v.secret).map((v) => v.name),
      rateLimit: { perSecond: s.defaultRatePerSecond, variable: rate.name },
      taskQueue: queueFor(prefix, s.name),
      activities,
      answers: [
        ...HTTP_ANSWER_CLASSES.map((c) => answerFor(c.answer, c.type, profiles)),
        ...(['DownstreamTimeout', 'DownstreamNetworkError'] as const).map((t) =>
          answerFor(FAILURE_CAUSES[t], t, profiles),
        ),
      ],
      connectors: (s.connectors ?? []).map((c) => ({
        name: c.name,
        title: c.title,
        selectedBy: `${p}_CONNECTOR=${c.name}`,
        variables: c.variables.map((v) => {
          const name = connectorVariable(s.name, c.name, v.suffix);
          return {
            name,
            secret: v.secret ?? false,
            required: v.default === undefined,
            description: docs.find((d) => d.name === name)?.description ?? v.description,
          };
        }),
        activities: Object.entries(c.activityNotes).map(([name, note]) => ({ name, note: String(note) })),
        ...(c.standIn ? { standIn: `/${s.name}-${c.name}` } : {}),
      })),
    };
  });

  const workflows: CatalogWorkflow[] = Object.entries(flows).map(([name, w]) => {
    const trigger = w.trigger;
    let startedBy: CatalogWorkflow['startedBy'];
    if ('event' in trigger) {
      startedBy = {
        kind: 'webhook',
        event: trigger.event,
        sources: declaredSources.flatMap((s) =>
          Object.entries(s.events)
            .filter(([, canonical]) => canonical === trigger.event)
            .map(([type]) => ({ source: s.name, type })),
        ),
      };
    } else if ('schedule' in trigger) {
      if (!definitions.some((d) => d.id === `${prefix}${trigger.schedule}` && d.workflowType === name)) {
        throw new Error(`workflow ${name} is declared to run on schedule ${trigger.schedule}, which does not run it`);
      }
      startedBy = { kind: 'schedule', schedule: trigger.schedule };
    } else {
      startedBy = { kind: 'other', by: trigger.by };
    }
    return {
      name,
      description: w.description,
      startedBy,
      versioning: { behavior: w.versioning, note: ('versioningNote' in w ? w.versioningNote : undefined) ?? null },
      activities: (w.activities as readonly string[]).map((activity) => {
        const found = activityIndex.get(activity);
        if (!found) throw new Error(`workflow ${name} declares activity ${activity}, which no system declares`);
        return {
          name: activity,
          system: found.system,
          taskQueue: found.system === TEMPORAL ? queueFor(prefix, 'orchestration') : queueFor(prefix, found.system),
        };
      }),
      children: 'children' in w && w.children ? w.children.map((c) => ({ ...c })) : [],
    };
  });

  const watchdog = definitions.find((d) => d.workflowType === 'scheduleWatchdog');
  const watched = watchdog?.workflowType === 'scheduleWatchdog' ? watchdog.args[0] : undefined;
  const schedules: CatalogSchedule[] = definitions.map((d) => {
    const w = watched?.schedules.find((s) => s.id === d.id);
    return {
      id: d.id,
      description: d.description,
      spec: specOf(d),
      timeZone: d.spec.timeZone,
      overlap: d.overlap,
      catchupWindow: String(d.catchupWindow),
      workflow: d.workflowType,
      taskQueue: d.taskQueue,
      expectedInterval: humanMs(d.expectedIntervalMs),
      watchdog:
        w && watchdog && watched
          ? {
              schedule: watchdog.id,
              pausedAlertAfter: humanMs(watched.pausedAlertAfterMs),
              noSuccessAlertAfter: humanMs(NO_SUCCESS_AFTER_INTERVALS * w.expectedIntervalMs),
              ...(w.syncStateId ? { syncState: w.syncStateId } : {}),
            }
          : null,
    };
  });

  const ownership: CatalogField[] = CONTACT_FIELDS.map((field) => {
    const rule = CONTACT_OWNERSHIP[field];
    return {
      entity: 'contact',
      field,
      owner: rule.owner,
      copiesTo: BOTH_WAYS(rule.owner),
      direction: rule.direction,
      conflictRule:
        rule.direction === 'two-way'
          ? `${rule.conflict}: copied both ways; a change on both sides is settled by ${rule.conflict}`
          : `${ruleOf(rule)}: a change made in ${BOTH_WAYS(rule.owner).join(', ')} never leaves it; a change on both sides keeps ${rule.owner}'s`,
      syncedBy: CONTACT_SYNC,
      tests: testsOfRule(rule),
    };
  });

  const alertSystem = one(
    systems.filter((s) => s.activities.some((a) => a.profile === 'alert')),
    'system whose activities run under the alert profile',
  );

  return {
    about:
      'Generated from the declarations in src/registry.ts, src/config, src/schedules, src/domain and src/ops ' +
      'by `npm run catalog`. Values are the development defaults; no secret value appears here.',
    sources,
    workflows,
    systems,
    profiles: (Object.keys(ACTIVITY_PROFILES) as ProfileName[]).map((name) => ({
      name,
      ...structuredClone(ACTIVITY_PROFILES[name] as ActivityProfile),
    })),
    failureTypes: (Object.keys(FAILURE_CAUSES) as FailureTypeName[]).map((type) => ({
      type,
      when: FAILURE_CAUSES[type],
      retried: !NON_RETRYABLE_TYPES.includes(type),
    })),
    schedules: {
      variables: docs.filter((d) => d.group === 'Schedules').map((d) => d.name),
      watchdogChecks: Object.entries(SCHEDULE_PROBLEMS).map(([problem, when]) => ({ problem, when })),
      items: schedules,
    },
    ownership,
    credentials: [
      ...config.credentials.declared,
      // Every OAuth connection a connector can hold, with the selection that uses it.
      ...oauthSystems(config, true).map((system) => {
        const connector = SYSTEMS.find((x) => x.name === system)!.connectors!.find((c) => c.oauth)!;
        return connectionCredential(config.temporal.taskQueuePrefix, system, {
          selectedBy: `${envPrefix(system)}_CONNECTOR=${connector.name}`,
          refreshTokenIdleDays: connector.oauth!({}, system).refreshTokenIdleDays,
        });
      }),
    ],
    variables: docs,
    alerts: {
      destination: { system: alertSystem.name, title: alertSystem.title, variable: alertSystem.url.variable },
      kinds: Object.entries(ALERT_KINDS).map(([kind, when]) => ({ kind, when })),
      variables: docs.filter((d) => d.group === 'Alerts').map((d) => d.name),
    },
    api: {
      // The document itself is named below the table, as where to read the rest.
      endpoints: ROUTES.filter((r) => !r.public).map((r) => ({
        method: r.method.toUpperCase(),
        path: r.path,
        summary: r.summary,
        ...(r.scope ? { scope: r.scope } : {}),
        ...(r.workflow ? { workflow: r.workflow } : {}),
      })),
      idempotency:
        'Every command needs an Idempotency-Key; its workflow id is <prefix>api:<client>:<key> (Source = "api:<client>"): the ' +
        'same key and body give the same answer, another body a 422, a failed run is run again by a retry',
      variables: docs.filter((d) => d.group === 'Request/response API').map((d) => d.name),
    },
    operators: {
      uiQueries: [
        ...INTEGRATION_STATUSES.map((status) => ({
          query: `${INTEGRATION_STATUS.name} = "${status}"`,
          finds: STATUS_FINDS[status],
        })),
        ...ALL_SEARCH_ATTRIBUTES.flatMap((a) => {
          const doc = SEARCH_ATTRIBUTE_DOCS[a.name];
          if (!doc) throw new Error(`search attribute ${a.name} has no entry in SEARCH_ATTRIBUTE_DOCS (catalog.ts)`);
          return doc.query && doc.finds ? [{ query: doc.query, finds: doc.finds }] : [];
        }),
        {
          query: `WorkflowType = "${Object.keys(flows)[0]}" AND ExecutionStatus = "Running"`,
          finds: 'the flows of one type still running',
        },
      ],
      searchAttributes: ALL_SEARCH_ATTRIBUTES.map((a) => ({
        name: a.name,
        type: a.type,
        meaning: SEARCH_ATTRIBUTE_DOCS[a.name]!.meaning,
      })),
      commands: commandsOf(buildProgram(), 'npm run ops --'),
      admin: {
        base: '/admin',
        auth: 'Authorization: Bearer <ADMIN_TOKEN>',
        catalog: 'GET /admin/catalog',
        variables: docs.filter((d) => d.group === 'Operating').map((d) => d.name),
      },
    },
  };

  function workflowFor(canonicalEvent: string): string {
    return one(
      Object.entries(flows)
        .filter(([, w]) => 'event' in w.trigger && w.trigger.event === canonicalEvent)
        .map(([name]) => name),
      `workflow for canonical event ${canonicalEvent}`,
    );
  }
}

function tolerance(signature: { toleranceSeconds?: number }) {
  return signature.toleranceSeconds === undefined ? {} : { toleranceSeconds: signature.toleranceSeconds };
}

function activityEntry(name: string, doc: ActivityDoc, usedBy: string[]): CatalogActivity {
  const p: ActivityProfile = ACTIVITY_PROFILES[doc.profile];
  return {
    name,
    does: doc.does,
    kind: doc.kind,
    ...(doc.idempotencyKey ? { idempotencyKey: doc.idempotencyKey } : {}),
    ...(doc.perRun ? { perRun: true } : {}),
    ...(doc.note ? { note: doc.note } : {}),
    profile: doc.profile,
    startToCloseTimeout: p.startToCloseTimeout,
    ...(p.heartbeatTimeout ? { heartbeatTimeout: p.heartbeatTimeout } : {}),
    scheduleToCloseTimeout: p.scheduleToCloseTimeout,
    retry: { ...p.retry, nonRetryableErrorTypes: [...p.retry.nonRetryableErrorTypes] },
    usedBy,
  };
}

import type { VariableDoc } from '../config/index';
import type { Catalog, CatalogActivity, CatalogSystem } from './catalog';

// Renders the catalog as docs/CATALOG.md (with a Mermaid data-flow diagram) and as .env.example. Pure functions of
// the catalog's JSON, so the drift check in npm test compares a fresh rendering with the committed files.

export const CATALOG_FILE = 'docs/CATALOG.md';
export const ENV_EXAMPLE_FILE = '.env.example';

/** A Mermaid node id: letters, digits and underscores only, with a kind prefix so no id is a Mermaid keyword. */
export function mermaidId(kind: 'source' | 'flow' | 'system' | 'schedule', name: string): string {
  return `${kind}_${name.replace(/[^A-Za-z0-9]/g, '_')}`;
}

// Inside a quoted Mermaid label, these would end the label or be read as markup: written as entity codes.
function mermaidText(text: string): string {
  return text
    .replace(/#/g, '#35;')
    .replace(/"/g, '#quot;')
    .replace(/</g, '#lt;')
    .replace(/>/g, '#gt;')
    .replace(/\|/g, '#124;');
}

function label(...lines: string[]): string {
  return `"${lines.map(mermaidText).join('<br/>')}"`;
}

const TEMPORAL_NODE = 'temporal_server';

/** The data-flow diagram: sources and schedules → flows → downstream systems, and the fields the sync copies. */
export function renderMermaid(catalog: Catalog): string {
  const ids = new Map<string, string>();
  const id = (kind: Parameters<typeof mermaidId>[0], name: string) => {
    const made = mermaidId(kind, name);
    const owner = ids.get(made);
    if (owner !== undefined && owner !== `${kind}:${name}`) {
      throw new Error(`Mermaid ids collide: ${owner} and ${kind}:${name} both become ${made}; rename one`);
    }
    ids.set(made, `${kind}:${name}`);
    return made;
  };
  const lines = ['flowchart LR'];
  lines.push(`  subgraph group_sources[${label('Webhook sources')}]`);
  for (const s of catalog.sources) lines.push(`    ${id('source', s.name)}[${label(s.name, s.endpoint)}]`);
  lines.push('  end');
  lines.push(`  subgraph group_schedules[${label('Schedules')}]`);
  for (const s of catalog.schedules.items) {
    lines.push(`    ${id('schedule', s.id)}([${label(s.id, `${s.spec} ${s.timeZone}`)}])`);
  }
  lines.push('  end');
  lines.push(`  subgraph group_flows[${label('Flows (workflows)')}]`);
  for (const w of catalog.workflows) {
    const by = w.startedBy.kind === 'other' ? [`started by ${w.startedBy.by}`] : [];
    lines.push(`    ${id('flow', w.name)}[${label(w.name, ...by)}]`);
  }
  lines.push('  end');
  lines.push(`  subgraph group_systems[${label('Downstream systems')}]`);
  for (const s of catalog.systems) {
    lines.push(
      `    ${id('system', s.name)}[(${label(s.title, `queue ${s.taskQueue}`, `${s.rateLimit.perSecond}/s`)})]`,
    );
  }
  lines.push('  end');
  lines.push(`  ${TEMPORAL_NODE}[(${label('Temporal', 'sync state, schedules')})]`);

  for (const s of catalog.sources) {
    for (const e of s.events) {
      lines.push(
        `  ${id('source', s.name)} -->|${label(`${e.type} → ${e.canonicalEvent}`)}| ${id('flow', e.workflow)}`,
      );
    }
  }
  for (const s of catalog.schedules.items) {
    lines.push(`  ${id('schedule', s.id)} -->|${label('starts')}| ${id('flow', s.workflow)}`);
  }
  for (const w of catalog.workflows) {
    const bySystem = new Map<string, string[]>();
    for (const a of w.activities) bySystem.set(a.system, [...(bySystem.get(a.system) ?? []), a.name]);
    for (const [system, activities] of bySystem) {
      const target = catalog.systems.some((s) => s.name === system) ? id('system', system) : TEMPORAL_NODE;
      lines.push(`  ${id('flow', w.name)} -->|${label(activities.join(', '))}| ${target}`);
    }
    for (const c of w.children) {
      lines.push(`  ${id('flow', w.name)} -.->|${label(`child ${c.id}`)}| ${id('flow', c.workflow)}`);
    }
  }
  // One thick arrow per direction of copying, labelled with the fields it carries, grouped by their owner.
  const copies = new Map<string, { from: string; to: string; entity: string; byOwner: Map<string, string[]> }>();
  for (const f of catalog.ownership) {
    const from = f.direction === 'two-way' ? [f.owner, ...f.copiesTo] : [f.owner];
    for (const source of from) {
      for (const target of [f.owner, ...f.copiesTo].filter((t) => t !== source)) {
        const key = `${source}>${target}`;
        const entry = copies.get(key) ?? { from: source, to: target, entity: f.entity, byOwner: new Map() };
        const owner = `owner: ${f.owner}${f.direction === 'two-way' ? `, two-way, ${f.conflictRule.split(':')[0]}` : ''}`;
        entry.byOwner.set(owner, [...(entry.byOwner.get(owner) ?? []), f.field]);
        copies.set(key, entry);
      }
    }
  }
  for (const c of copies.values()) {
    const fields = [...c.byOwner].map(([owner, names]) => `${names.join(', ')} (${owner})`).join('; ');
    lines.push(`  ${id('system', c.from)} ==>|${label(`copies ${c.entity} ${fields}`)}| ${id('system', c.to)}`);
  }
  return `${lines.join('\n')}\n`;
}

// Prose from the declarations: "<order id>" would otherwise be read as an HTML tag and vanish.
function md(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function code(text: string | number): string {
  const s = String(text);
  return s.includes('`') ? `\`\` ${s} \`\`` : `\`${s}\``;
}

function cell(text: string): string {
  return text.replace(/\r?\n/g, ' ').replace(/\|/g, '\\|');
}

function table(head: string[], rows: string[][]): string {
  const out = [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`];
  for (const row of rows) out.push(`| ${row.map(cell).join(' | ')} |`);
  return `${out.join('\n')}\n`;
}

function list(items: string[]): string {
  return items.map(code).join(', ');
}

function anchor(title: string): string {
  return title
    .toLowerCase()
    .replace(/[^a-z0-9 -]/g, '')
    .replace(/ /g, '-');
}

function timeouts(p: Pick<CatalogActivity, 'startToCloseTimeout' | 'heartbeatTimeout' | 'scheduleToCloseTimeout'>) {
  return [
    `start-to-close ${p.startToCloseTimeout}`,
    ...(p.heartbeatTimeout ? [`heartbeat ${p.heartbeatTimeout}`] : []),
    `schedule-to-close ${p.scheduleToCloseTimeout}`,
  ].join(', ');
}

function retry(r: CatalogActivity['retry']): string {
  return (
    `${r.initialInterval} ×${r.backoffCoefficient} up to ${r.maximumInterval} apart; ` +
    (r.maximumAttempts === undefined ? '' : `at most ${r.maximumAttempts} attempts; `) +
    `never retried: ${list(r.nonRetryableErrorTypes)}`
  );
}

function systemSection(s: CatalogSystem): string {
  const url = `${code(s.url.variable)}${s.url.development ? `; in development ${md(s.url.development)}` : ''}`;
  const formerly = s.url.deprecatedNames.length ? ` (formerly ${list(s.url.deprecatedNames)})` : '';
  return [
    `### ${s.name}: ${md(s.title)}`,
    '',
    `Owns ${md(s.owns)}.`,
    '',
    table(
      ['setting', 'value'],
      [
        ['URL', `${url}${formerly}`],
        [
          'credentials',
          s.auth === 'bearer'
            ? `${list(s.credentials)}, sent as a bearer token`
            : `${list(s.credentials)}: the URL itself is the secret, never logged`,
        ],
        [
          'rate limit',
          `${s.rateLimit.perSecond} calls/s for every worker and API replica together (docs/rate-limits.md), ${code(s.rateLimit.variable)}`,
        ],
        ['task queue', `${code(s.taskQueue)} (after ${code('TASK_QUEUE_PREFIX')}); only its own worker serves it`],
      ],
    ),
    table(
      ['activity', 'does', 'idempotency key', 'profile', 'timeouts', 'retry', 'used by'],
      s.activities.map((a) => [
        code(a.name),
        md(`${a.kind === 'read' ? '(read) ' : ''}${a.does}${a.note ? `; ${a.note}` : ''}`),
        a.idempotencyKey ? `${code(a.idempotencyKey)}${a.perRun ? ' (per run, on purpose)' : ''}` : 'none (a read)',
        code(a.profile),
        timeouts(a),
        retry(a.retry),
        list(a.usedBy),
      ]),
    ),
    'What each answer does:',
    '',
    table(
      ['answer', 'failure type', 'then'],
      s.answers.map((a) => [md(a.answer), code(a.failureType), md(a.then)]),
    ),
    ...s.connectors.flatMap((c) => [
      `Connector ${code(c.name)} (${code(c.selectedBy)}): ${md(c.title)}.` +
        (c.standIn ? ` The sandbox serves its stand-in at ${code(c.standIn)}.` : ''),
      '',
      table(
        ['variable', 'required', 'description'],
        c.variables.map((v) => [
          code(v.name),
          v.required ? 'yes' : 'no',
          md(`${v.description}${v.secret ? ' (a secret)' : ''}`),
        ]),
      ),
      table(
        ['activity', 'served instead of the API’s'],
        c.activities.map((a) => [code(a.name), md(a.note)]),
      ),
    ]),
  ].join('\n');
}

function variableRow(v: VariableDoc): string[] {
  const value =
    v.default === ''
      ? 'empty'
      : v.default !== undefined
        ? code(v.default)
        : v.development
          ? `development: ${md(v.development)}`
          : 'unset';
  const formerly = v.deprecatedNames.length ? ` Formerly ${list(v.deprecatedNames)}, still read with a warning.` : '';
  return [
    code(v.name),
    v.roles.join(', '),
    v.requiredInProduction ? 'yes' : 'no',
    v.secret ? 'yes' : 'no',
    value,
    `${md(v.description)}${formerly}`,
  ];
}

function groups<T extends { group: string }>(items: T[]): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) out.set(item.group, [...(out.get(item.group) ?? []), item]);
  return out;
}

const SECTIONS = [
  'Data flow',
  'Webhook sources',
  'Flows',
  'Downstream systems',
  'Activity profiles',
  'Failure types',
  'Schedules',
  'Ownership of contact fields',
  'Credentials',
  'Environment variables',
  'Alerts',
  'Operator entry points',
];

/** docs/CATALOG.md. */
export function renderCatalogMarkdown(catalog: Catalog): string {
  const out: string[] = [];
  const add = (...parts: string[]) => out.push(...parts);
  add(
    '# Integration catalog',
    '',
    '<!-- Generated by `npm run catalog`. Do not edit by hand: npm test fails while it differs from a fresh generation. -->',
    '',
    '> Generated by `npm run catalog` from the declarations and code in `src/`; do not edit it by hand. Change the',
    '> declaration, then run `npm run catalog`. The same data is served as JSON by `GET /admin/catalog` and',
    '> `npm run catalog -- --json`. Values are the development defaults; no secret value appears here.',
    '',
    SECTIONS.map((s) => `[${s}](#${anchor(s)})`).join(' · '),
    '',
    '## Data flow',
    '',
    'Webhooks and schedules start flows; flows call the downstream systems (their activities on the arrows); dotted',
    'arrows start child workflows; thick arrows are the contact fields the sync copies, each with its owner.',
    '',
    '```mermaid',
    renderMermaid(catalog).trimEnd(),
    '```',
    '',
    '## Webhook sources',
    '',
    table(
      ['source', 'endpoint', 'secret variable', 'event → canonical event → flow'],
      catalog.sources.map((s) => [
        `[${s.name}](#${anchor(`Source: ${s.name}`)})`,
        code(s.endpoint),
        code(s.secret.variable),
        s.events.map((e) => `${code(e.type)} → ${code(e.canonicalEvent)} → ${code(e.workflow)}`).join('<br>'),
      ]),
    ),
  );
  for (const s of catalog.sources) {
    const freshness =
      s.signature.toleranceSeconds !== undefined
        ? `; a timestamp more than ${s.signature.toleranceSeconds} s from our clock is refused`
        : '; no timestamp is signed';
    add(
      `### Source: ${s.name}`,
      '',
      `${md(s.title)}.${s.system ? ` Also the downstream system ${code(s.system)}.` : ''}`,
      '',
      `- **Endpoint:** ${code(s.endpoint)}`,
      `- **Signature:** ${md(s.signature.scheme)}; headers ${list(s.signature.headers)}${freshness}`,
      `- **Secret:** ${code(s.secret.variable)}: ${md(s.secret.format)}. Rotation: ${md(s.secret.rotation)}.` +
        (s.secret.deprecatedNames.length ? ` Formerly ${list(s.secret.deprecatedNames)}.` : ''),
      `- **Events:** ${s.events
        .map((e) => `${code(e.type)} → canonical ${code(e.canonicalEvent)} → flow ${code(e.workflow)}`)
        .join('; ')}; other event types are answered 200 \`ignored\``,
      `- **Known API versions:** ${list(s.knownApiVersions)}; another version that still parses is accepted and ` +
        'flagged (`ApiVersionDrift = true`)',
      `- **Sender setup:** [docs/webhooks.md](../${s.senderSetup})`,
      '',
    );
  }
  add(
    '## Flows',
    '',
    table(
      ['flow', 'what it does', 'started by', 'activities (task queue)', 'child workflows'],
      catalog.workflows.map((w) => [
        code(w.name),
        md(w.description),
        w.startedBy.kind === 'webhook'
          ? `${code(w.startedBy.event)} from ${w.startedBy.sources.map((s) => `${s.source} ${code(s.type)}`).join(', ')}`
          : w.startedBy.kind === 'schedule'
            ? `schedule ${code(w.startedBy.schedule)}`
            : md(w.startedBy.by),
        w.activities.map((a) => `${code(a.name)} (${a.taskQueue})`).join(', ') || 'none',
        w.children.map((c) => `${code(c.workflow)} as ${code(c.id)}: ${md(c.note)}`).join('; ') || 'none',
      ]),
    ),
    '## Downstream systems',
    '',
    table(
      ['system', 'URL variable', 'credentials', 'rate limit', 'task queue'],
      catalog.systems.map((s) => [
        `[${s.name}](#${anchor(`${s.name}: ${s.title}`)})`,
        code(s.url.variable),
        list(s.credentials),
        `${s.rateLimit.perSecond}/s, ${code(s.rateLimit.variable)}`,
        code(s.taskQueue),
      ]),
    ),
    ...catalog.systems.map(systemSection),
    '## Activity profiles',
    '',
    'Every activity runs under one of these (`src/contracts/activity-profiles.ts`).',
    '',
    table(
      ['profile', 'purpose', 'timeouts', 'retry'],
      catalog.profiles.map((p) => [code(p.name), md(p.purpose), timeouts(p), retry(p.retry)]),
    ),
    '## Failure types',
    '',
    'The `type` of the failure an activity fails with, as the Temporal UI shows it.',
    '',
    table(
      ['type', 'when', 'retried'],
      catalog.failureTypes.map((f) => [code(f.type), md(f.when), f.retried ? 'yes' : 'no: the flow fails at once']),
    ),
    '## Schedules',
    '',
    'Applied by the worker at start and by `npm run schedules -- apply`. Values are the defaults; ' +
      `${list(catalog.schedules.variables)} change them.`,
    '',
    table(
      [
        'schedule',
        'what it does',
        'spec',
        'time zone',
        'overlap',
        'catch-up window',
        'workflow',
        'expected every',
        'watchdog alerts when paused for',
        'or without a success for',
      ],
      catalog.schedules.items.map((s) => [
        code(s.id),
        md(s.description),
        code(s.spec),
        s.timeZone,
        s.overlap,
        s.catchupWindow,
        code(s.workflow),
        s.expectedInterval,
        s.watchdog ? s.watchdog.pausedAlertAfter : 'not watched',
        s.watchdog
          ? `${s.watchdog.noSuccessAlertAfter}${s.watchdog.syncState ? ` (a success recorded by ${code(s.watchdog.syncState)} counts)` : ''}`
          : 'not watched',
      ]),
    ),
    'The watchdog reports at most one problem per schedule, the first of these, with one alert while it lasts:',
    '',
    table(
      ['problem', 'when'],
      catalog.schedules.watchdogChecks.map((c) => [code(c.problem), md(c.when)]),
    ),
    '## Ownership of contact fields',
    '',
    'Declared in `src/domain/ownership.ts`; applied by the contact sync.',
    '',
    table(
      ['field', 'owner', 'copies go to', 'direction', 'conflict rule', 'synced by', 'tested in'],
      catalog.ownership.map((f) => [
        code(`${f.entity}.${f.field}`),
        f.owner,
        f.copiesTo.join(', '),
        f.direction,
        md(f.conflictRule),
        code(f.syncedBy),
        f.tests.map((t) => code(t)).join('<br>'),
      ]),
    ),
    '## Credentials',
    '',
    'Every secret Switchyard holds, derived from the secret variables and the OAuth connections its connectors can ' +
      'hold; who owns it and how to rotate it. Their dates ' +
      'come from `CREDENTIAL_DATES`, their states from `npm run ops -- credentials` and `GET /admin/credentials`; a ' +
      'daily check alerts on each one expiring, expired or broken. See [docs/credentials/](credentials/README.md).',
    '',
    table(
      ['credential', 'kind', 'of', 'owner', 'stored in', 'read by', 'expires', 'rotation'],
      catalog.credentials.map((c) => [
        code(c.name),
        c.kind,
        c.of ?? c.scope,
        c.owner,
        c.storage.variable ? `variable ${code(c.storage.variable)}` : md(c.storage.store),
        c.readBy.join(', '),
        md(c.expiry ?? 'its date in `CREDENTIAL_DATES`, where it has one'),
        `[${c.runbook.replace(/^docs\/credentials\//, '')}](${c.runbook.replace(/^docs\//, '')}): ${md(c.rotation)}`,
      ]),
    ),
    '## Environment variables',
    '',
    '`.env.example` is generated from the same list. In production every variable marked required must be set;',
    'startup names any that is missing.',
    '',
  );
  for (const [group, vars] of groups(catalog.variables)) {
    add(
      `### ${md(group)}`,
      '',
      table(
        ['variable', 'read by', 'required in production', 'secret', 'default', 'what it does'],
        vars.map(variableRow),
      ),
    );
  }
  const a = catalog.alerts;
  add(
    '## Alerts',
    '',
    `Alerts go to ${code(a.destination.variable)} (system ${code(a.destination.system)}, ${md(a.destination.title)}). ` +
      `Settings: ${list(a.variables)}.`,
    '',
    table(
      ['kind', 'sent'],
      a.kinds.map((k) => [code(k.kind), md(k.when)]),
    ),
    '## Request/response API',
    '',
    `${md(catalog.api.idempotency)}. Settings: ${list(catalog.api.variables)}; the OpenAPI document at ` +
      `${code('GET /api/v1/openapi.json')}. See [docs/api.md](../docs/api.md#requestresponse-api).`,
    '',
    table(
      ['endpoint', 'scope', 'workflow', 'what it does'],
      catalog.api.endpoints.map((e) => [
        code(`${e.method} ${e.path}`),
        e.scope ? code(e.scope) : 'any client',
        e.workflow ? code(e.workflow) : 'none (answers directly)',
        md(e.summary),
      ]),
    ),
    '## Operator entry points',
    '',
    '### Web UI queries',
    '',
    table(
      ['query', 'finds'],
      catalog.operators.uiQueries.map((q) => [code(q.query), md(q.finds)]),
    ),
    '### Search attributes',
    '',
    table(
      ['attribute', 'type', 'meaning'],
      catalog.operators.searchAttributes.map((s) => [code(s.name), s.type, md(s.meaning)]),
    ),
    '### Commands',
    '',
    table(
      ['command', 'what it does', 'options'],
      catalog.operators.commands.map((c) => [
        code(c.command),
        md(c.description),
        c.options
          .map(
            (o) =>
              `${code(o.flags)}${o.required ? ' (required)' : ''}: ${md(o.description)}` +
              (o.choices ? ` (${o.choices.join(', ')})` : '') +
              (o.default !== undefined ? ` (default ${code(o.default)})` : ''),
          )
          .join('<br>'),
      ]),
    ),
    '### Admin API',
    '',
    `The same commands over HTTP under ${code(catalog.operators.admin.base)} on the operator listener, with ` +
      `${code(catalog.operators.admin.auth)} (settings: ${list(catalog.operators.admin.variables)}); this catalog as JSON at ` +
      `${code(catalog.operators.admin.catalog)}. See [docs/operating.md](../docs/operating.md#the-admin-api).`,
    '',
  );
  return `${out
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trimEnd()}\n`;
}

// A wrapped line never starts with NAME=…: it would read as a commented-out variable.
function wrapComment(text: string, width = 118): string[] {
  const lines: string[][] = [[]];
  for (const word of text.split(/\s+/)) {
    const line = lines[lines.length - 1]!;
    if (line.length && [...line, word].join(' ').length > width - 2) {
      const carried = /^[A-Z][A-Z0-9_]*=/.test(word) && line.length > 1 ? [line.pop()!] : [];
      lines.push([...carried, word]);
    } else line.push(word);
  }
  return lines.filter((l) => l.length).map((l) => `# ${l.join(' ')}`);
}

/** .env.example: every variable, grouped, with its description; defaults filled in, secrets empty. */
export function renderEnvExample(catalog: Catalog): string {
  const out = [
    '# Generated by `npm run catalog` from variableDocs() in src/config/index.ts: do not edit by hand.',
    '# Every variable Switchyard reads. Copy to .env (never committed) or set them in your deployment; docs/CATALOG.md',
    '# explains each. In production (NODE_ENV=production) every variable marked "required in production" must be set.',
    '# Secrets are left empty here: unset outside production, a public development value is used and the startup banner',
    '# says so. A commented-out line is optional and has no default (NODE_ENV aside: the file never sets it, so a copy',
    '# of it cannot switch a deployment to development): leave it unset unless you need it.',
  ];
  for (const [group, vars] of groups(catalog.variables)) {
    out.push('', `# --- ${group} ---`);
    for (const v of vars) {
      const facts = [
        `Read by ${v.roles.join(' and ')}.`,
        ...(v.requiredInProduction ? ['Required in production.'] : []),
        ...(v.secret ? ['Secret.'] : []),
        ...(v.development ? [`Unset in development: ${v.development}.`] : []),
        ...(v.deprecatedNames.length ? [`Formerly ${v.deprecatedNames.join(', ')} (still read, with a warning).`] : []),
      ];
      out.push('', ...wrapComment(`${v.description.replace(/\.$/, '')}. ${facts.join(' ')}`));
      const commented = v.neverSetByExample || (v.default === undefined && !v.requiredInProduction);
      out.push(`${commented ? '# ' : ''}${v.name}=${v.secret ? '' : (v.default ?? '')}`);
    }
  }
  return `${out.join('\n')}\n`;
}

/** The generated files, as paths relative to the repository root and their content. */
export const STAND_INS_FILE = 'src/sandbox/stand-ins.ts';

/**
 * The sandbox's index of stand-ins, one per declared system, each from src/systems/<name>/stand-in.ts: generated, so a
 * new system is its folder and its line in SYSTEMS, and no production module imports stand-in code.
 */
export function renderStandIns(catalog: Catalog): string {
  const camel = (name: string) => name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
  const key = (name: string) => (/^[a-z][a-z0-9]*$/.test(name) ? name : `'${name}'`);
  const names = catalog.systems.map((s) => s.name);
  const connectors = catalog.systems.flatMap((s) =>
    s.connectors.filter((c) => c.standIn).map((c) => ({ name: `${s.name}-${c.name}`, path: `${s.name}/${c.name}` })),
  );
  return [
    '// Generated by `npm run catalog` from SYSTEMS: every declared system, its stand-in from src/systems/<name>/stand-in.ts,',
    '// and every connector with a stand-in, from src/systems/<system>/<connector>/stand-in.ts (mounted at /<system>-<connector>).',
    '// Only the sandbox imports this file; production entry points never load stand-in code.',
    ...names.map((n) => `import { standIn as ${camel(n)} } from '../systems/${n}/stand-in';`),
    ...connectors.map((c) => `import { standIn as ${camel(c.name)} } from '../systems/${c.path}/stand-in';`),
    '',
    'export const STAND_INS = {',
    ...names.map((n) => `  ${key(n)}: ${camel(n)},`),
    '} as const;',
    '',
    'export const CONNECTOR_STAND_INS = {',
    ...connectors.map((c) => `  ${key(c.name)}: ${camel(c.name)},`),
    '} as const;',
    '',
  ].join('\n');
}

export const BUNDLE_FILE = 'src/flows/bundle.ts';

/** A workflow type's folder: its name in kebab-case (orderPaid → src/flows/order-paid/). */
export function flowFolder(type: string): string {
  return type.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/**
 * The workflow bundle's entry point, one export per declared flow with its versioning behaviour: generated, because
 * the bundle must hold workflow code only and so cannot import the declarations (they reference activity code).
 */
export function renderBundle(catalog: Catalog): string {
  const lines = [
    "// Generated by `npm run catalog` from FLOWS (src/registry.ts): the workflow bundle's entry point, every workflow",
    '// type the worker serves, each from src/flows/<name>/workflow.ts, with how it behaves across deploys under Worker',
    '// Versioning (WORKER_BUILD_ID set; docs/deploying.md): PINNED finishes on the version it started on; AUTO_UPGRADE',
    '// moves to the current version at its next workflow task, so its changes go through patched() and replay tests.',
    "import type { VersioningBehavior } from '@temporalio/common';",
    "import { setWorkflowOptions, workflowInfo } from '@temporalio/workflow';",
    ...catalog.workflows.map((w) => `import { ${w.name} } from './${flowFolder(w.name)}/workflow';`),
    '',
    'export {',
    ...catalog.workflows.map((w) => `  ${w.name},`),
    '};',
    '',
    '// An unversioned worker (WORKER_BUILD_ID unset, the time-skipping tests) must not declare a behaviour: the SDK',
    '// refuses the task completion. So the behaviour is declared only when this task runs on a versioned worker.',
    'const behaviour = (versioningBehavior: VersioningBehavior) => () =>',
    '  workflowInfo().currentDeploymentVersion?.deploymentName ? { versioningBehavior } : {};',
    '',
  ];
  for (const w of catalog.workflows) {
    if (w.versioning.note) lines.push(`// ${w.name}: ${w.versioning.note}.`);
    lines.push(`setWorkflowOptions(behaviour('${w.versioning.behavior}'), ${w.name});`);
  }
  return `${lines.join('\n')}\n`;
}

/** The catalog the operator listener serves at GET /admin/catalog: the same JSON as `npm run catalog -- --json`. */
export const CATALOG_JSON_FILE = 'src/api/catalog.json';

export const COMPOSE_FILE = 'docker-compose.yml';

const COMPOSE_BEGIN = '# generated by `npm run catalog`: the declared systems and sources this service needs';
const COMPOSE_END = '# end of generated variables';

/**
 * The variables each declared system and source adds that a role requires in production, as compose environment
 * entries substituted from the operator's environment with a required-variable check (never a value inline).
 */
export function composeVariables(catalog: Catalog, role: 'api' | 'worker'): string[] {
  const required = catalog.variables
    .filter((v) => /^(System|Source): /.test(v.group) && v.requiredInProduction && v.roles.includes(role))
    .map((v) => `${v.name}=\${${v.name}:?set ${v.name}}`);
  // A connector's variables pass through when set: which one runs is the operator's choice, checked at startup.
  const connectors = catalog.systems
    .filter((s) => s.connectors.length > 0)
    .flatMap((s) => [
      `${s.connectors[0]!.selectedBy.split('=')[0]!}`,
      ...s.connectors.flatMap((c) => c.variables.map((v) => v.name)),
    ])
    .filter((name) => catalog.variables.some((v) => v.name === name && v.roles.includes(role)))
    .map((name) => `${name}=\${${name}:-}`);
  return [...required, ...connectors];
}

/**
 * docker-compose.yml with the block between the generated markers of the api and worker services rewritten from the
 * declarations; everything outside the markers is left as written. Throws when a service has no markers.
 */
export function renderCompose(catalog: Catalog, current: string): string {
  const lines = current.split('\n');
  for (const role of ['api', 'worker'] as const) {
    const start = lines.indexOf(`  ${role}:`);
    const next = lines.findIndex((line, i) => i > start && /^ {2}\S/.test(line));
    const end = next === -1 ? lines.length : next;
    const begin = lines.findIndex((line, i) => i > start && i < end && line.trim() === COMPOSE_BEGIN);
    const close = lines.findIndex((line, i) => i > begin && i < end && line.trim() === COMPOSE_END);
    if (start === -1 || begin === -1 || close === -1) {
      throw new Error(`${COMPOSE_FILE}: the ${role} service needs its "${COMPOSE_BEGIN}" … "${COMPOSE_END}" lines`);
    }
    const indent = /^ */.exec(lines[begin]!)![0];
    const entries = composeVariables(catalog, role).map((e) => `${indent}- ${e}`);
    lines.splice(begin + 1, close - begin - 1, ...entries);
  }
  return lines.join('\n');
}

/**
 * Every generated file. `read` gives a file's current text (relative to the repository root), for the one file that is
 * partly written by hand: docker-compose.yml.
 */
export function catalogFiles(
  catalog: Catalog,
  read: (file: string) => string,
): Array<{ path: string; content: string }> {
  return [
    { path: COMPOSE_FILE, content: renderCompose(catalog, read(COMPOSE_FILE)) },
    { path: CATALOG_FILE, content: renderCatalogMarkdown(catalog) },
    { path: ENV_EXAMPLE_FILE, content: renderEnvExample(catalog) },
    { path: STAND_INS_FILE, content: renderStandIns(catalog) },
    { path: BUNDLE_FILE, content: renderBundle(catalog) },
    { path: CATALOG_JSON_FILE, content: `${JSON.stringify(catalog, null, 2)}\n` },
  ];
}

import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline/promises';
import { Client, Connection } from '@temporalio/client';
import { Command, Option } from 'commander';
import { loadConfig } from '../config';
import { dataConverterFor } from '../temporal/codec';
import { connectionOptions, resolveTemporalTarget } from '../temporal/connection';
import { cancel, type ActionResult, reset, RESET_POINTS, type ResetPoint, terminate } from './actions';
import { type OpsContext, OpsInputError } from './context';
import { find, list, LIST_STATUSES, type ListStatus, stuck } from './executions';
import { checkKeys, type KeysCheck } from './keys';
import { credentialReport, credentialsText } from './credentials';
import { showHistory } from './show';
import { printable } from '../printable';
import { executionsTable, shown, table } from './format';
import { assertReviewed, planRedrive, REDRIVE_LIMIT, type RedrivePlan, runRedrive } from './redrive';
import type { ReplayOutcome } from './replay';
import { type DeadLetterList, dropDeadLetter, listDeadLetters, retryDeadLetters, type RetryReport } from './sync-dlq';

// `npm run ops -- <command>`: what an operator types at 3 a.m. Every command connects with the same settings as
// the service (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TLS/API key, TEMPORAL_UI_URL for the links).

interface GlobalOptions {
  json?: boolean;
}

let opened: { ctx: OpsContext; close: () => Promise<void> } | undefined;

async function context(): Promise<OpsContext> {
  if (opened) return opened.ctx;
  const config = loadConfig();
  const target = resolveTemporalTarget(config, process.env);
  const connection = await Connection.connect({
    ...connectionOptions(target),
    connectTimeout: 5000,
  });
  // The identity lands in every history event the operator causes (terminate, cancel, reset).
  const client = new Client({
    connection,
    namespace: target.namespace,
    dataConverter: dataConverterFor(config),
    identity: `switchyard-ops/${os.userInfo().username}@${os.hostname()}`,
  });
  opened = {
    ctx: { client, namespace: target.namespace, uiUrl: config.temporal.uiUrl },
    close: () => connection.close(),
  };
  return opened.ctx;
}

// Every line the CLI prints passes through printable(): the values in it were made inert where they were put
// (shown()), and this catches what was not. In JSON output the escapes it writes are the characters they stand for.
function out(program: Command, json: unknown, text: () => string): void {
  const printed = (program.opts() as GlobalOptions).json ? `${JSON.stringify(json, null, 2)}\n` : text();
  process.stdout.write(printable(printed, { multiline: true }));
}

function actionText(r: ActionResult): string {
  return table(
    [{ title: 'WORKFLOW ID' }, { title: 'RUN ID' }, { title: 'DONE' }, { title: 'NEW RUN ID' }, { title: 'LINK' }],
    [[r.workflowId, r.runId, r.action, r.newRunId ?? '', r.link]],
  );
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export function planText(plan: RedrivePlan): string {
  const lines: string[] = [];
  if (plan.items.length === 0) lines.push('no failed execution matches the query');
  for (const p of plan.items) {
    const e = p.execution;
    lines.push(
      `${p.action === 'reset' ? 'WOULD RE-RUN' : 'SKIP'}  ${shown(e.workflowId)}  ${shown(e.type)}  ${shown(
        e.businessKey,
      )}  ${shown(p.skipReason ?? e.lastError)}`.trimEnd(),
      `    ${shown(e.link)}`,
    );
    if (p.action === 'skip') continue;
    if (!p.sideEffects) {
      lines.push(
        `    side effects of ${shown(e.type)} are not declared (src/ops/side-effects.ts): treat as UNPROTECTED`,
      );
      continue;
    }
    for (const s of p.sideEffects) {
      const protection = s.protected
        ? `protected by Idempotency-Key ${shown(s.idempotencyKey)}`
        : `NOT protected${s.note ? ` (${shown(s.note)})` : ''}`;
      lines.push(
        `    ${shown(s.activity).padEnd(18)} ${shown(s.system).padEnd(15)} ${shown(s.effect).padEnd(52)} ${protection}`,
      );
    }
  }
  const n = plan.items.filter((p) => p.action === 'reset').length;
  lines.push('', `${n} execution(s) would re-run from their first workflow task; nothing was changed.`);
  if (plan.truncated) {
    lines.push(
      `TRUNCATED at ${plan.limit}: more failed executions match the query than the plan holds. Narrow the query ` +
        '(e.g. a StartTime range) and redrive each part.',
    );
  }
  if (n > 0) {
    const limit = plan.limit === REDRIVE_LIMIT ? '' : ` --limit ${plan.limit}`;
    lines.push(
      `plan id: ${plan.planId}`,
      `to run exactly this plan: npm run ops -- redrive --query ${shown(shellQuote(plan.query))}${limit} --plan-id ${plan.planId}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

function replayText(outcomes: ReplayOutcome[]): string {
  const bad = outcomes.filter((o) => !o.deterministic);
  return (
    table(
      [
        { title: 'WORKFLOW ID', max: 40 },
        { title: 'RESULT' },
        { title: 'FIRST DIVERGENCE / ERROR', max: 120 },
        { title: 'LINK' },
      ],
      outcomes.map((o) => [
        o.workflowId,
        o.deterministic ? 'deterministic' : 'NOT deterministic',
        o.divergence ?? o.error ?? '',
        o.link ?? '',
      ]),
    ) +
    `${outcomes.length - bad.length}/${outcomes.length} replayed deterministically against ${path.relative(process.cwd(), WORKFLOWS_PATH)}\n`
  );
}

export function deadLettersText(list: DeadLetterList): string {
  if (!list.exists) return `no sync state ${shown(list.stateWorkflowId)} yet: the contact sync has not run\n`;
  const rows = list.deadLetters.map((e) => [
    e.id,
    e.system,
    e.attempts,
    e.firstSeen,
    e.lastSeen,
    e.record.email ?? '',
    e.error,
  ]);
  const full = list.notKept ? `; ${list.notKept} more were rejected but NOT kept (the list was full)` : '';
  return (
    table(
      [
        { title: 'ID' },
        { title: 'SYSTEM' },
        { title: 'ATTEMPTS' },
        { title: 'FIRST SEEN' },
        { title: 'LAST SEEN' },
        { title: 'EMAIL', max: 40 },
        { title: 'ERROR' },
      ],
      rows,
    ) + `${list.deadLetters.length} record(s) on the dead-letter list of ${shown(list.stateWorkflowId)}${full}\n`
  );
}

export function retryText(r: RetryReport): string {
  if (!r.workflowId) return 'nothing on the dead-letter list to retry\n';
  if (r.running) return `the retry is still running: ${shown(r.workflowId)}\n    ${shown(r.link)}\n`;
  if (r.busy) {
    return (
      `NOT RETRIED: ${r.busy.kind === 'retry' ? 'another dead-letter retry' : 'a contact sync run'} is writing ` +
      `(${shown(r.busy.workflowId)}, since ${shown(r.busy.since)}). Nothing was sent; retry once it has finished.\n`
    );
  }
  const lines = [
    ...r.delivered.map((id) => `DELIVERED  ${shown(id)}  (off the list)`),
    ...r.rejected.map((x) => `REJECTED   ${shown(x.id)}  ${shown(x.error)}  (stays on the list)`),
    ...r.missing.map((id) => `MISSING    ${shown(id)}  (no longer on the list)`),
    `${r.delivered.length} delivered, ${r.rejected.length} still rejected, by ${shown(r.workflowId)}`,
    `    ${shown(r.link)}`,
  ];
  return `${lines.join('\n')}\n`;
}

function keysText(r: KeysCheck, configured: string[]): string {
  const inUse = Object.entries(r.inUse)
    .map(([id, n]) => `${shown(id)} (${n})`)
    .join(', ');
  const lines = [
    `configured key ids: ${configured.join(', ') || '(none: PAYLOAD_ENCRYPTION=off)'}`,
    `key ids in use by ${r.checked} open execution(s): ${inUse || '(none)'}`,
  ];
  if (r.truncated) lines.push(`TRUNCATED at ${r.limit} open executions: narrow with --query and check each part`);
  let text = `${lines.join('\n')}\n`;
  if (r.missing.length === 0) text += 'no open execution needs a key that is not configured\n';
  else {
    text +=
      table(
        [{ title: 'WORKFLOW ID' }, { title: 'TYPE' }, { title: 'MISSING KEY IDS' }, { title: 'LINK' }],
        r.missing.map((m) => [m.workflowId, m.type, m.keyIds.join(', '), m.link]),
      ) +
      `${r.missing.length} open execution(s) need a key that is not configured: keep it in PAYLOAD_KEYS until they close\n`;
  }
  if (r.schedules.length === 0) text += `no schedule needs a key that is not configured (${r.schedulesChecked} read)\n`;
  else {
    text +=
      table(
        [{ title: 'SCHEDULE ID' }, { title: 'MISSING KEY IDS' }, { title: 'IN' }],
        r.schedules.map((s) => [s.scheduleId, s.keyIds.join(', '), s.by.join(', ')]),
      ) +
      `${r.schedules.length} schedule(s) need a key that is not configured: run \`npm run schedules -- apply\` with ` +
      'the new key first (it rewrites them under it), then check again\n';
  }
  const closed = Object.entries(r.closed.needing);
  if (closed.length) {
    const counts = closed.map(([id, n]) => `"${id}" (${n})`).join(', ');
    text +=
      `closed execution(s) whose memo needs a key that is not configured: ${counts}` +
      `${r.closed.truncated ? ` (TRUNCATED at ${r.limit})` : ''}; e.g. ` +
      `${r.closed.examples
        .slice(0, 5)
        .map((e) => e.workflowId)
        .join(', ')}\n` +
      'they run no more, but without that key their reads (a command replay or GET /api/v1/operations answers 410, ' +
      'ops list/find mark the memo) cannot show what they stored: keep a copy of the key until their retention ends\n';
  }
  return text;
}

const WORKFLOWS_PATH = require.resolve('../flows/bundle');

async function confirm(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) return false;
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}

/** The operator CLI; `argv` as process.argv. */
export function buildProgram(): Command {
  const program = new Command('ops')
    .description('Find, understand, replay, terminate and re-drive Switchyard executions')
    .option('--json', 'print JSON instead of a table')
    .showHelpAfterError();

  program
    .command('find')
    .description('the executions for a business key (order id, contact id, …), event id or workflow id')
    .argument('<key>')
    .option('--limit <n>', 'at most this many', (v) => Number(v), 100)
    .action(async (key: string, o: { limit: number }) => {
      const found = await find(await context(), key, { limit: o.limit });
      out(program, found, () => executionsTable(found));
    });

  program
    .command('list')
    .description('executions by status, age, source and workflow type')
    .addOption(new Option('--status <status>', 'which executions').choices(LIST_STATUSES))
    .option('--since <duration>', 'started within, e.g. 24h, 7d', '24h')
    .option('--source <source>', 'webhook source, e.g. shop, stripe')
    .option('--type <workflowType>', 'workflow type, e.g. orderPaid')
    .option('--query <visibility query>', 'an extra visibility clause, ANDed')
    .option('--limit <n>', 'at most this many', (v) => Number(v), 100)
    .action(
      async (o: {
        status?: ListStatus;
        since: string;
        source?: string;
        type?: string;
        query?: string;
        limit: number;
      }) => {
        const found = await list(await context(), o);
        out(program, found, () => executionsTable(found));
      },
    );

  program
    .command('stuck')
    .description('running executions that are not progressing: an activity at or past N attempts, or a silent history')
    .option('--older-than <duration>', 'no history event for longer than this', '15m')
    .option('--attempts <n>', 'a pending activity at or past this attempt', (v) => Number(v), 5)
    .option('--query <visibility query>', 'an extra visibility clause, ANDed')
    .action(async (o: { olderThan: string; attempts: number; query?: string }) => {
      const found = await stuck(await context(), o);
      out(program, found, () => executionsTable(found, 'stuck'));
    });

  program
    .command('terminate')
    .description('end an execution now (no cleanup runs); the reason is recorded in its history')
    .argument('<workflowId>')
    .requiredOption('--reason <reason>', 'why, for the next person reading the history')
    .option('--run-id <runId>', 'a specific run (default: the latest)')
    .action(async (id: string, o: { reason: string; runId?: string }) => {
      const r = await terminate(await context(), id, o);
      out(program, r, () => actionText(r));
    });

  program
    .command('cancel')
    .description('ask an execution to cancel; the workflow may clean up')
    .argument('<workflowId>')
    .option('--run-id <runId>', 'a specific run (default: the latest)')
    .action(async (id: string, o: { runId?: string }) => {
      const r = await cancel(await context(), id, o);
      out(program, r, () => actionText(r));
    });

  program
    .command('reset')
    .description('run an execution again from a point of its history, after a fix; prints the new run id')
    .argument('<workflowId>')
    .addOption(new Option('--to <point>', 'where to restart').choices(RESET_POINTS).default('first-workflow-task'))
    .option('--reason <reason>', 'recorded in the history', 'reset by operator after a fix')
    .option('--run-id <runId>', 'a specific run (default: the latest)')
    .action(async (id: string, o: { to: ResetPoint; reason: string; runId?: string }) => {
      const r = await reset(await context(), id, o);
      out(program, r, () => actionText(r));
    });

  program
    .command('redrive')
    .description('reset every failed execution matching a visibility query, after a fix: dry run first, then its plan')
    .requiredOption(
      '--query <visibility query>',
      'e.g. \'WorkflowType = "orderPaid" AND StartTime > "2024-11-12T00:00:00Z"\'',
    )
    .option('--dry-run', 'list what would run again and whether idempotency keys protect each side effect')
    .option('--plan-id <id>', 'run the plan a dry run printed; refused if it changed since')
    .option('--limit <n>', `at most this many executions (max ${REDRIVE_LIMIT})`, (v) => Number(v), REDRIVE_LIMIT)
    .option('--yes', 'do not ask for confirmation')
    .action(async (o: { query: string; dryRun?: boolean; planId?: string; limit: number; yes?: boolean }) => {
      const ctx = await context();
      if (!o.dryRun && !o.planId) {
        throw new OpsInputError(
          'redrive: a real redrive runs a reviewed plan: run it with --dry-run first, then again with --plan-id <id>',
        );
      }
      const plan = await planRedrive(ctx, { query: o.query, limit: o.limit });
      if (o.dryRun) {
        out(program, { dryRun: true, ...plan }, () => planText(plan));
        return;
      }
      assertReviewed(plan, o.planId!);
      const n = plan.items.filter((p) => p.action === 'reset').length;
      if (n > 0 && !o.yes && !(await confirm(`Reset ${n} failed execution(s) of plan ${plan.planId}?`))) {
        throw new OpsInputError('redrive: not confirmed (pass --yes when not at a terminal); nothing was changed');
      }
      // One line per execution as it is acted on, so an interrupted redrive shows how far it got.
      const report = await runRedrive(ctx, plan, {
        reason: `redrive of plan ${plan.planId}`,
        onOutcome: (e) => {
          const done = `${e.result} ${shown(e.workflowId)} ${shown(e.runId)}`;
          const detail = e.result === 'reset' ? `→ ${shown(e.newRunId)}` : shown(e.reason ?? e.error);
          process.stderr.write(`redrive: ${done} ${detail}\n`);
        },
      });
      out(program, report, () => {
        const rows = [
          ...report.reset.map((r) => [r.workflowId, 're-run', r.newRunId, r.link]),
          ...report.skipped.map((s) => [s.execution.workflowId, 'skipped', s.skipReason, s.execution.link]),
          ...report.failed.map((f) => [f.workflowId, 'ERROR', f.error, f.link]),
        ];
        return (
          table(
            [{ title: 'WORKFLOW ID' }, { title: 'RESULT' }, { title: 'NEW RUN / WHY', max: 80 }, { title: 'LINK' }],
            rows,
          ) +
          `${report.reset.length} re-run, ${report.skipped.length} skipped, ${report.failed.length} failed` +
          `${report.truncated ? `; TRUNCATED at ${report.limit}, more failed executions match the query` : ''}\n`
        );
      });
      if (report.failed.length) process.exitCode = 1;
    });

  program
    .command('replay')
    .description('replay histories from the server against the current workflow code (run before deploying)')
    .argument('[workflowId]', "one workflow's latest run")
    .option('--query <visibility query>', 'every execution matching it')
    .action(async (workflowId: string | undefined, o: { query?: string }) => {
      if (!workflowId && !o.query) throw new OpsInputError('replay: give a workflow id or --query');
      // Loaded on use: the catalog (served by the API too) reads this program without loading the worker SDK.
      const [{ DefaultLogger, Runtime }, { replayFromServer }] = await Promise.all([
        import('@temporalio/worker'),
        import('./replay.js'),
      ]);
      Runtime.install({ logger: new DefaultLogger('ERROR') });
      const outcomes = await replayFromServer(
        await context(),
        { workflowId, query: o.query },
        { workflowsPath: WORKFLOWS_PATH, dataConverter: dataConverterFor(loadConfig()) },
      );
      out(program, outcomes, () => replayText(outcomes));
      if (outcomes.some((r) => !r.deterministic)) process.exitCode = 1;
    });

  program
    .command('show')
    .description('the history of an execution, decrypted with PAYLOAD_KEYS: inputs, results and failure messages')
    .argument('<workflowId>')
    .option('--run-id <runId>', 'a specific run (default: the latest)')
    .action(async (id: string, o: { runId?: string }) => {
      const events = await showHistory(await context(), id, o.runId);
      out(program, events, () =>
        events
          .map((e) => `#${e.eventId.padEnd(4)} ${e.time ?? ''}  ${e.eventType}  ${JSON.stringify(e.attributes)}\n`)
          .join(''),
      );
    });

  program
    .command('keys')
    .description('payload encryption keys (PAYLOAD_KEYS)')
    .command('check')
    .description(
      'list open executions whose history, and schedules whose action or memo, use a key id not in PAYLOAD_KEYS, and ' +
        'closed executions whose memo does: run it with the new key list before removing a key (exit code 1 if an ' +
        'open execution or a schedule needs one)',
    )
    .option('--query <visibility query>', 'an extra visibility clause, ANDed')
    .action(async (o: { query?: string }) => {
      const config = loadConfig();
      const configured = config.payloads.keys.map((k) => k.id);
      const report = await checkKeys(await context(), {
        configured,
        query: o.query,
        schedulePrefix: config.temporal.taskQueuePrefix,
      });
      out(program, report, () => keysText(report, configured));
      if (report.missing.length || report.schedules.length || report.truncated) process.exitCode = 1;
    });

  program
    .command('credentials')
    .description(
      'every credential (webhook secrets, API keys, secret URLs, tokens, keys) with its owner, kind, storage, expiry, ' +
        'state and rotation runbook, never a value (exit code 1 if one is expired or broken)',
    )
    .action(async () => {
      // From the config, and from Temporal only for a selected OAuth connection's state: with Temporal down, the
      // rest is still shown, and the connection is broken with the reason.
      const states = await credentialReport(loadConfig(), async () => (await context()).client);
      out(program, states, () => credentialsText(states));
      if (states.some((s) => s.state === 'expired' || s.state === 'broken')) process.exitCode = 1;
    });

  const dlq = program
    .command('sync-dlq')
    .description(
      "the contact sync's dead-letter list: records the email platform or the CRM refused while the rest synced",
    );
  const target = () => ({ prefix: loadConfig().temporal.taskQueuePrefix });
  dlq
    .command('list')
    .description('the rejected records, with the error, first/last seen and attempts')
    .action(async () => {
      const list = await listDeadLetters(await context(), target());
      out(program, list, () => deadLettersText(list));
    });
  dlq
    .command('retry')
    .description(
      're-send one record (or all) through the same activity; delivered ones leave the list (exit code 1, NOT ' +
        'RETRIED, while a sync run is writing)',
    )
    .argument('[id]', 'the record (CRM contact id); all of them when omitted')
    .action(async (id: string | undefined) => {
      const report = await retryDeadLetters(await context(), target(), { id });
      out(program, report, () => retryText(report));
      if (report.rejected.length || report.running || report.busy) process.exitCode = 1;
    });
  dlq
    .command('drop')
    .description('take a record off the list without sending it (e.g. it was fixed by hand)')
    .argument('<id>', 'the record (CRM contact id)')
    .action(async (id: string) => {
      const dropped = await dropDeadLetter(await context(), target(), id);
      out(
        program,
        dropped,
        () => `dropped ${shown(dropped.id)} (${dropped.attempts} attempt(s), last error: ${shown(dropped.error)})\n`,
      );
    });

  return program;
}

async function main(): Promise<void> {
  try {
    await buildProgram().parseAsync(process.argv);
  } finally {
    await opened?.close();
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(
      printable(`ops: ${err instanceof OpsInputError ? '' : 'failed: '}${message}\n`, { multiline: true }),
    );
    process.exit(err instanceof OpsInputError ? 2 : 1);
  });
}

import { Client, Connection } from '@temporalio/client';
import { Command } from 'commander';
import { loadConfig } from '../config';
import { dataConverterFor } from '../temporal/codec';
import { connectionOptions, resolveTemporalTarget } from '../temporal/connection';
import { applySchedules } from './apply';
import {
  backfillSchedule,
  describeSchedule,
  listSchedules,
  pauseSchedule,
  triggerSchedule,
  unpauseSchedule,
} from './commands';
import { scheduleDefinitions } from './definitions';

// `npm run schedules -- <command>`: the declared schedules against the configured Temporal namespace.

function parseDate(value: string): Date {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new Error(`not a date: ${value} (use ISO 8601, e.g. 2025-01-31T00:00:00Z)`);
  return date;
}

function print(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

async function withClient<T>(fn: (client: Client, definitions: ReturnType<typeof scheduleDefinitions>) => Promise<T>) {
  const config = loadConfig();
  const target = resolveTemporalTarget(config, process.env);
  const connection = await Connection.connect(connectionOptions(target));
  try {
    const client = new Client({ connection, namespace: target.namespace, dataConverter: dataConverterFor(config) });
    return await fn(client, scheduleDefinitions(config));
  } finally {
    await connection.close();
  }
}

const program = new Command('schedules').description('Temporal Schedules declared in src/schedules/definitions.ts');

program
  .command('apply')
  .description('create missing schedules, update drifted ones; paused state is left alone')
  .action(() => withClient(async (client, defs) => print(await applySchedules(client, defs))));

program
  .command('list')
  .description('each schedule with its next runs and the result of its recent ones')
  .action(() =>
    withClient(async (client, defs) => {
      for (const s of await listSchedules(client, defs)) {
        const state = !s.exists ? 'MISSING (run apply)' : s.paused ? `PAUSED: ${s.note ?? ''}` : 'active';
        process.stdout.write(`${s.id}  ${state}${s.drifted ? '  DRIFTED (run apply)' : ''}\n`);
        process.stdout.write(`  next:   ${s.nextRuns.join(', ') || '-'}\n`);
        for (const r of s.recentRuns)
          process.stdout.write(`  ran:    ${r.scheduledAt}  ${r.status}  ${r.workflowId}\n`);
      }
    }),
  );

program
  .command('describe <id>')
  .description('one schedule in detail; for the contact sync, its watermark and last conflicts')
  .action((id: string) => withClient(async (client, defs) => print(await describeSchedule(client, defs, id))));

program
  .command('pause <id>')
  .description('pause a schedule; the note says why (and records when)')
  .requiredOption('--note <text>', 'why it is paused')
  .action((id: string, opts: { note: string }) =>
    withClient(async (client) => print({ paused: id, note: await pauseSchedule(client, id, opts.note) })),
  );

program.command('unpause <id>').action((id: string) =>
  withClient(async (client) => {
    await unpauseSchedule(client, id);
    print({ unpaused: id });
  }),
);

program
  .command('trigger <id>')
  .description('run the action now')
  .action((id: string) =>
    withClient(async (client) => {
      await triggerSchedule(client, id);
      print({ triggered: id });
    }),
  );

program
  .command('backfill <id>')
  .description('take the actions the schedule would have taken in a past window')
  .requiredOption('--from <iso>', 'start of the window', parseDate)
  .requiredOption('--to <iso>', 'end of the window', parseDate)
  .action((id: string, opts: { from: Date; to: Date }) =>
    withClient(async (client) => {
      await backfillSchedule(client, id, opts.from, opts.to);
      print({ backfilled: id, from: opts.from.toISOString(), to: opts.to.toISOString() });
    }),
  );

program.parseAsync().catch((err: unknown) => {
  process.stderr.write(`schedules: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});

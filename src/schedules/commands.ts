import { type Client, type ScheduleDescription, WorkflowNotFoundError } from '@temporalio/client';
import type { Conflict } from '../domain/ownership';
import { type SyncStateSnapshot, syncStateQuery } from '../contracts/sync-state';
import { readingClient } from '../temporal/reading-client';
import { appliedFingerprint, fingerprint } from './apply';
import type { ScheduleDefinition } from './definitions';

// The operator's view of the schedules, shared by the CLI and the tests: each function returns data, the CLI prints.
// Schedules and their runs are described through a reading client: a memo or argument under a removed key is marked
// (and the schedule shows as drifted, which `apply` rewrites) instead of failing the whole view.

export interface RecentRun {
  workflowId: string;
  scheduledAt: string;
  status: string;
}

export interface ScheduleSummary {
  id: string;
  declared: boolean;
  exists: boolean;
  drifted: boolean;
  paused: boolean;
  note: string | null;
  nextRuns: string[];
  recentRuns: RecentRun[];
}

export interface ScheduleDetails extends ScheduleSummary {
  workflowType: string | null;
  spec: unknown;
  overlap: string | null;
  catchupWindowMs: number | null;
  syncState?: SyncStateSnapshot;
  lastConflicts?: Conflict[];
}

async function recentRuns(client: Client, description: ScheduleDescription, limit: number): Promise<RecentRun[]> {
  const actions = [...description.info.recentActions].sort((a, b) => b.takenAt.getTime() - a.takenAt.getTime());
  const runs: RecentRun[] = [];
  for (const action of actions.slice(0, limit)) {
    const workflowId = action.action.workflow.workflowId;
    let status: string;
    try {
      status = (await readingClient(client).workflow.getHandle(workflowId).describe()).status.name;
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
      status = 'NOT_FOUND (retention passed)';
    }
    runs.push({ workflowId, scheduledAt: action.scheduledAt.toISOString(), status });
  }
  return runs;
}

async function describeOrUndefined(client: Client, id: string): Promise<ScheduleDescription | undefined> {
  try {
    return await readingClient(client).schedule.getHandle(id).describe();
  } catch (err) {
    if ((err as Error).name === 'ScheduleNotFoundError') return undefined;
    throw err;
  }
}

async function summarize(
  client: Client,
  id: string,
  def: ScheduleDefinition | undefined,
  description: ScheduleDescription | undefined,
  runs: number,
): Promise<ScheduleSummary> {
  return {
    id,
    declared: Boolean(def),
    exists: Boolean(description),
    drifted: Boolean(def && description && appliedFingerprint(description) !== fingerprint(def)),
    paused: description?.state.paused ?? false,
    note: description?.state.note ?? null,
    nextRuns: (description?.info.nextActionTimes ?? []).slice(0, 3).map((d) => d.toISOString()),
    recentRuns: description ? await recentRuns(client, description, runs) : [],
  };
}

/** Every declared schedule, with its next runs and the status of its recent ones. */
export async function listSchedules(client: Client, definitions: ScheduleDefinition[]): Promise<ScheduleSummary[]> {
  const out: ScheduleSummary[] = [];
  for (const def of definitions)
    out.push(await summarize(client, def.id, def, await describeOrUndefined(client, def.id), 5));
  return out;
}

/** One schedule in detail; for a sync, its watermark and the conflicts of its last successful run. */
export async function describeSchedule(
  client: Client,
  definitions: ScheduleDefinition[],
  id: string,
): Promise<ScheduleDetails> {
  const def = definitions.find((d) => d.id === id);
  const description = await describeOrUndefined(client, id);
  if (!def && !description) throw new Error(`no schedule ${id} is declared or exists`);
  const summary = await summarize(client, id, def, description, 10);
  const action = description?.action as { workflowType?: string } | undefined;
  const details: ScheduleDetails = {
    ...summary,
    workflowType: action?.workflowType ?? def?.workflowType ?? null,
    spec: description?.spec ?? def?.spec ?? null,
    overlap: description?.policies.overlap ?? null,
    catchupWindowMs: description?.policies.catchupWindow ?? null,
  };
  if (def?.syncStateId) {
    try {
      details.syncState = await client.workflow.getHandle(def.syncStateId).query(syncStateQuery);
      details.lastConflicts = details.syncState.lastConflicts;
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
  }
  return details;
}

/** Pauses with a note that records when, so the watchdog can tell how long it has been paused. */
export async function pauseSchedule(client: Client, id: string, note: string, now = new Date()): Promise<string> {
  const full = `${note} (paused at ${now.toISOString()})`;
  await client.schedule.getHandle(id).pause(full);
  return full;
}

export async function unpauseSchedule(client: Client, id: string, note = 'unpaused'): Promise<void> {
  await client.schedule.getHandle(id).unpause(note);
}

/** Runs the schedule's action now, under its own overlap policy. */
export async function triggerSchedule(client: Client, id: string): Promise<void> {
  const description = await readingClient(client).schedule.getHandle(id).describe();
  await client.schedule.getHandle(id).trigger(description.policies.overlap);
}

/** Takes every action the schedule would have taken between `from` and `to` (each run gets its nominal time). */
export async function backfillSchedule(client: Client, id: string, from: Date, to: Date): Promise<void> {
  if (!(from < to)) throw new Error('--from must be before --to');
  await client.schedule.getHandle(id).backfill({ start: from, end: to, overlap: 'ALLOW_ALL' });
}

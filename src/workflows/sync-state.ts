import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  defineQuery,
  defineUpdate,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Conflict } from '../domain/ownership';

// The durable watermark of a sync: a long-lived workflow per sync that each run reads (query) and advances (update)
// only after it succeeded. A skipped, paused, late or failed run leaves it where it was, so the next run resumes from
// the last successful position rather than from "now minus 24 h".

export interface Watermarks {
  /** Highest `updated_at` of the CRM's contacts the last successful run read, or null before the first. */
  crm: string | null;
  /** The same for the email platform's contacts. */
  email: string | null;
}

export interface SyncRunSummary {
  workflowId: string;
  runId: string;
  finishedAt: string;
  sentToEmail: number;
  patchedInCrm: number;
  conflictCount: number;
}

export interface SyncStateSnapshot {
  watermarks: Watermarks;
  lastSuccess: SyncRunSummary | null;
  /** The conflicts of the last successful run (capped), for `npm run schedules -- describe`. */
  lastConflicts: Conflict[];
}

export interface AdvanceSync {
  watermarks: Watermarks;
  run: SyncRunSummary;
  conflicts: Conflict[];
}

export const syncStateQuery = defineQuery<SyncStateSnapshot>('syncState');
export const advanceSyncUpdate = defineUpdate<SyncStateSnapshot, [AdvanceSync]>('advanceSync');

export const EMPTY_SYNC_STATE: SyncStateSnapshot = {
  watermarks: { crm: null, email: null },
  lastSuccess: null,
  lastConflicts: [],
};

/** The workflow id of the state of `sync` for the deployment whose task queues start with `prefix`. */
export function syncStateId(prefix: string, sync: string): string {
  return `${prefix}sync-state:${sync}`;
}

const behind = (next: string | null, current: string | null) => current !== null && (next === null || next < current);

/** Holds one sync's watermark forever, continuing as new before its history grows long. */
export async function syncState(initial: SyncStateSnapshot = EMPTY_SYNC_STATE): Promise<never> {
  let state = initial;
  setHandler(syncStateQuery, () => state);
  setHandler(
    advanceSyncUpdate,
    (advance) => {
      state = {
        watermarks: advance.watermarks,
        lastSuccess: advance.run,
        lastConflicts: advance.conflicts,
      };
      return state;
    },
    {
      validator: (advance) => {
        // A late or replayed update must never move the watermark back and re-expose changes as "new".
        if (
          behind(advance.watermarks.crm, state.watermarks.crm) ||
          behind(advance.watermarks.email, state.watermarks.email)
        ) {
          throw ApplicationFailure.nonRetryable('a watermark never moves backwards', 'WatermarkBackwards');
        }
      },
    },
  );
  await condition(() => workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > 1000);
  await condition(allHandlersFinished);
  return continueAsNew<typeof syncState>(state);
}

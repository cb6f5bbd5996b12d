import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { Conflict } from '../domain/ownership';

// The contract of the sync-state workflow: the shapes and the query/update that the syncState workflow handles and
// that the activities, the schedules CLI and the watchdog call. Both sides import it; it imports neither.

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

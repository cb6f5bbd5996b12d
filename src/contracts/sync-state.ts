import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { Conflict, ContactValues } from '../domain/ownership';

// The contract of the sync-state workflow: the shapes and the query/update that the syncState workflow handles and
// that the activities, the schedules CLI and the watchdog call. Both sides import it; it imports neither.

/** One contact as the sync upserts it to the email platform. */
export interface ContactUpsert extends ContactValues {
  /** The CRM id, the email platform's external_id. */
  externalId: string;
  /** The latest change by a person this write carries: part of its idempotency key, never sent as a field. */
  version?: string;
}

/** One contact's values as the sync PATCHes them into the CRM, with the change time they carry (as above). */
export interface CrmPatch {
  id: string;
  values: ContactValues;
  version?: string;
}

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

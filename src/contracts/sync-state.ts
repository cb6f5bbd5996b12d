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
  /** For a re-send from the dead-letter list: the attempts made so far, so each retry is a write of its own. */
  attempt?: number;
}

/** One contact's values as the sync PATCHes them into the CRM, with the change time they carry (as above). */
export interface CrmPatch {
  id: string;
  values: ContactValues;
  version?: string;
  /** For a re-send from the dead-letter list: the attempts made so far, so each retry is a write of its own. */
  attempt?: number;
  /**
   * The contact's address on the email platform, never sent: what `sync-dlq list` shows and what the dead-letter
   * alert names by its hash, since a consent-only patch carries no address of its own.
   */
  email?: string;
}

/** The systems a sync writes to, each with the activity that writes one batch of records to it. */
export const DEAD_LETTER_ACTIVITIES = { 'email-platform': 'upsertEmailContacts', crm: 'patchCrmContacts' } as const;
export type DeadLetterSystem = keyof typeof DEAD_LETTER_ACTIVITIES;

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

/** A record a downstream system rejected on its own while the rest of its batch went through. */
export type DeadLetter = DeadLetterEntry &
  (
    | { system: 'email-platform'; activity: 'upsertEmailContacts'; record: ContactUpsert }
    | { system: 'crm'; activity: 'patchCrmContacts'; record: CrmPatch }
  );

interface DeadLetterEntry {
  /**
   * The record's id in the sync (the CRM id): one entry per record and system. `system` is the one that refused it,
   * `record` the record as it was last sent: `sync-dlq retry` sends it again through the same activity (`activity`).
   */
  id: string;
  /** What the system answered for it the last time. */
  error: string;
  firstSeen: string;
  lastSeen: string;
  /** Times it was sent and rejected: by sync runs that read it, and by retries. */
  attempts: number;
}

export interface SyncStateSnapshot {
  watermarks: Watermarks;
  lastSuccess: SyncRunSummary | null;
  /** The conflicts of the last successful run (capped), for `npm run schedules -- describe`. */
  lastConflicts: Conflict[];
  /** Records a system rejected, oldest first; bounded by MAX_DEAD_LETTERS and MAX_DEAD_LETTER_BYTES. */
  deadLetters: DeadLetter[];
  /** Rejected records that were not kept because the list was full (they were alerted). */
  deadLettersNotKept: number;
  /** The one execution allowed to write the sync's records now (a run, or a dead-letter retry); null when none. */
  writer?: SyncWriter | null;
}

/**
 * The execution that holds the sync's single-writer lease. Its records go out in the order it decided; anything else
 * that would write the same records (a dead-letter retry, another run) waits or is refused until it is done.
 */
export interface SyncWriter {
  workflowId: string;
  runId: string;
  kind: 'sync' | 'retry';
  since: string;
}

export interface ClaimWriter {
  writer: SyncWriter;
  /** The workflow id of a holder the caller found closed (it failed or was terminated): its lease is taken over. */
  replacing?: string;
}

/** Granted, or the holder that keeps the lease. A claim by the holder's own workflow id (a continued run) is granted. */
export type ClaimedWriter = { granted: true } | { granted: false; holder: SyncWriter };

/** What one page of a sync (or a retry) learned about records and the dead-letter list. */
export type SettleDeadLetters = (
  | {
      /** The system that answered (absent: the email platform, as before the CRM's refusals were listed). */
      system?: 'email-platform';
      /** Records the system rejected, with what it said. */
      rejected: Array<{ record: ContactUpsert; error: string }>;
    }
  | { system: 'crm'; rejected: Array<{ record: CrmPatch; error: string }> }
) & {
  /** Ids the system accepted: they leave its part of the list if they were on it. */
  delivered: string[];
};

export interface SettledDeadLetters {
  /** Entries new to the list: the ones to alert about, once. */
  added: DeadLetter[];
  /** Rejected records refused because the list is full. */
  notKept: string[];
  /** Ids that left the list because they were delivered. */
  removed: string[];
  /** The ids on the list now, of the system that was settled. */
  ids: string[];
}

/** At most this many records are kept, and at most this many bytes of them (UTF-8 JSON), so state stays small. */
export const MAX_DEAD_LETTERS = 500;
export const MAX_DEAD_LETTER_BYTES = 256 * 1024;

export interface AdvanceSync {
  watermarks: Watermarks;
  run: SyncRunSummary;
  conflicts: Conflict[];
}

export const syncStateQuery = defineQuery<SyncStateSnapshot>('syncState');
export const advanceSyncUpdate = defineUpdate<SyncStateSnapshot, [AdvanceSync]>('advanceSync');
export const settleDeadLettersUpdate = defineUpdate<SettledDeadLetters, [SettleDeadLetters]>('settleDeadLetters');
/**
 * Removes a record from the dead-letter list and returns it; refused for an id that is not on it. A record listed for
 * both systems leaves both entries; the older is returned.
 */
export const dropDeadLetterUpdate = defineUpdate<DeadLetter, [string]>('dropDeadLetter');
/** Takes the single-writer lease of the sync (see SyncWriter). */
export const claimWriterUpdate = defineUpdate<ClaimedWriter, [ClaimWriter]>('claimSyncWriter');
/** Gives the lease back; a call by anyone but the holder (by workflow id) changes nothing. */
export const releaseWriterUpdate = defineUpdate<void, [string]>('releaseSyncWriter');

export const EMPTY_SYNC_STATE: SyncStateSnapshot = {
  watermarks: { crm: null, email: null },
  lastSuccess: null,
  lastConflicts: [],
  deadLetters: [],
  deadLettersNotKept: 0,
  writer: null,
};

/** The sync state's workflow id: built where every workflow id is (workflow-ids.ts). */
export { syncStateId } from './workflow-ids';

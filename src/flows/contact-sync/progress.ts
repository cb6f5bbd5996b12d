import { log, patched } from '@temporalio/workflow';
import type { DeadLetter, SyncStateSnapshot, SyncWriter, Watermarks } from '../../contracts/sync-state';
import type { Conflict, ContactSide, ContactValues } from '../../domain/ownership';

/**
 * Email-platform changes held in workflow state while the CRM's pages are settled, in bytes (UTF-8 JSON). Past it
 * the sync reads the other side per page instead (see `lookup`), so what continueAsNew carries stays small.
 */
export const PENDING_BUDGET_BYTES = 256 * 1024;

/** The patch that lets a run switch to reading the other side per page when its email-side changes outgrow memory. */
export const BOUNDED_PENDING = 'contact-sync-bounded-pending';

export interface ContactSyncTotals {
  crmScanned: number;
  emailScanned: number;
  sentToEmail: number;
  upsertCalls: number;
  patchedInCrm: number;
  conflicts: number;
  unlinked: number;
  /** Records the email platform rejected on their own: on the dead-letter list, the rest went through. */
  rejected: number;
  /** Consent patches the CRM refused on their own (e.g. the contact was deleted there): on the dead-letter list. */
  refusedByCrm: number;
}

export interface Pending {
  side: ContactSide;
  /** Set once the CRM side was seen and the conflict settled: what remains to PATCH into the CRM. */
  patch?: ContactValues | null;
  /** The version of that patch (both sides' latest change). */
  version?: string;
}

export interface ContactSyncProgress {
  phase: 'email' | 'crm' | 'patch' | 'done';
  since: Watermarks;
  seen: Watermarks;
  cursor: string | null;
  /** Email-platform changes read in the first phase, by CRM id, until they are settled against the CRM's. */
  pending: Record<string, Pending>;
  /** The size of `pending` (UTF-8 JSON), kept under PENDING_BUDGET_BYTES. */
  pendingBytes?: number;
  /**
   * Set once the email-side changes outgrew the budget: nothing is held. Each CRM page reads the email side of its
   * contacts, and the last phase pages through the email platform's changes again, reading the CRM side of each page.
   */
  lookup?: boolean;
  conflictBytes?: number;
  totals: ContactSyncTotals;
  conflicts: Conflict[];
  /** The ids on the email platform's part of the dead-letter list, so a listed record that now goes through leaves it. */
  deadLetterIds: string[];
  /** The same for the CRM's part (absent in a run continued from before the CRM's refusals were listed). */
  crmDeadLetterIds?: string[];
  runs: number;
  startedAt: number;
}

export interface ContactSyncInput {
  /** Continue as new once the history has this many events (default 2,000). */
  historyLimit?: number;
  /** Set by continueAsNew only. */
  progress?: ContactSyncProgress;
  /** Instead of syncing, re-send records on the dead-letter list (`sync-dlq retry`): these ids, or all of them. */
  retryDeadLetters?: { ids?: string[] };
}

export interface DeadLetterRetryResult {
  delivered: string[];
  /** Still rejected: they stay on the list, one attempt more. */
  rejected: Array<{ id: string; error: string }>;
  /** Asked for but not on the list. */
  missing: string[];
  /** Set when nothing was sent because another execution holds the sync's writer lease (a run is writing). */
  busy?: SyncWriter;
}

export interface ContactSyncResult extends ContactSyncTotals {
  watermarks: Watermarks;
  conflictList: Conflict[];
  runs: number;
  durationMs: number;
  /** Set for a dead-letter retry. */
  retried?: DeadLetterRetryResult;
}

/** What one run ends with: the sync's result, or the progress the next run of its chain starts from. */
export type Outcome = { result: ContactSyncResult } | { continueWith: ContactSyncProgress };

export const EMPTY_TOTALS: ContactSyncTotals = {
  crmScanned: 0,
  emailScanned: 0,
  sentToEmail: 0,
  upsertCalls: 0,
  patchedInCrm: 0,
  conflicts: 0,
  unlinked: 0,
  rejected: 0,
  refusedByCrm: 0,
};

export const later = (a: string | null, b: string | null) => (a === null ? b : b === null || a > b ? a : b);

const encoder = new TextEncoder();
export const bytesOf = (value: unknown) => encoder.encode(JSON.stringify(value)).length;

const listedIds = (entries: DeadLetter[] | undefined, system: DeadLetter['system']) =>
  (entries ?? []).filter((e) => e.system === system).map((e) => e.id);

/** The progress of a run that starts a sync, from the watermarks and dead-letter list in the sync state. */
export function startProgress(snapshot: SyncStateSnapshot): ContactSyncProgress {
  return {
    phase: 'email',
    since: snapshot.watermarks,
    seen: { ...snapshot.watermarks },
    cursor: null,
    pending: {},
    totals: { ...EMPTY_TOTALS },
    conflicts: [],
    deadLetterIds: listedIds(snapshot.deadLetters, 'email-platform'),
    crmDeadLetterIds: listedIds(snapshot.deadLetters, 'crm'),
    runs: 1,
    startedAt: Date.now(),
  };
}

/** The progress of a continued run; a run continued from an older version lacks the fields added since. */
export function resumeProgress(progress: ContactSyncProgress): ContactSyncProgress {
  return {
    ...progress,
    totals: { ...EMPTY_TOTALS, ...progress.totals },
    deadLetterIds: progress.deadLetterIds ?? [],
    runs: progress.runs + 1,
  };
}

/**
 * Drops what is held of the email side and reads it per page from here on. The CRM pages still to come read it per
 * page; the last phase pages through all of the email platform's changes (again), so its counts start over.
 */
export function switchToLookup(p: ContactSyncProgress): void {
  log.info('contact sync: email-side changes outgrew the budget; reading them per page', {
    phase: p.phase,
    pendingBytes: p.pendingBytes,
    budget: PENDING_BUDGET_BYTES,
  });
  p.lookup = true;
  p.pending = {};
  p.pendingBytes = 0;
  p.totals.emailScanned = 0;
  p.totals.unlinked = 0;
  // A CRM phase under way keeps its cursor; the email feed is read again from the start in the last phase.
  if (p.phase === 'email') {
    p.phase = 'crm';
    p.cursor = null;
  } else if (p.phase === 'patch') p.cursor = null;
}

/**
 * The outcome that continues the run as new with `progress`. Checked against the budget first: a run from before
 * the budget may carry more than it allows.
 */
export function carry(progress: ContactSyncProgress): Outcome {
  if (!progress.lookup && bytesOf(progress.pending) > PENDING_BUDGET_BYTES && patched(BOUNDED_PENDING)) {
    switchToLookup(progress);
  }
  return { continueWith: progress };
}

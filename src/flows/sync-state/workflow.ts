import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import {
  advanceSyncUpdate,
  claimWriterUpdate,
  type DeadLetter,
  dropDeadLetterUpdate,
  EMPTY_SYNC_STATE,
  MAX_DEAD_LETTER_BYTES,
  MAX_DEAD_LETTERS,
  settleDeadLettersUpdate,
  type SettledDeadLetters,
  releaseWriterUpdate,
  type SyncStateSnapshot,
  syncStateQuery,
} from '../../contracts/sync-state';

// The durable watermark of a sync: a long-lived workflow per sync that each run reads (query) and advances (update)
// only after it succeeded. A skipped, paused, late or failed run leaves it where it was, so the next run resumes from
// the last successful position rather than from "now minus 24 h". It also keeps the sync's dead-letter list: records
// a system rejected on their own, kept with what it said until they are delivered, retried or dropped; and the sync's
// single-writer lease, so a dead-letter retry never writes a record while a run is writing newer versions of it.

export { syncStateId, type Watermarks } from '../../contracts/sync-state';

const behind = (next: string | null, current: string | null) => current !== null && (next === null || next < current);

/** Longer answers are cut: the record is what a retry needs, the message only what a person reads. */
const MAX_ERROR_LENGTH = 500;

const encoder = new TextEncoder();
const bytesOf = (value: unknown) => encoder.encode(JSON.stringify(value)).length;

const bounded = (error: string) => (error.length > MAX_ERROR_LENGTH ? `${error.slice(0, MAX_ERROR_LENGTH)}…` : error);

function entryOf(id: string, error: string, now: string) {
  return { id, error: bounded(error), firstSeen: now, lastSeen: now, attempts: 1 };
}

/** Holds one sync's watermark forever, continuing as new before its history grows long. */
export async function syncState(initial: SyncStateSnapshot = EMPTY_SYNC_STATE): Promise<never> {
  // A run continued from before the dead-letter list existed starts with an empty one.
  let state: SyncStateSnapshot = { ...EMPTY_SYNC_STATE, ...initial };
  setHandler(syncStateQuery, () => state);
  setHandler(
    advanceSyncUpdate,
    (advance) => {
      state = {
        ...state,
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
  setHandler(settleDeadLettersUpdate, (settle) => {
    const system = settle.system ?? 'email-platform';
    const now = new Date(Date.now()).toISOString();
    const settled: SettledDeadLetters = { added: [], notKept: [], removed: [], ids: [] };
    const gone = new Set(settle.delivered);
    const entries = state.deadLetters.filter((e) => {
      if (e.system !== system || !gone.has(e.id)) return true;
      settled.removed.push(e.id);
      return false;
    });
    let bytes = entries.reduce((n, e) => n + bytesOf(e), 0);
    const rejected: Array<{ id: string; listed: DeadLetter; error: string }> =
      settle.system === 'crm'
        ? settle.rejected.map(({ record, error }) => ({
            id: record.id,
            error,
            listed: { ...entryOf(record.id, error, now), system: 'crm', activity: 'patchCrmContacts', record },
          }))
        : settle.rejected.map(({ record, error }) => ({
            id: record.externalId,
            error,
            listed: {
              ...entryOf(record.externalId, error, now),
              system: 'email-platform',
              activity: 'upsertEmailContacts',
              record,
            },
          }));
    for (const { id, error, listed } of rejected) {
      const existing = entries.find((e) => e.id === id && e.system === system);
      if (existing) {
        bytes -= bytesOf(existing);
        Object.assign(existing, { record: listed.record, error: bounded(error), lastSeen: now });
        existing.attempts += 1;
        bytes += bytesOf(existing);
        continue;
      }
      const size = bytesOf(listed);
      if (entries.length >= MAX_DEAD_LETTERS || bytes + size > MAX_DEAD_LETTER_BYTES) {
        settled.notKept.push(id);
        continue;
      }
      entries.push(listed);
      bytes += size;
      settled.added.push(listed);
    }
    state = {
      ...state,
      deadLetters: entries,
      deadLettersNotKept: state.deadLettersNotKept + settled.notKept.length,
    };
    settled.ids = entries.filter((e) => e.system === system).map((e) => e.id);
    return settled;
  });
  setHandler(
    dropDeadLetterUpdate,
    (id) => {
      const dropped = state.deadLetters.find((e) => e.id === id)!;
      // Every entry of the id: the person fixed the contact, whichever system refused it.
      state = { ...state, deadLetters: state.deadLetters.filter((e) => e.id !== id) };
      return dropped;
    },
    {
      validator: (id) => {
        if (!state.deadLetters.some((e) => e.id === id)) {
          throw ApplicationFailure.nonRetryable(`no record ${id} on the dead-letter list`, 'DeadLetterNotFound');
        }
      },
    },
  );
  setHandler(claimWriterUpdate, ({ writer, replacing }) => {
    const holder = state.writer;
    if (holder && holder.workflowId !== writer.workflowId && holder.workflowId !== replacing) {
      return { granted: false, holder };
    }
    state = { ...state, writer };
    return { granted: true };
  });
  setHandler(releaseWriterUpdate, (workflowId) => {
    if (state.writer?.workflowId === workflowId) state = { ...state, writer: null };
  });
  await condition(() => workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > 1000);
  await condition(allHandlersFinished);
  return continueAsNew<typeof syncState>(state);
}

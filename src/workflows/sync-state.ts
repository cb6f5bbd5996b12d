import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { advanceSyncUpdate, EMPTY_SYNC_STATE, type SyncStateSnapshot, syncStateQuery } from '../contracts/sync-state';

// The durable watermark of a sync: a long-lived workflow per sync that each run reads (query) and advances (update)
// only after it succeeded. A skipped, paused, late or failed run leaves it where it was, so the next run resumes from
// the last successful position rather than from "now minus 24 h".

export { syncStateId, type Watermarks } from '../contracts/sync-state';

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

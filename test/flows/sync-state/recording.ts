import { queueFor } from '../../../src/contracts/task-queues';
import {
  advanceSyncUpdate,
  EMPTY_SYNC_STATE,
  syncStateId,
  syncStateQuery,
  type AdvanceSync,
} from '../../../src/contracts/sync-state';
import { type Harness, defineRecording } from '../recording';

// How `npm run record-histories` drives syncState through its scenarios (test/flows/recording.ts).

function advance(n: number): AdvanceSync {
  const at = new Date(Date.UTC(2025, 0, 1, 0, 0, n)).toISOString();
  return {
    watermarks: { crm: at, email: at },
    conflicts: [],
    run: {
      workflowId: `contact-sync-${n}`,
      runId: `run-${n}`,
      finishedAt: at,
      sentToEmail: n,
      patchedInCrm: 0,
      conflictCount: 0,
    },
  };
}

/** Started as contactSync's activities start it; nobody waits for a result that never comes. */
function startSyncState(h: Harness, workflowId: string) {
  return h.client.workflow.start('syncState', {
    workflowId,
    taskQueue: queueFor(h.config.temporal.taskQueuePrefix, 'orchestration'),
    args: [EMPTY_SYNC_STATE],
  });
}

function syncStateIdFor(h: Harness, id: string): string {
  return syncStateId(h.config.temporal.taskQueuePrefix, id);
}

// syncState holds a watermark forever (no activities, nothing to fault, no error path): its runs either keep going
// or continue as new, so it records a running history driven through reads and updates, and a run that reached its
// history limit.
export const recording = defineRecording({
  scenarios: ['success', 'continued'],
  steps: {
    // Started as contactSync's activities start it, read (queries leave no events) and advanced twice; recorded while
    // it runs, as it always does.
    success: async (h, id) => {
      const workflowId = syncStateIdFor(h, id);
      const handle = await startSyncState(h, workflowId);
      await handle.query(syncStateQuery);
      await handle.executeUpdate(advanceSyncUpdate, { args: [advance(1)] });
      await handle.executeUpdate(advanceSyncUpdate, { args: [advance(2)] });
      await handle.query(syncStateQuery);
      return workflowId;
    },
    // Advanced until its history passes the limit: the run waits for its handlers, then continues as new with the
    // state. The first run's history (closed by ContinueAsNew) is the one recorded.
    continued: async (h, id) => {
      const workflowId = syncStateIdFor(h, id);
      const handle = await startSyncState(h, workflowId);
      const { runId } = await handle.describe();
      for (let n = 1; ; n += 1) {
        await handle.executeUpdate(advanceSyncUpdate, { args: [advance(n)] });
        const d = await h.client.workflow.getHandle(workflowId, runId).describe();
        if (d.status.name !== 'RUNNING') break;
        if (n > 1000) throw new Error('syncState did not continue as new');
      }
      return { workflowId, runId };
    },
  },
});

import { Context } from '@temporalio/activity';
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import type { ScheduleObservation, WatchedSchedule } from '../contracts/schedules';
import { readingClient } from '../temporal/reading-client';
import {
  type AdvanceSync,
  advanceSyncUpdate,
  type ClaimedWriter,
  claimWriterUpdate,
  EMPTY_SYNC_STATE,
  releaseWriterUpdate,
  type SettleDeadLetters,
  type SettledDeadLetters,
  settleDeadLettersUpdate,
  type SyncStateSnapshot,
  type SyncWriter,
  syncStateQuery,
} from '../contracts/sync-state';
import type { ActivityDoc } from './declare';
import type { CredentialProblem } from './credentials';

// Activities that talk to Temporal itself, on the orchestration queue: the sync watermark kept in a workflow, and the
// schedule inspection the watchdog judges.

const TERMINAL_FAILURES = new Set(['FAILED', 'TIMED_OUT', 'TERMINATED', 'CANCELLED']);

export function createTemporalActivities(deps: {
  temporal: Client;
  /** The credentials this worker finds expiring, expired or broken (src/kit/credentials.ts); none without it. */
  credentialProblems?: () => Promise<CredentialProblem[]>;
}) {
  async function stateHandle(workflowId: string, taskQueue: string) {
    const handle = deps.temporal.workflow.getHandle(workflowId);
    let initial = EMPTY_SYNC_STATE;
    try {
      const { status } = await handle.describe();
      if (status.name === 'RUNNING') return handle;
      // The state workflow closed (an operator terminated it, it failed or timed out). Starting it empty would reset
      // the watermark to "never synced": everything would be sent again and old edits reported as conflicts. Its last
      // state is still queryable, so the new run carries it on.
      initial = await handle.query(syncStateQuery);
      Context.current().log.warn('sync state workflow was closed; its last watermark carries into a new run', {
        stateWorkflowId: workflowId,
        closedStatus: status.name,
        watermarks: initial.watermarks,
      });
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
    // USE_EXISTING makes concurrent first runs share one.
    await deps.temporal.workflow.start('syncState', {
      workflowId,
      taskQueue,
      args: [initial],
      workflowIdConflictPolicy: 'USE_EXISTING',
    });
    return handle;
  }

  // The watchdog needs only states, times and ids: read through a reading client, a schedule or a past run whose memo
  // is under a removed key is still judged, instead of failing every inspection.
  const reading = readingClient(deps.temporal);

  async function observe(watched: WatchedSchedule): Promise<ScheduleObservation> {
    let description;
    try {
      description = await reading.schedule.getHandle(watched.id).describe();
    } catch (err) {
      if ((err as Error).name !== 'ScheduleNotFoundError') throw err;
      return {
        id: watched.id,
        exists: false,
        paused: false,
        pausedSince: null,
        note: null,
        createdAt: null,
        lastRun: null,
        lastSuccessAt: null,
      };
    }
    const actions = [...description.info.recentActions].sort((a, b) => b.takenAt.getTime() - a.takenAt.getTime());
    let lastRun: ScheduleObservation['lastRun'] = null;
    let lastSuccessAt: string | null = null;
    for (const action of actions) {
      let status: string;
      let closedAt: string | null;
      try {
        const wf = await reading.workflow.getHandle(action.action.workflow.workflowId).describe();
        status = wf.status.name;
        closedAt = wf.closeTime?.toISOString() ?? null;
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) continue;
        throw err;
      }
      if (status === 'RUNNING') continue;
      const outcome = status === 'COMPLETED' ? 'completed' : TERMINAL_FAILURES.has(status) ? 'failed' : 'other';
      lastRun ??= {
        workflowId: action.action.workflow.workflowId,
        outcome,
        at: closedAt ?? action.takenAt.toISOString(),
      };
      if (outcome === 'completed') {
        lastSuccessAt = closedAt ?? action.takenAt.toISOString();
        break;
      }
    }
    if (watched.syncStateId) {
      try {
        const state = await deps.temporal.workflow.getHandle(watched.syncStateId).query(syncStateQuery);
        const at = state.lastSuccess?.finishedAt ?? null;
        if (at && (!lastSuccessAt || at > lastSuccessAt)) lastSuccessAt = at;
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
      }
    }
    const note = description.state.note ?? null;
    const pausedAt = note?.match(/\(paused at (\S+)\)$/)?.[1];
    return {
      id: watched.id,
      exists: true,
      paused: description.state.paused,
      pausedSince: description.state.paused
        ? (pausedAt ?? (description.info.lastUpdatedAt ?? description.info.createdAt).toISOString())
        : null,
      note,
      createdAt: description.info.createdAt.toISOString(),
      lastRun,
      lastSuccessAt,
    };
  }

  return {
    async readSyncState(input: { workflowId: string; taskQueue: string }): Promise<SyncStateSnapshot> {
      const handle = await stateHandle(input.workflowId, input.taskQueue);
      return handle.query(syncStateQuery);
    },

    async advanceSyncState(input: {
      workflowId: string;
      taskQueue: string;
      advance: AdvanceSync;
    }): Promise<SyncStateSnapshot> {
      const handle = await stateHandle(input.workflowId, input.taskQueue);
      return handle.executeUpdate(advanceSyncUpdate, { args: [input.advance] });
    },

    /** Records rejected records on the sync's dead-letter list and takes delivered ones off it. */
    async settleDeadLetters(input: {
      workflowId: string;
      taskQueue: string;
      settle: SettleDeadLetters;
    }): Promise<SettledDeadLetters> {
      const handle = await stateHandle(input.workflowId, input.taskQueue);
      return handle.executeUpdate(settleDeadLettersUpdate, { args: [input.settle] });
    },

    /**
     * Takes the sync's single-writer lease for `writer`, or says who holds it. A holder whose execution is no longer
     * running (it failed, timed out or was terminated before it gave the lease back) loses it to this claim.
     */
    async claimSyncWriter(input: {
      workflowId: string;
      taskQueue: string;
      writer: SyncWriter;
    }): Promise<ClaimedWriter> {
      const handle = await stateHandle(input.workflowId, input.taskQueue);
      const claimed = await handle.executeUpdate(claimWriterUpdate, { args: [{ writer: input.writer }] });
      if (claimed.granted) return claimed;
      const { holder } = claimed;
      let running: boolean;
      try {
        // The latest run of the holder's id: a run that continued as new still holds it.
        running = (await deps.temporal.workflow.getHandle(holder.workflowId).describe()).status.name === 'RUNNING';
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
        running = false;
      }
      if (running) return claimed;
      Context.current().log.warn('sync writer lease held by a closed execution; taken over', {
        stateWorkflowId: input.workflowId,
        holder: holder.workflowId,
        writer: input.writer.workflowId,
      });
      return handle.executeUpdate(claimWriterUpdate, {
        args: [{ writer: input.writer, replacing: holder.workflowId }],
      });
    },

    /** Gives the lease back, if `writer` (a workflow id) holds it. */
    async releaseSyncWriter(input: { workflowId: string; taskQueue: string; writer: string }): Promise<void> {
      const handle = await stateHandle(input.workflowId, input.taskQueue);
      await handle.executeUpdate(releaseWriterUpdate, { args: [input.writer] });
    },

    /** The credentials that are expiring, expired or broken now, by name, owner and runbook: never a value. */
    async checkCredentials(): Promise<CredentialProblem[]> {
      return (await deps.credentialProblems?.()) ?? [];
    },

    /** What the watchdog needs to know about each schedule: paused state, the last finished run, the last success. */
    async inspectSchedules(input: { schedules: WatchedSchedule[] }): Promise<ScheduleObservation[]> {
      const observations: ScheduleObservation[] = [];
      for (const watched of input.schedules) observations.push(await observe(watched));
      return observations;
    },
  };
}

export type TemporalActivities = ReturnType<typeof createTemporalActivities>;

/** Docs of the activities on the orchestration queue, which talk to Temporal (and judge the credentials). */
export const TEMPORAL_ACTIVITY_DOCS: { [K in keyof TemporalActivities]: ActivityDoc } = {
  checkCredentials: {
    does: "computes each credential's state from the worker's config, dates and state sources (never a value)",
    kind: 'read',
    profile: 'temporal',
    note: 'runs on the orchestration queue: the OAuth state sources may read Temporal',
  },
  readSyncState: {
    does: 'reads the sync watermark (starts the sync-state workflow if it does not run yet)',
    kind: 'read',
    profile: 'temporal',
    note: 'the state workflow is started with USE_EXISTING',
  },
  advanceSyncState: {
    does: 'advances the sync watermark (only after a run that finished)',
    kind: 'write',
    profile: 'temporal',
    note: 'the state refuses a watermark that moves backwards',
  },
  settleDeadLetters: {
    does: 'puts records a system rejected on the dead-letter list, takes delivered ones off',
    kind: 'write',
    profile: 'temporal',
    note: 'a repeat counts one more attempt on an entry already listed; it adds no second entry and no second alert',
  },
  claimSyncWriter: {
    does: "takes the sync's single-writer lease for a run or a dead-letter retry, or says who holds it",
    kind: 'write',
    profile: 'temporal',
    note: 'a holder whose execution is closed loses the lease; a run continued as new claims it again under its id',
  },
  releaseSyncWriter: {
    does: "gives the sync's writer lease back once a run or a retry finished (or failed)",
    kind: 'write',
    profile: 'temporal',
    note: 'a release by anyone but the holder changes nothing',
  },
  inspectSchedules: {
    does: 'describes the watched schedules and their recent runs',
    kind: 'read',
    profile: 'temporal',
  },
};

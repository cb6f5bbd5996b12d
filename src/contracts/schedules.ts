// What the schedule watchdog asks about each schedule and what the inspection activity answers. Pure shapes.

export interface WatchedSchedule {
  id: string;
  expectedIntervalMs: number;
  /** For syncs: the sync-state workflow, whose last success counts too. */
  syncStateId?: string;
}

export interface ScheduleObservation {
  id: string;
  exists: boolean;
  paused: boolean;
  pausedSince: string | null;
  note: string | null;
  createdAt: string | null;
  /** The most recent finished run among the schedule's recent actions. */
  lastRun: { workflowId: string; outcome: 'completed' | 'failed' | 'other'; at: string } | null;
  lastSuccessAt: string | null;
}

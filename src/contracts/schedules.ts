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

/** A schedule with no successful run for this many expected intervals is reported as `no-recent-success`. */
export const NO_SUCCESS_AFTER_INTERVALS = 2;

/** What the watchdog checks of each watched schedule, at most one problem per schedule, in this order. */
export const SCHEDULE_PROBLEMS = {
  missing: 'declared, but absent from the namespace',
  'paused-too-long': 'paused for longer than WATCHDOG_PAUSED_ALERT_AFTER_MINUTES',
  'last-run-failed': 'its most recent finished run failed, timed out or was terminated',
  'no-recent-success': `no run has succeeded within ${NO_SUCCESS_AFTER_INTERVALS}× its expected interval`,
} as const;

export type ScheduleProblemKind = keyof typeof SCHEDULE_PROBLEMS;

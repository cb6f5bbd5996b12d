import { log, workflowInfo } from '@temporalio/workflow';
import {
  NO_SUCCESS_AFTER_INTERVALS,
  type ScheduleObservation,
  type ScheduleProblemKind,
  type WatchedSchedule,
} from '../../contracts/schedules';
import { systemActivities, temporalActivities } from '../common/activities';
import { recordScheduledStart } from '../common/scheduled-run';
import type { Alerts } from '../../systems/alerts/system';

export type { ScheduleObservation, ScheduleProblemKind, WatchedSchedule };

export interface ScheduleProblem {
  /** Stable while the problem lasts: what makes it one alert rather than one per check. */
  key: string;
  scheduleId: string;
  kind: ScheduleProblemKind;
  detail: string;
}

export interface ScheduleWatchdogInput {
  schedules: WatchedSchedule[];
  pausedAlertAfterMs: number;
}

export interface ScheduleWatchdogResult {
  /** Problems open after this check; the next check alerts only on those not in this list. */
  open: ScheduleProblem[];
  alerted: ScheduleProblem[];
}

const minutes = (ms: number) => `${Math.round(ms / 6000) / 10} min`;

/**
 * At most one problem per schedule, the one that explains the others: a paused schedule also has no recent success,
 * and a failing one is not succeeding either.
 */
export function assessSchedule(w: WatchedSchedule, o: ScheduleObservation, now: number, pausedAlertAfterMs: number) {
  const problem = (kind: ScheduleProblemKind, detail: string): ScheduleProblem => ({
    key: `${w.id}:${kind}`,
    scheduleId: w.id,
    kind,
    detail,
  });
  if (!o.exists) return problem('missing', 'is declared but does not exist: run `npm run schedules -- apply`');
  if (o.paused) {
    const pausedFor = now - new Date(o.pausedSince ?? now).getTime();
    if (pausedFor <= pausedAlertAfterMs) return undefined;
    return problem('paused-too-long', `has been paused for ${minutes(pausedFor)}${o.note ? ` (${o.note})` : ''}`);
  }
  if (o.lastRun?.outcome === 'failed') {
    return problem('last-run-failed', `its last run ${o.lastRun.workflowId} failed at ${o.lastRun.at}`);
  }
  const since = new Date(o.lastSuccessAt ?? o.createdAt ?? now).getTime();
  if (now - since > NO_SUCCESS_AFTER_INTERVALS * w.expectedIntervalMs) {
    return problem(
      'no-recent-success',
      `no run has succeeded for ${minutes(now - since)} (expected every ${minutes(w.expectedIntervalMs)})`,
    );
  }
  return undefined;
}

/** A dead-man's switch for the schedules: one alert when a problem appears, none while it lasts. */
export async function scheduleWatchdog(input: ScheduleWatchdogInput): Promise<ScheduleWatchdogResult> {
  recordScheduledStart();
  const temporal = temporalActivities();
  const alerts = systemActivities<Alerts>('alerts', 'alert');

  // A schedule hands each run the previous run's result: the problems already alerted on.
  const previous = (workflowInfo().lastResult as ScheduleWatchdogResult | undefined)?.open ?? [];
  const known = new Set(previous.map((p) => p.key));
  const observations = await temporal.inspectSchedules({ schedules: input.schedules });
  const now = Date.now();
  const open: ScheduleProblem[] = [];
  for (const watched of input.schedules) {
    const observation = observations.find((o) => o.id === watched.id);
    const problem = observation && assessSchedule(watched, observation, now, input.pausedAlertAfterMs);
    if (problem) open.push(problem);
  }
  const alerted = open.filter((p) => !known.has(p.key));
  for (const problem of alerted) {
    log.warn('schedule problem', { scheduleId: problem.scheduleId, kind: problem.kind, detail: problem.detail });
    await alerts.sendScheduleAlert({
      key: `${problem.key}:${workflowInfo().workflowId}`,
      scheduleId: problem.scheduleId,
      problem: problem.kind,
      detail: problem.detail,
    });
  }
  return { open, alerted };
}

import type { ScheduleWatchdogInput } from '../../../src/flows/schedule-watchdog/workflow';
import { queueFor } from '../../../src/contracts/task-queues';
import { type Harness, defineRecording } from '../recording';

// How `npm run record-histories` drives scheduleWatchdog through its scenarios (test/flows/recording.ts).

async function runScheduleWatchdog(h: Harness, id: string, watched: ScheduleWatchdogInput['schedules']) {
  const input: ScheduleWatchdogInput = { schedules: watched, pausedAlertAfterMs: 60 * 60_000 };
  await h.run('scheduleWatchdog', [input], { workflowId: `schedule-watchdog-${id}` });
  return `schedule-watchdog-${id}`;
}

/** A schedule that is declared but does not exist: the watchdog alerts on it. */
const missingSchedule = (id: string) => [{ id: `${id}-missing`, expectedIntervalMs: 60 * 60_000 }];

export const recording = defineRecording({
  steps: {
    success: (h, id) => runScheduleWatchdog(h, id, missingSchedule(id)),
    // The alert webhook answers 500 once: the alert goes out on the second attempt.
    retry: (h, id) => (h.failAlerts(1), runScheduleWatchdog(h, id, missingSchedule(id))),
    // A watched sync whose state workflow does not answer the syncState query (the watchdog itself, misconfigured as
    // one): inspectSchedules fails all its 3 attempts and the check fails.
    failure: async (h, id) => {
      const schedule = await h.client.schedule.create({
        scheduleId: `${id}-paused`,
        spec: { intervals: [{ every: '1h' }] },
        action: {
          type: 'startWorkflow',
          workflowType: 'reconcileOrders',
          args: [{}],
          taskQueue: queueFor(h.config.temporal.taskQueuePrefix, 'orchestration'),
        },
        state: { paused: true },
      });
      try {
        return await runScheduleWatchdog(h, id, [
          { id: `${id}-paused`, expectedIntervalMs: 60 * 60_000, syncStateId: `schedule-watchdog-${id}` },
        ]);
      } finally {
        await schedule.delete();
      }
    },
  },
});

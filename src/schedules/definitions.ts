import type { Duration } from '@temporalio/common';
import type { Config } from '../config';
import type { ContactSyncInput } from '../flows/contact-sync/workflow';
import type { ReconcileOrdersInput } from '../flows/reconcile-orders/workflow';
import type { ReconcilePaymentsInput } from '../flows/reconcile-payments/workflow';
import type { WatchedSchedule } from '../contracts/schedules';
import { scheduleId, syncStateId } from '../contracts/workflow-ids';
import type { ScheduleWatchdogInput } from '../flows/schedule-watchdog/workflow';
import type { CredentialCheckInput } from '../flows/credential-check/workflow';
import { queueFor } from '../contracts/task-queues';

// Every schedule of the deployment, declared here and applied with `npm run schedules -- apply` (and by the worker
// at start). Ids carry TASK_QUEUE_PREFIX so deployments and test runs sharing a namespace keep their own.

export type OverlapPolicy = 'SKIP' | 'BUFFER_ONE' | 'BUFFER_ALL' | 'CANCEL_OTHER' | 'TERMINATE_OTHER' | 'ALLOW_ALL';

type Action =
  | { workflowType: 'contactSync'; args: [ContactSyncInput] }
  | { workflowType: 'reconcileOrders'; args: [ReconcileOrdersInput] }
  | { workflowType: 'reconcilePayments'; args: [ReconcilePaymentsInput] }
  | { workflowType: 'scheduleWatchdog'; args: [ScheduleWatchdogInput] }
  | { workflowType: 'credentialCheck'; args: [CredentialCheckInput] };

export type ScheduleDefinition = Action & {
  id: string;
  description: string;
  /** A cron expression, or an interval; both in `timeZone`. */
  spec: { cron: string; timeZone: string } | { every: Duration; timeZone: string };
  taskQueue: string;
  overlap: OverlapPolicy;
  /** How late a missed action may still run (after an outage of the server or a pause of the worker). */
  catchupWindow: Duration;
  /** How often a run should succeed: the watchdog alerts after twice this without one. */
  expectedIntervalMs: number;
  /** For syncs: the state workflow whose last success the watchdog also trusts. */
  syncStateId?: string;
};

const HOUR = 60 * 60_000;

/** The schedules of the deployment configured by `config`. */
export function scheduleDefinitions(config: Config): ScheduleDefinition[] {
  const prefix = config.temporal.taskQueuePrefix;
  const taskQueue = queueFor(prefix, 'orchestration');
  const timeZone = config.schedules.timeZone;
  const synced: ScheduleDefinition[] = [
    {
      id: scheduleId(prefix, 'contact-sync'),
      description: 'CRM → email platform contact sync (and consent back), from the last successful watermark',
      spec: { cron: config.schedules.contactSyncCron, timeZone },
      workflowType: 'contactSync',
      args: [{}],
      taskQueue,
      // Never two syncs at once; one catch-up run covers everything missed, since it starts from the watermark.
      overlap: 'SKIP',
      catchupWindow: '1 day',
      expectedIntervalMs: 24 * HOUR,
      syncStateId: syncStateId(prefix, 'contact'),
    },
    {
      id: scheduleId(prefix, 'reconcile-orders'),
      description: 'paid orders without an invoice get the invoice flow (safety net under the webhooks)',
      spec: { every: '1h', timeZone },
      workflowType: 'reconcileOrders',
      args: [{ lookbackMinutes: 180, graceMinutes: 10, idPrefix: prefix }],
      taskQueue,
      overlap: 'SKIP',
      catchupWindow: '6 hours',
      expectedIntervalMs: HOUR,
    },
    {
      id: scheduleId(prefix, 'reconcile-payments'),
      description: 'Stripe payments whose webhook never arrived get the payment flow (safety net under the webhook)',
      spec: { every: '1h', timeZone },
      workflowType: 'reconcilePayments',
      // Each payment it starts is verified against Stripe before recording (its PaymentIntent is where it was listed).
      args: [{ lookbackMinutes: 180, graceMinutes: 15, idPrefix: prefix }],
      taskQueue,
      overlap: 'SKIP',
      catchupWindow: '6 hours',
      expectedIntervalMs: HOUR,
    },
    {
      id: scheduleId(prefix, 'credential-check'),
      description: 'one alert per credential that became expiring, expired or broken (docs/credentials/)',
      spec: { cron: '0 7 * * *', timeZone },
      workflowType: 'credentialCheck',
      args: [{}],
      taskQueue,
      overlap: 'SKIP',
      catchupWindow: '1 day',
      expectedIntervalMs: 24 * HOUR,
    },
  ];
  return withWatchdog(synced, {
    id: scheduleId(prefix, 'schedule-watchdog'),
    every: '15m',
    expectedIntervalMs: 15 * 60_000,
    pausedAlertAfterMs: config.schedules.pausedAlertAfterMs,
    taskQueue,
    timeZone,
  });
}

/** Adds a watchdog schedule that watches `schedules` and itself (a failing watchdog is reported by its next run). */
export function withWatchdog(
  schedules: ScheduleDefinition[],
  w: {
    id: string;
    every: Duration;
    expectedIntervalMs: number;
    pausedAlertAfterMs: number;
    taskQueue: string;
    timeZone: string;
  },
): ScheduleDefinition[] {
  // undefined fields would not survive the round trip through the schedule, so they are left out.
  const watched: WatchedSchedule[] = [...schedules, { id: w.id, expectedIntervalMs: w.expectedIntervalMs }].map((s) =>
    'syncStateId' in s && s.syncStateId
      ? { id: s.id, expectedIntervalMs: s.expectedIntervalMs, syncStateId: s.syncStateId }
      : { id: s.id, expectedIntervalMs: s.expectedIntervalMs },
  );
  return [
    ...schedules,
    {
      id: w.id,
      description: "dead-man's switch: alerts once per problem with any schedule above",
      spec: { every: w.every, timeZone: w.timeZone },
      workflowType: 'scheduleWatchdog',
      args: [
        {
          schedules: watched,
          pausedAlertAfterMs: w.pausedAlertAfterMs,
        },
      ],
      taskQueue: w.taskQueue,
      overlap: 'SKIP',
      catchupWindow: '1 minute',
      expectedIntervalMs: w.expectedIntervalMs,
    },
  ];
}

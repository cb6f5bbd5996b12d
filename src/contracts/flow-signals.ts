import { defineSignal } from '@temporalio/workflow';

// Signals the worker's retrying-alert interceptor sends to a running flow (search attributes can only be upserted by
// the workflow itself). Defined here so the worker never imports workflow code.

export interface ActivityRetrying {
  activityId: string;
  activityType: string;
  attempt: number;
  error: string;
}

/** An activity of the flow is still failing at the configured attempt. */
export const activityRetryingSignal = defineSignal<[ActivityRetrying]>('activityRetrying');
/** An activity that had raised a retrying alert finally succeeded. */
export const activityRecoveredSignal = defineSignal<[{ activityId: string }]>('activityRecovered');

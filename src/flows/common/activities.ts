import { type ActivityInterfaceFor, type ActivityOptions, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { TemporalActivities } from '../../kit/temporal-activities';
import { ACTIVITY_PROFILES, type ProfileName } from '../../contracts/activity-profiles';
import { prefixOf, queueFor } from '../../contracts/task-queues';
import type { ActivityFunctions } from '../../kit/declare';

// How a workflow reaches activities: a system's declaration type picks both its task queue (by its name) and its
// activity types, so an activity cannot be sent to another system's queue without a compile error (and at run time
// that queue's worker does not register it: the flow fails with NotFoundError, non-retryable in every profile).
// Workflows import only the declaration's type (`import type { Accounting } from '.../systems/accounting/system'`),
// so no activity code enters the workflow bundle.

/** The part of a system declaration a workflow needs: its name and the activities its queue serves. */
interface Declared {
  name: string;
  activities: (...deps: never[]) => ActivityFunctions;
}
/** The activities a declared system's queue serves. */
export type ActivitiesOf<S extends Declared> = ReturnType<S['activities']>;

/** The activity task queue of `system` for the workflow running now. */
export function systemQueue(system: string): string {
  return queueFor(prefixOf(workflowInfo().taskQueue), system);
}

/** The options of a named profile, for proxyActivities. */
export function profileOptions(profile: ProfileName): ActivityOptions {
  const { purpose: _purpose, retry, ...timeouts } = ACTIVITY_PROFILES[profile];
  return { ...timeouts, retry: { ...retry, nonRetryableErrorTypes: [...retry.nonRetryableErrorTypes] } };
}

/** The activities of system `S` (named `name`, as its declaration says), routed to its queue, under `profile`. */
export function systemActivities<S extends Declared>(
  name: S['name'],
  profile: ProfileName,
): ActivityInterfaceFor<ActivitiesOf<S>> {
  return proxyActivities<ActivitiesOf<S>>({ taskQueue: systemQueue(name), ...profileOptions(profile) });
}

/** The activities that talk to Temporal itself, on the workflow's own (orchestration) queue. */
export function temporalActivities(): ActivityInterfaceFor<TemporalActivities> {
  return proxyActivities<TemporalActivities>({ taskQueue: workflowInfo().taskQueue, ...profileOptions('temporal') });
}

import { type ActivityInterfaceFor, type ActivityOptions, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { TemporalActivities } from '../activities/temporal';
import { ACTIVITY_PROFILES, type ProfileName } from '../contracts/activity-profiles';
import { prefixOf, queueFor } from '../contracts/task-queues';
import type { SYSTEMS } from '../integrations/systems';

// How a workflow reaches activities: a system's name picks both its task queue and its activity types, so an
// activity cannot be sent to another system's queue without a compile error (and at run time that queue's worker
// does not register it: the flow fails with NotFoundError, non-retryable in every profile).

type Systems = (typeof SYSTEMS)[number];
export type SystemName = Systems['name'];
/** The activities a declared system's queue serves. */
export type ActivitiesOf<N extends SystemName> = ReturnType<Extract<Systems, { name: N }>['activities']>;

/** The activity task queue of `system` for the workflow running now. */
export function systemQueue(system: string): string {
  return queueFor(prefixOf(workflowInfo().taskQueue), system);
}

/** The options of a named profile, for proxyActivities. */
export function profileOptions(profile: ProfileName): ActivityOptions {
  const { purpose: _purpose, retry, ...timeouts } = ACTIVITY_PROFILES[profile];
  return { ...timeouts, retry: { ...retry, nonRetryableErrorTypes: [...retry.nonRetryableErrorTypes] } };
}

/** The activities of `system`, routed to its queue, under `profile`. */
export function systemActivities<N extends SystemName>(
  system: N,
  profile: ProfileName,
): ActivityInterfaceFor<ActivitiesOf<N>> {
  return proxyActivities<ActivitiesOf<N>>({ taskQueue: systemQueue(system), ...profileOptions(profile) });
}

/** The activities that talk to Temporal itself, on the workflow's own (orchestration) queue. */
export function temporalActivities(): ActivityInterfaceFor<TemporalActivities> {
  return proxyActivities<TemporalActivities>({ taskQueue: workflowInfo().taskQueue, ...profileOptions('temporal') });
}

import { metricMeter, workflowInfo } from '@temporalio/workflow';
import { syncStateId } from '../../contracts/sync-state';
import { prefixOf } from '../../contracts/task-queues';
import { systemActivities, temporalActivities } from '../common/activities';
import type { Alerts } from '../../systems/alerts/system';
import type { Crm } from '../../systems/crm/system';
import type { EmailPlatform } from '../../systems/email-platform/system';

/** What every step of a contact sync reaches: the activities of each side, and the sync state's workflow. */
export interface SyncContext {
  /** The sync-state workflow's id, and the queue it (and this workflow) runs on. */
  stateId: string;
  stateQueue: string;
  state: ReturnType<typeof temporalActivities>;
  alerts: ReturnType<typeof systemActivities<Alerts>>;
  crm: ReturnType<typeof systemActivities<Crm>>;
  email: ReturnType<typeof systemActivities<EmailPlatform>>;
  conflictCounter: ReturnType<typeof metricMeter.createCounter>;
}

/** The context of the contact sync running now. */
export function syncContext(): SyncContext {
  const stateQueue = workflowInfo().taskQueue;
  return {
    stateId: syncStateId(prefixOf(stateQueue), 'contact'),
    stateQueue,
    state: temporalActivities(),
    alerts: systemActivities<Alerts>('alerts', 'alert'),
    crm: systemActivities<Crm>('crm', 'batch'),
    // The email platform's queue carries its rate limit: every batch waits its turn there.
    email: systemActivities<EmailPlatform>('email-platform', 'batch'),
    conflictCounter: metricMeter.createCounter(
      'switchyard_contact_sync_conflicts',
      'conflicts',
      'Contact fields changed on both sides since the last sync, settled by their rule',
    ),
  };
}

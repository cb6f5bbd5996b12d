import {
  ActivityFailure,
  ApplicationFailure,
  proxyActivities,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { createActivities } from '../activities';
import { INTEGRATION_STATUS, type IntegrationStatus } from '../domain/search-attributes';
import { prefixOf, queueFor } from './task-queues';

type Activities = ReturnType<typeof createActivities>;

/** The activity task queue of `system` for the workflow running now. */
export function systemQueue(system: Parameters<typeof queueFor>[1]): string {
  return queueFor(prefixOf(workflowInfo().taskQueue), system);
}

export function setStatus(status: IntegrationStatus): void {
  upsertSearchAttributes([{ key: INTEGRATION_STATUS, value: status }]);
}

export interface FlowContext {
  source?: string;
  event?: string;
  businessKey?: string;
}

function describe(err: unknown): string {
  let e: unknown = err;
  // An ActivityFailure wraps the activity's own error, which is the useful message.
  while (e instanceof ActivityFailure && e.cause) e = e.cause;
  return e instanceof Error ? e.message : String(e);
}

/**
 * Runs a flow so that a failure reaches a person: on a final error it alerts, marks the execution
 * IntegrationStatus=failed and rethrows so the execution shows red.
 */
export async function runFlow<T>(ctx: FlowContext, body: () => Promise<T>): Promise<T> {
  setStatus('processing');
  try {
    const result = await body();
    setStatus('completed');
    return result;
  } catch (err) {
    setStatus('failed');
    const info = workflowInfo();
    const alerts = proxyActivities<Activities>({
      taskQueue: systemQueue('alerts'),
      startToCloseTimeout: '10s',
      scheduleToCloseTimeout: '1h',
      retry: { initialInterval: '1s', maximumInterval: '1m' },
    });
    await alerts.sendAlert({
      kind: 'failed',
      workflowId: info.workflowId,
      runId: info.runId,
      workflowType: info.workflowType,
      source: ctx.source,
      event: ctx.event,
      businessKey: ctx.businessKey,
      error: describe(err),
    });
    if (err instanceof ApplicationFailure || err instanceof ActivityFailure) throw err;
    throw ApplicationFailure.nonRetryable(describe(err), 'FlowFailed');
  }
}

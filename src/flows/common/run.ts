import {
  ActivityFailure,
  ApplicationFailure,
  metricMeter,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { activityRecoveredSignal, activityRetryingSignal } from '../../contracts/flow-signals';
import { INTEGRATION_STATUS, type IntegrationStatus } from '../../domain/search-attributes';
import { systemActivities } from './activities';
import type { Alerts } from '../../systems/alerts/system';

/**
 * Sets IntegrationStatus, and counts the change as `switchyard_flow_status{workflowType,status}` on the
 * worker's /metrics. A metric is no command, so histories do not change, and the SDK does not emit it on replay.
 */
export function setStatus(status: IntegrationStatus): void {
  upsertSearchAttributes([{ key: INTEGRATION_STATUS, value: status }]);
  metricMeter
    .createCounter('switchyard_flow_status', 'flows', 'IntegrationStatus set by a flow, by workflow type and status')
    .add(1, { status });
}

export interface FlowContext {
  source?: string;
  event?: string;
  businessKey?: string;
}

export interface FlowOptions<T> {
  /** The IntegrationStatus a flow that returned ends in (default `completed`), e.g. `needs-review`. */
  finalStatus?: (result: T) => IntegrationStatus;
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
/**
 * Marks the execution needs-review and alerts a person with `error` (what happened and what to do). Marked first, so
 * the execution is found under needs-review even while the alert is still retrying.
 */
export async function needsReview(ctx: FlowContext, error: string): Promise<void> {
  setStatus('needs-review');
  const info = workflowInfo();
  await systemActivities<Alerts>('alerts', 'alert').sendAlert({
    kind: 'needs-review',
    workflowId: info.workflowId,
    runId: info.runId,
    workflowType: info.workflowType,
    ...ctx,
    error,
  });
}

export async function runFlow<T>(ctx: FlowContext, body: () => Promise<T>, options: FlowOptions<T> = {}): Promise<T> {
  setStatus('processing');
  // Handlers only upsert IntegrationStatus; executions that never receive these signals replay unchanged.
  const retrying = new Set<string>();
  let finished = false;
  setHandler(activityRetryingSignal, ({ activityId }) => {
    if (finished) return;
    retrying.add(activityId);
    setStatus('retrying');
  });
  setHandler(activityRecoveredSignal, ({ activityId }) => {
    if (finished || !retrying.delete(activityId) || retrying.size > 0) return;
    setStatus('processing');
  });
  try {
    const result = await body();
    finished = true;
    setStatus(options.finalStatus?.(result) ?? 'completed');
    return result;
  } catch (err) {
    finished = true;
    setStatus('failed');
    const info = workflowInfo();
    await systemActivities<Alerts>('alerts', 'alert').sendAlert({
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

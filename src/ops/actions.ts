import { randomUUID } from 'node:crypto';
import { temporal } from '@temporalio/proto';
import { type OpsContext, OpsInputError, readingContext, uiLink } from './context';

const EventType = temporal.api.enums.v1.EventType;

export interface ActionResult {
  workflowId: string;
  runId: string;
  action: 'terminated' | 'cancel requested' | 'reset';
  /** The run a reset started. */
  newRunId?: string;
  link: string;
}

async function currentRunId(ctx: OpsContext, workflowId: string, runId?: string): Promise<string> {
  if (runId) return runId;
  // Only the run id is needed: a memo under a removed key must not stop an operator from ending the execution.
  const description = await readingContext(ctx).client.workflow.getHandle(workflowId).describe();
  return description.runId;
}

/** Ends the execution now, without running its cleanup; the reason is recorded in its history. */
export async function terminate(
  ctx: OpsContext,
  workflowId: string,
  options: { reason: string; runId?: string },
): Promise<ActionResult> {
  if (!options.reason?.trim()) throw new OpsInputError('terminate: give a --reason, it is recorded in the history');
  const runId = await currentRunId(ctx, workflowId, options.runId);
  await ctx.client.workflow.getHandle(workflowId, runId).terminate(options.reason);
  return { workflowId, runId, action: 'terminated', link: uiLink(ctx, workflowId, runId) };
}

/** Asks the execution to cancel: the workflow sees the cancellation and may clean up. */
export async function cancel(
  ctx: OpsContext,
  workflowId: string,
  options: { runId?: string } = {},
): Promise<ActionResult> {
  const runId = await currentRunId(ctx, workflowId, options.runId);
  await ctx.client.workflow.getHandle(workflowId, runId).cancel();
  return { workflowId, runId, action: 'cancel requested', link: uiLink(ctx, workflowId, runId) };
}

export const RESET_POINTS = ['first-workflow-task', 'last-workflow-task'] as const;
export type ResetPoint = (typeof RESET_POINTS)[number];

/**
 * Starts a new run of the execution from a point in its history. `first-workflow-task` (the default) re-runs every
 * step, which is what a failed activity needs after a fix: the idempotency keys keep the re-run from doubling side
 * effects. `last-workflow-task` re-runs only the last decision.
 */
export async function reset(
  ctx: OpsContext,
  workflowId: string,
  options: { to?: ResetPoint; reason?: string; runId?: string } = {},
): Promise<ActionResult> {
  const to = options.to ?? 'first-workflow-task';
  if (!RESET_POINTS.includes(to)) throw new OpsInputError(`reset: --to must be one of ${RESET_POINTS.join(', ')}`);
  const runId = await currentRunId(ctx, workflowId, options.runId);
  const history = await ctx.client.workflow.getHandle(workflowId, runId).fetchHistory();
  const completed = (history.events ?? []).filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED);
  const point = to === 'first-workflow-task' ? completed[0] : completed[completed.length - 1];
  if (!point?.eventId) {
    throw new OpsInputError(`reset: ${workflowId} has no completed workflow task to reset to`);
  }
  const res = await ctx.client.workflowService.resetWorkflowExecution({
    namespace: ctx.namespace,
    workflowExecution: { workflowId, runId },
    reason: options.reason ?? `reset to ${to} by operator`,
    workflowTaskFinishEventId: point.eventId,
    requestId: randomUUID(),
  });
  const newRunId = res.runId ?? '';
  return { workflowId, runId, action: 'reset', newRunId, link: uiLink(ctx, workflowId, newRunId || runId) };
}

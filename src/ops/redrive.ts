import { reset, type ResetPoint } from './actions';
import { type OpsContext, OpsInputError, uiLink } from './context';
import { type ExecutionSummary, list } from './executions';
import { type PlannedSideEffect, sideEffectsOf } from './side-effects';

export interface RedrivePlanItem {
  execution: ExecutionSummary;
  action: 'reset' | 'skip';
  skipReason?: string;
  /** Undefined when the workflow type declares none (treat as unprotected). */
  sideEffects?: PlannedSideEffect[];
}

// The workflow's input, from its start event: the side-effect table derives the idempotency keys from it.
async function firstArgument(ctx: OpsContext, e: ExecutionSummary): Promise<unknown> {
  const res = await ctx.client.workflowService.getWorkflowExecutionHistory({
    namespace: ctx.namespace,
    execution: { workflowId: e.workflowId, runId: e.runId },
    maximumPageSize: 1,
  });
  const payload = res.history?.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  return payload ? ctx.client.options.loadedDataConverter.payloadConverter.fromPayload(payload) : undefined;
}

export interface RedriveOptions {
  query: string;
  to?: ResetPoint;
  reason?: string;
  limit?: number;
}

/**
 * What a redrive of `query` would re-run: its failed executions that are still their workflow's latest run (a
 * failed run that was already reset or redriven is skipped), each with its side effects and their protection.
 */
export async function planRedrive(ctx: OpsContext, options: RedriveOptions): Promise<RedrivePlanItem[]> {
  if (!options.query?.trim()) throw new OpsInputError('redrive: give --query, e.g. IntegrationStatus = "failed"');
  const failed = await list(ctx, { status: 'failed', query: options.query, limit: options.limit ?? 1000 });
  return Promise.all(
    failed.map(async (execution): Promise<RedrivePlanItem> => {
      const sideEffects = sideEffectsOf(execution.type, await firstArgument(ctx, execution));
      const latest = await ctx.client.workflow.getHandle(execution.workflowId).describe();
      if (latest.runId !== execution.runId) {
        return {
          execution,
          action: 'skip',
          skipReason: `a newer run exists (${latest.runId}, ${latest.status.name})`,
          sideEffects,
        };
      }
      return { execution, action: 'reset', sideEffects };
    }),
  );
}

export interface RedriveOutcome {
  workflowId: string;
  runId: string;
  newRunId?: string;
  error?: string;
  link: string;
}

export interface RedriveReport {
  planned: number;
  reset: RedriveOutcome[];
  skipped: RedrivePlanItem[];
  failed: RedriveOutcome[];
}

/** Resets every execution of the plan, one by one, going on past individual errors. */
export async function runRedrive(
  ctx: OpsContext,
  plan: RedrivePlanItem[],
  options: { to?: ResetPoint; reason?: string; onProgress?: (done: number, total: number) => void } = {},
): Promise<RedriveReport> {
  const todo = plan.filter((p) => p.action === 'reset');
  const report: RedriveReport = {
    planned: todo.length,
    reset: [],
    skipped: plan.filter((p) => p.action === 'skip'),
    failed: [],
  };
  options.onProgress?.(0, todo.length);
  for (const [i, item] of todo.entries()) {
    const { workflowId, runId } = item.execution;
    try {
      const r = await reset(ctx, workflowId, {
        runId,
        to: options.to,
        reason: options.reason ?? 'redrive after a fix',
      });
      report.reset.push({ workflowId, runId, newRunId: r.newRunId, link: r.link });
    } catch (err) {
      report.failed.push({
        workflowId,
        runId,
        error: err instanceof Error ? err.message : String(err),
        link: uiLink(ctx, workflowId, runId),
      });
    }
    options.onProgress?.(i + 1, todo.length);
  }
  return report;
}

import { createHash } from 'node:crypto';
import { reset, type ResetPoint } from './actions';
import { DEFAULT_CONCURRENCY, mapConcurrent } from './concurrency';
import { missingKeyOf } from '../temporal/codec';
import { decoded, type OpsContext, OpsInputError, readingContext, uiLink } from './context';
import { type ExecutionSummary, list } from './executions';
import { type PlannedSideEffect, sideEffectsOf } from './side-effects';

/** The most executions one redrive plan holds; a query matching more is cut there, and the plan says so. */
export const REDRIVE_LIMIT = 1000;

export interface RedrivePlanItem {
  execution: ExecutionSummary;
  action: 'reset' | 'skip';
  skipReason?: string;
  /** Undefined when the workflow type declares none (treat as unprotected). */
  sideEffects?: PlannedSideEffect[];
}

export interface RedrivePlan {
  query: string;
  /** A hash of what the plan does (workflow id, run id and action of each item): a real run must present it. */
  planId: string;
  items: RedrivePlanItem[];
  limit: number;
  /** More failed executions match the query than `limit`: only the first `limit` are in the plan. */
  truncated: boolean;
}

/** The id of a plan's items, independent of their order. */
export function planIdOf(items: RedrivePlanItem[]): string {
  const keys = items
    .map((i) => [i.execution.workflowId, i.execution.runId, i.action])
    .sort((a, b) => (a.join('\n') < b.join('\n') ? -1 : 1));
  return createHash('sha256').update(JSON.stringify(keys)).digest('hex').slice(0, 32);
}

/** A real redrive whose freshly built plan is not the plan that was reviewed (the API answers 409). */
export class PlanChangedError extends OpsInputError {
  constructor(
    readonly reviewedPlanId: string,
    readonly currentPlanId: string,
  ) {
    super(
      `redrive: the plan changed since plan ${reviewedPlanId} was reviewed (executions failed, were reset or ` +
        'finished since); nothing was changed: run the dry run again and review what it would do now',
    );
    this.name = 'PlanChangedError';
  }
}

/** Throws `PlanChangedError` unless `plan` is the plan the operator reviewed. */
export function assertReviewed(plan: RedrivePlan, reviewedPlanId: string): void {
  if (plan.planId !== reviewedPlanId) throw new PlanChangedError(reviewedPlanId, plan.planId);
}

// The workflow's input, from its start event: the side-effect table derives the idempotency keys from it.
async function firstArgument(ctx: OpsContext, e: ExecutionSummary): Promise<unknown> {
  const res = await ctx.client.workflowService.getWorkflowExecutionHistory({
    namespace: ctx.namespace,
    execution: { workflowId: e.workflowId, runId: e.runId },
    maximumPageSize: 1,
  });
  const payload = res.history?.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  return payload
    ? ctx.client.options.loadedDataConverter.payloadConverter.fromPayload(await decoded(ctx, payload))
    : undefined;
}

// Why this run must not be reset now, or undefined if it may: only a failed run that is still its workflow's latest.
// Asked of the server each time, never taken from a listing: a query or a plan may say anything.
async function whyNotResettable(ctx: OpsContext, e: { workflowId: string; runId: string }) {
  const latest = await ctx.client.workflow.getHandle(e.workflowId).describe();
  if (latest.runId !== e.runId) return `a newer run exists (${latest.runId}, ${latest.status.name})`;
  if (latest.status.name !== 'FAILED') return `not failed (${latest.status.name})`;
  return undefined;
}

export interface RedriveOptions {
  query: string;
  to?: ResetPoint;
  reason?: string;
  /** At most this many executions (default and maximum `REDRIVE_LIMIT`). */
  limit?: number;
  /** Calls to Temporal in flight while the plan is built (default `DEFAULT_CONCURRENCY`). */
  concurrency?: number;
}

/**
 * What a redrive of `query` would re-run: its failed executions that are still their workflow's latest run (a
 * failed run that was already reset or redriven is skipped), each with its side effects and their protection.
 */
export async function planRedrive(ctx: OpsContext, options: RedriveOptions): Promise<RedrivePlan> {
  if (!options.query?.trim()) throw new OpsInputError('redrive: give --query, e.g. IntegrationStatus = "failed"');
  const limit = options.limit ?? REDRIVE_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > REDRIVE_LIMIT) {
    throw new OpsInputError(`redrive: --limit must be a whole number from 1 to ${REDRIVE_LIMIT}`);
  }
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  // One more than the limit: whether it comes back says if the plan is cut.
  const found = await list(ctx, { status: 'failed', query: options.query, limit: limit + 1, concurrency });
  const reading = readingContext(ctx);
  const items = await mapConcurrent(found.slice(0, limit), concurrency, async (execution) => {
    const input = await firstArgument(reading, execution);
    const missing = missingKeyOf(input);
    // A reset run would start from this input, which no worker can decrypt now: it would only fail again.
    if (missing !== undefined) {
      const skipReason = `its input needs key "${missing}", which is not in PAYLOAD_KEYS: add it back to redrive it`;
      const item: RedrivePlanItem = { execution, action: 'skip', skipReason };
      return item;
    }
    const sideEffects = sideEffectsOf(execution.type, input);
    const why = await whyNotResettable(reading, execution);
    const item: RedrivePlanItem = why
      ? { execution, action: 'skip', skipReason: why, sideEffects }
      : { execution, action: 'reset', sideEffects };
    return item;
  });
  return { query: options.query, planId: planIdOf(items), items, limit, truncated: found.length > limit };
}

export interface RedriveOutcome {
  workflowId: string;
  runId: string;
  newRunId?: string;
  error?: string;
  link: string;
}

/** One item of a redrive as it is acted on: reset, refused (no longer failed or not the latest run), or failed. */
export type RedriveEvent = RedriveOutcome & { result: 'reset' | 'refused' | 'failed'; reason?: string };

export interface RedriveReport {
  query: string;
  planId: string;
  limit: number;
  truncated: boolean;
  planned: number;
  reset: RedriveOutcome[];
  skipped: RedrivePlanItem[];
  failed: RedriveOutcome[];
}

/**
 * Resets every execution the plan would reset, one by one, going on past individual errors. Right before each
 * reset it asks the server again that the run is failed and its workflow's latest; `onOutcome` hears of each item
 * as it is acted on, before the next one starts.
 */
export async function runRedrive(
  ctx: OpsContext,
  plan: RedrivePlan,
  options: {
    to?: ResetPoint;
    reason?: string;
    onProgress?: (done: number, total: number) => void;
    onOutcome?: (event: RedriveEvent) => void | Promise<void>;
  } = {},
): Promise<RedriveReport> {
  const todo = plan.items.filter((p) => p.action === 'reset');
  const report: RedriveReport = {
    query: plan.query,
    planId: plan.planId,
    limit: plan.limit,
    truncated: plan.truncated,
    planned: todo.length,
    reset: [],
    skipped: plan.items.filter((p) => p.action === 'skip'),
    failed: [],
  };
  options.onProgress?.(0, todo.length);
  for (const [i, item] of todo.entries()) {
    const { workflowId, runId } = item.execution;
    let event: RedriveEvent;
    try {
      const why = await whyNotResettable(ctx, item.execution);
      if (why) {
        const skipReason = `${why} when its turn came`;
        report.skipped.push({ ...item, action: 'skip', skipReason });
        event = { result: 'refused', reason: skipReason, workflowId, runId, link: item.execution.link };
      } else {
        const r = await reset(ctx, workflowId, {
          runId,
          to: options.to,
          reason: options.reason ?? 'redrive after a fix',
        });
        report.reset.push({ workflowId, runId, newRunId: r.newRunId, link: r.link });
        event = { result: 'reset', workflowId, runId, newRunId: r.newRunId, link: r.link };
      }
    } catch (err) {
      const failure = {
        workflowId,
        runId,
        error: err instanceof Error ? err.message : String(err),
        link: uiLink(ctx, workflowId, runId),
      };
      report.failed.push(failure);
      event = { result: 'failed', ...failure };
    }
    await options.onOutcome?.(event);
    options.onProgress?.(i + 1, todo.length);
  }
  return report;
}

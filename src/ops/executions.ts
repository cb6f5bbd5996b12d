import type { WorkflowExecutionInfo } from '@temporalio/client';
import { protoDate } from '../temporal/time';
import { temporal } from '@temporalio/proto';
import { BUSINESS_KEY, EVENT_ID, EVENT_TYPE, INTEGRATION_STATUS, SOURCE } from '../domain/search-attributes';
import { emailHash } from '../logger';
import { firstMissingKey, missingKeyOf } from '../temporal/codec';
import { DEFAULT_CONCURRENCY, mapConcurrent } from './concurrency';
import { and, decoded, type OpsContext, OpsInputError, parseDuration, quote, readingContext, uiLink } from './context';

const EventType = temporal.api.enums.v1.EventType;

export interface PendingActivity {
  name: string;
  attempt: number;
  state: string;
  lastFailure?: string;
}

/** One execution as an operator sees it: what it is, where it stands, why it failed, and its Web UI link. */
export interface ExecutionSummary {
  workflowId: string;
  runId: string;
  type: string;
  status: string;
  integrationStatus?: string;
  businessKey?: string;
  source?: string;
  eventType?: string;
  eventId?: string;
  startTime: string;
  closeTime?: string;
  /** Time of the newest history event. */
  lastEventAt?: string;
  pendingActivity?: PendingActivity;
  lastError?: string;
  /** Why `stuck` reports it. */
  stuckBecause?: string;
  /** What of it could not be decrypted, and the key id that needs, e.g. `memo needs key "2026-01"`. */
  unreadable?: string;
  link: string;
}

// The message a person needs is the innermost cause (an ActivityFailure wraps the activity's own error). Failure
// messages travel encrypted in encodedAttributes (src/temporal/failure-converter.ts), so they are decoded first.
async function innermost(
  ctx: OpsContext,
  failure: temporal.api.failure.v1.IFailure | null | undefined,
): Promise<string | undefined> {
  let f = failure ? await decoded(ctx, failure) : failure;
  while (f?.cause) f = f.cause;
  if (f?.encodedAttributes) {
    const attributes = ctx.client.options.loadedDataConverter.payloadConverter.fromPayload(f.encodedAttributes);
    const missing = missingKeyOf(attributes);
    if (missing !== undefined) return `(failure message needs key "${missing}")`;
    const message = (attributes as { message?: unknown } | undefined)?.message;
    if (typeof message === 'string') return message;
  }
  return f?.message ?? undefined;
}

function summarise(ctx: OpsContext, info: WorkflowExecutionInfo): ExecutionSummary {
  const sa = info.typedSearchAttributes;
  const missing = firstMissingKey(info.memo);
  return {
    workflowId: info.workflowId,
    runId: info.runId,
    type: info.type,
    status: info.status.name,
    integrationStatus: sa.get(INTEGRATION_STATUS),
    businessKey: sa.get(BUSINESS_KEY),
    source: sa.get(SOURCE),
    eventType: sa.get(EVENT_TYPE),
    eventId: sa.get(EVENT_ID),
    startTime: info.startTime.toISOString(),
    closeTime: info.closeTime?.toISOString(),
    link: uiLink(ctx, info.workflowId, info.runId),
    unreadable: missing !== undefined ? `memo needs key "${missing}"` : undefined,
  };
}

/** The newest history event of a run: one reverse page of one event, however long the history. */
async function lastEvent(ctx: OpsContext, workflowId: string, runId: string) {
  const res = await ctx.client.workflowService.getWorkflowExecutionHistoryReverse({
    namespace: ctx.namespace,
    execution: { workflowId, runId },
    maximumPageSize: 1,
  });
  return res.history?.events?.[0];
}

async function errorOf(
  ctx: OpsContext,
  event: temporal.api.history.v1.IHistoryEvent | undefined,
): Promise<string | undefined> {
  if (!event) return undefined;
  switch (event.eventType) {
    case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED:
      return innermost(ctx, event.workflowExecutionFailedEventAttributes?.failure);
    case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED:
      return `terminated: ${event.workflowExecutionTerminatedEventAttributes?.reason ?? ''}`.trim();
    case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT:
      return 'timed out';
    case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED:
      return 'canceled';
    default:
      return undefined;
  }
}

/** Adds the pending activity (running) or the final error (closed), and the time of the newest event. */
async function enrich(ctx: OpsContext, s: ExecutionSummary): Promise<ExecutionSummary> {
  const event = await lastEvent(ctx, s.workflowId, s.runId);
  s.lastEventAt = protoDate(event?.eventTime)?.toISOString();
  if (s.status === 'RUNNING') {
    const description = await ctx.client.workflow.getHandle(s.workflowId, s.runId).describe();
    const pending = [...(description.raw.pendingActivities ?? [])].sort((a, b) => (b.attempt ?? 0) - (a.attempt ?? 0));
    const top = pending[0];
    if (top) {
      s.pendingActivity = {
        name: top.activityType?.name ?? 'unknown',
        attempt: top.attempt ?? 1,
        state: temporal.api.enums.v1.PendingActivityState[top.state ?? 0]?.replace('PENDING_ACTIVITY_STATE_', '') ?? '',
        lastFailure: await innermost(ctx, top.lastFailure),
      };
      s.lastError = s.pendingActivity.lastFailure;
    }
  } else {
    s.lastError = await errorOf(ctx, event);
  }
  return s;
}

// Read through a reading client: a memo or failure under a removed key is marked on its execution, not a failed list.
async function collect(
  opsCtx: OpsContext,
  query: string,
  limit: number,
  concurrency = DEFAULT_CONCURRENCY,
): Promise<ExecutionSummary[]> {
  const ctx = readingContext(opsCtx);
  const out: ExecutionSummary[] = [];
  for await (const info of ctx.client.workflow.list({ query, pageSize: Math.min(limit, 1000) })) {
    out.push(summarise(ctx, info));
    if (out.length >= limit) break;
  }
  return mapConcurrent(out, concurrency, (s) => enrich(ctx, s));
}

export interface FindOptions {
  limit?: number;
}

/**
 * Every execution for a business key (order id, a contact's email, …), event id or workflow id, newest first. An
 * email is looked up by its hash: personal data never goes into search attributes, which Temporal does not encrypt.
 */
export function find(ctx: OpsContext, key: string, options: FindOptions = {}): Promise<ExecutionSummary[]> {
  if (!key.trim()) throw new OpsInputError('find: give a business key, event id or workflow id');
  const q = quote(key);
  const businessKey = key.includes('@') ? quote(emailHash(key)) : q;
  return collect(
    ctx,
    `${BUSINESS_KEY.name} = ${businessKey} OR ${EVENT_ID.name} = ${q} OR WorkflowId = ${q}`,
    options.limit ?? 100,
  );
}

export const LIST_STATUSES = ['failed', 'running', 'retrying', 'completed'] as const;
export type ListStatus = (typeof LIST_STATUSES)[number];

export interface ListOptions {
  status?: ListStatus;
  /** How far back, by start time: "24h", "7d". */
  since?: string;
  source?: string;
  /** Workflow type, e.g. orderPaid. */
  type?: string;
  /** Extra visibility clause, ANDed (e.g. TaskQueue = "…"). */
  query?: string;
  limit?: number;
  /** Calls to Temporal in flight while enriching the executions found. */
  concurrency?: number;
  now?: Date;
}

const STATUS_CLAUSE: Record<ListStatus, string> = {
  failed: `ExecutionStatus = "Failed"`,
  running: `ExecutionStatus = "Running"`,
  // Narrowed below to those whose pending activity has failed at least once.
  retrying: `ExecutionStatus = "Running"`,
  completed: `ExecutionStatus = "Completed"`,
};

/** Executions by status, age, source and type. `retrying` means running with a pending activity past attempt 1. */
export async function list(ctx: OpsContext, options: ListOptions = {}): Promise<ExecutionSummary[]> {
  if (options.status && !LIST_STATUSES.includes(options.status)) {
    throw new OpsInputError(`list: --status must be one of ${LIST_STATUSES.join(', ')}`);
  }
  const since =
    options.since !== undefined
      ? new Date((options.now ?? new Date()).getTime() - parseDuration(options.since, '--since'))
      : undefined;
  const query = and(
    options.status ? STATUS_CLAUSE[options.status] : undefined,
    since ? `StartTime > ${quote(since.toISOString())}` : undefined,
    options.source ? `${SOURCE.name} = ${quote(options.source)}` : undefined,
    options.type ? `WorkflowType = ${quote(options.type)}` : undefined,
    options.query,
  );
  const found = await collect(ctx, query, options.limit ?? 100, options.concurrency);
  if (options.status !== 'retrying') return found;
  return found.filter((s) => (s.pendingActivity?.attempt ?? 1) > 1 || s.integrationStatus === 'retrying');
}

export interface StuckOptions {
  /** No history event for longer than this: "15m" (default). */
  olderThan?: string;
  /** A pending activity at or past this attempt (default 5). */
  attempts?: number;
  query?: string;
  limit?: number;
  now?: Date;
}

/** Running executions that are not progressing: a pending activity at or past N attempts, or a silent history. */
export async function stuck(ctx: OpsContext, options: StuckOptions = {}): Promise<ExecutionSummary[]> {
  const olderThanMs = parseDuration(options.olderThan ?? '15m', '--older-than');
  const attempts = options.attempts ?? 5;
  if (!Number.isInteger(attempts) || attempts < 1)
    throw new OpsInputError('stuck: --attempts must be a whole number ≥ 1');
  const now = (options.now ?? new Date()).getTime();
  const running = await collect(ctx, and(STATUS_CLAUSE.running, options.query), options.limit ?? 1000);
  const out: ExecutionSummary[] = [];
  for (const s of running) {
    const reasons: string[] = [];
    if (s.pendingActivity && s.pendingActivity.attempt >= attempts) {
      reasons.push(`${s.pendingActivity.name} at attempt ${s.pendingActivity.attempt}`);
    }
    const silentMs = s.lastEventAt ? now - Date.parse(s.lastEventAt) : 0;
    if (silentMs > olderThanMs) reasons.push(`no history event for ${Math.round(silentMs / 60_000)} min`);
    if (reasons.length) out.push({ ...s, stuckBecause: reasons.join('; ') });
  }
  return out;
}

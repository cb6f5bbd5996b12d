import { status as grpcStatus } from '@grpc/grpc-js';
import type { temporal } from '@temporalio/proto';
import { keyIdOf } from '../temporal/codec';
import { DEFAULT_CONCURRENCY, mapConcurrent } from './concurrency';
import { and, type OpsContext, readingContext, uiLink } from './context';

export interface KeyNeed {
  workflowId: string;
  runId: string;
  type: string;
  /** Key ids its history uses that are not configured. */
  keyIds: string[];
  link: string;
}

/** A schedule whose stored payloads use a key that is not configured: its runs could not start from them. */
export interface ScheduleKeyNeed {
  scheduleId: string;
  /** Key ids it uses that are not configured. */
  keyIds: string[];
  /** Which of its payloads use them: `action input`, `action memo`, `schedule memo`. */
  by: string[];
}

/** A closed execution whose memo uses a key that is not configured: reading it would name that key. */
export interface ClosedKeyNeed {
  workflowId: string;
  runId: string;
  type: string;
  keyIds: string[];
}

export interface KeysCheck {
  /** Open executions whose histories were read. */
  checked: number;
  /** Those that need a key that is not configured: removing it would leave them unable to continue. */
  missing: KeyNeed[];
  /** Every key id seen in open histories, with how many executions use it. */
  inUse: Record<string, number>;
  /** Schedules (those whose id starts with the deployment's prefix) that need a key that is not configured. */
  schedules: ScheduleKeyNeed[];
  /** How many schedules were read. */
  schedulesChecked: number;
  /**
   * Closed executions (kept until the namespace's retention ends) whose memo needs a key that is not configured: they
   * run no more, but their reads (a command's replay, GET /api/v1/operations, `ops show`) need that key.
   */
  closed: {
    checked: number;
    /** Per missing key id, how many closed executions' memos use it. */
    needing: Record<string, number>;
    /** The first of them, for a person to look at. */
    examples: ClosedKeyNeed[];
    truncated: boolean;
  };
  /** More open executions matched than `limit`; the rest were not checked. */
  truncated: boolean;
  limit: number;
}

export const KEYS_CHECK_LIMIT = 10_000;
const CLOSED_EXAMPLES = 20;

function collectKeyIds(value: unknown, into: Set<string>): void {
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return;
  if (Array.isArray(value)) {
    for (const v of value) collectKeyIds(v, into);
    return;
  }
  const metadata = (value as { metadata?: unknown }).metadata;
  if (metadata && typeof metadata === 'object') {
    const id = keyIdOf(value as Parameters<typeof keyIdOf>[0]);
    if (id !== undefined) into.add(id);
  }
  for (const v of Object.values(value)) collectKeyIds(v, into);
}

function keyIdsIn(value: unknown): Set<string> {
  const ids = new Set<string>();
  collectKeyIds(value, ids);
  return ids;
}

/** What of each schedule (read raw: nothing is decrypted) needs a key not in `configured`. */
async function checkSchedules(
  ctx: OpsContext,
  configured: Set<string>,
  prefix: string,
  concurrency: number,
): Promise<{ checked: number; needs: ScheduleKeyNeed[] }> {
  const ids: string[] = [];
  let nextPageToken: Uint8Array | undefined;
  do {
    const page = await ctx.client.workflowService.listSchedules({
      namespace: ctx.namespace,
      maximumPageSize: 1000,
      nextPageToken,
    });
    for (const s of page.schedules ?? []) if (s.scheduleId?.startsWith(prefix)) ids.push(s.scheduleId);
    nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
  } while (nextPageToken);
  const needs = await mapConcurrent(ids, concurrency, async (scheduleId) => {
    let raw: temporal.api.workflowservice.v1.IDescribeScheduleResponse;
    try {
      raw = await ctx.client.workflowService.describeSchedule({ namespace: ctx.namespace, scheduleId });
    } catch (err) {
      // Deleted between the list and the describe.
      if ((err as { code?: unknown }).code === grpcStatus.NOT_FOUND) return undefined;
      throw err;
    }
    const start = raw.schedule?.action?.startWorkflow;
    const parts: Array<[string, unknown]> = [
      ['action input', start?.input],
      ['action memo', start?.memo],
      ['schedule memo', raw.memo],
    ];
    const keyIds = new Set<string>();
    const by: string[] = [];
    for (const [what, value] of parts) {
      const missing = [...keyIdsIn(value)].filter((id) => !configured.has(id));
      if (missing.length) by.push(what);
      for (const id of missing) keyIds.add(id);
    }
    return keyIds.size ? { scheduleId, keyIds: [...keyIds].sort(), by } : undefined;
  });
  return { checked: ids.length, needs: needs.filter((n): n is ScheduleKeyNeed => n !== undefined) };
}

/** Closed executions' memos, as visibility holds them (raw, one list call a page: no history is read). */
async function checkClosedMemos(
  ctx: OpsContext,
  configured: Set<string>,
  query: string | undefined,
  limit: number,
): Promise<KeysCheck['closed']> {
  const closed: KeysCheck['closed'] = { checked: 0, needing: {}, examples: [], truncated: false };
  let nextPageToken: Uint8Array | undefined;
  do {
    const page = await ctx.client.workflowService.listWorkflowExecutions({
      namespace: ctx.namespace,
      query: and('ExecutionStatus != "Running"', query),
      pageSize: Math.min(limit, 1000),
      nextPageToken,
    });
    for (const e of page.executions ?? []) {
      if (closed.checked >= limit) {
        closed.truncated = true;
        return closed;
      }
      closed.checked += 1;
      const keyIds = [...keyIdsIn(e.memo)].filter((id) => !configured.has(id)).sort();
      for (const id of keyIds) closed.needing[id] = (closed.needing[id] ?? 0) + 1;
      if (keyIds.length && closed.examples.length < CLOSED_EXAMPLES) {
        closed.examples.push({
          workflowId: e.execution?.workflowId ?? '',
          runId: e.execution?.runId ?? '',
          type: e.type?.name ?? '',
          keyIds,
        });
      }
    }
    nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
  } while (nextPageToken);
  return closed;
}

/**
 * Everything the server holds encrypted, against the key ids in `configured`: the whole history of every open
 * execution (matching `query`, if given), the schedules whose id starts with `schedulePrefix` (their action's input
 * and memo, their own memo), and the memos of closed executions. Run it with the key list you are about to deploy,
 * before removing a key from PAYLOAD_KEYS.
 */
export async function checkKeys(
  ctx: OpsContext,
  options: {
    configured: readonly string[];
    query?: string;
    /** Only schedules whose id starts with this (the deployment's TASK_QUEUE_PREFIX); all when empty. */
    schedulePrefix?: string;
    limit?: number;
    concurrency?: number;
  },
): Promise<KeysCheck> {
  const limit = options.limit ?? KEYS_CHECK_LIMIT;
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  const open: Array<{ workflowId: string; runId: string; type: string }> = [];
  let truncated = false;
  const query = and('ExecutionStatus = "Running"', options.query);
  // Listed through a reading client: the memo of an open execution may be under the very key being checked.
  const listing = readingContext(ctx).client.workflow.list({ query, pageSize: Math.min(limit, 1000) });
  for await (const info of listing) {
    if (open.length >= limit) {
      truncated = true;
      break;
    }
    open.push({ workflowId: info.workflowId, runId: info.runId, type: info.type });
  }
  const configured = new Set(options.configured);
  const inUse: Record<string, number> = {};
  const needs = await mapConcurrent(open, concurrency, async (e) => {
    const history = await ctx.client.workflow.getHandle(e.workflowId, e.runId).fetchHistory();
    const ids = keyIdsIn(history.events);
    for (const id of ids) inUse[id] = (inUse[id] ?? 0) + 1;
    const keyIds = [...ids].filter((id) => !configured.has(id)).sort();
    return keyIds.length ? { ...e, keyIds, link: uiLink(ctx, e.workflowId, e.runId) } : undefined;
  });
  const schedules = await checkSchedules(ctx, configured, options.schedulePrefix ?? '', concurrency);
  return {
    checked: open.length,
    missing: needs.filter((n): n is KeyNeed => n !== undefined),
    inUse,
    schedules: schedules.needs,
    schedulesChecked: schedules.checked,
    closed: await checkClosedMemos(ctx, configured, options.query, limit),
    truncated,
    limit,
  };
}

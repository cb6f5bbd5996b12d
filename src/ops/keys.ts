import { keyIdOf } from '../temporal/codec';
import { DEFAULT_CONCURRENCY, mapConcurrent } from './concurrency';
import { and, type OpsContext, uiLink } from './context';

export interface KeyNeed {
  workflowId: string;
  runId: string;
  type: string;
  /** Key ids its history uses that are not configured. */
  keyIds: string[];
  link: string;
}

export interface KeysCheck {
  /** Open executions whose histories were read. */
  checked: number;
  /** Those that need a key that is not configured: removing it would leave them unable to continue. */
  missing: KeyNeed[];
  /** Every key id seen in open histories, with how many executions use it. */
  inUse: Record<string, number>;
  /** More open executions matched than `limit`; the rest were not checked. */
  truncated: boolean;
  limit: number;
}

export const KEYS_CHECK_LIMIT = 10_000;

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

/**
 * Reads the whole history of every open execution (matching `query`, if given) and reports the ones that use a key id
 * not in `configured`: run it with the key list you are about to deploy, before removing a key from PAYLOAD_KEYS.
 */
export async function checkKeys(
  ctx: OpsContext,
  options: { configured: readonly string[]; query?: string; limit?: number; concurrency?: number },
): Promise<KeysCheck> {
  const limit = options.limit ?? KEYS_CHECK_LIMIT;
  const open: Array<{ workflowId: string; runId: string; type: string }> = [];
  let truncated = false;
  const query = and('ExecutionStatus = "Running"', options.query);
  for await (const info of ctx.client.workflow.list({ query, pageSize: Math.min(limit, 1000) })) {
    if (open.length >= limit) {
      truncated = true;
      break;
    }
    open.push({ workflowId: info.workflowId, runId: info.runId, type: info.type });
  }
  const configured = new Set(options.configured);
  const inUse: Record<string, number> = {};
  const needs = await mapConcurrent(open, options.concurrency ?? DEFAULT_CONCURRENCY, async (e) => {
    const history = await ctx.client.workflow.getHandle(e.workflowId, e.runId).fetchHistory();
    const ids = new Set<string>();
    collectKeyIds(history.events, ids);
    for (const id of ids) inUse[id] = (inUse[id] ?? 0) + 1;
    const keyIds = [...ids].filter((id) => !configured.has(id)).sort();
    return keyIds.length ? { ...e, keyIds, link: uiLink(ctx, e.workflowId, e.runId) } : undefined;
  });
  return {
    checked: open.length,
    missing: needs.filter((n): n is KeyNeed => n !== undefined),
    inUse,
    truncated,
    limit,
  };
}

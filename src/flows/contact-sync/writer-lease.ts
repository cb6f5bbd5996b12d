import { log, patched, sleep, workflowInfo } from '@temporalio/workflow';
import type { SyncWriter } from '../../contracts/sync-state';
import type { SyncContext } from './context';
import { type ContactSyncResult, EMPTY_TOTALS, type Outcome } from './progress';

/**
 * The patch that makes each run and each dead-letter retry hold the sync's single-writer lease while it writes: a
 * retry never sends a stored (older) record while a run is sending the newer one, nor a run while a retry is.
 */
export const SINGLE_WRITER = 'contact-sync-single-writer';

/** How long a run waits between claims of the lease a dead-letter retry holds: from the first, doubling to the last. */
const WRITER_WAITS_MS = [1_000, 60_000] as const;

/**
 * Takes the sync's writer lease for this execution. A retry gives up at once and returns who holds it; a run waits
 * for a retry (or a run) that holds it to finish. Returns undefined once it holds the lease.
 */
async function claimWriter(ctx: SyncContext, kind: SyncWriter['kind']): Promise<SyncWriter | undefined> {
  const run = workflowInfo();
  const writer: SyncWriter = {
    workflowId: run.workflowId,
    runId: run.runId,
    kind,
    since: new Date(Date.now()).toISOString(),
  };
  for (let wait: number = WRITER_WAITS_MS[0]; ; wait = Math.min(wait * 2, WRITER_WAITS_MS[1])) {
    const claimed = await ctx.state.claimSyncWriter({ workflowId: ctx.stateId, taskQueue: ctx.stateQueue, writer });
    if (claimed.granted) return undefined;
    if (kind === 'retry') return claimed.holder;
    log.info('contact sync: another execution is writing; waiting for it', {
      holder: claimed.holder.workflowId,
      holderKind: claimed.holder.kind,
      waitMs: wait,
    });
    await sleep(wait);
  }
}

/** What a retry that found another execution writing answers: nothing sent, who holds the lease. */
function busy(holder: SyncWriter): ContactSyncResult {
  log.info('contact sync dead letters not retried: another execution is writing', { holder: holder.workflowId });
  return {
    ...EMPTY_TOTALS,
    watermarks: { crm: null, email: null },
    conflictList: [],
    runs: 1,
    durationMs: 0,
    retried: { delivered: [], rejected: [], missing: [], busy: holder },
  };
}

/**
 * Runs `body` as the sync's one writer (since SINGLE_WRITER): a `retry` that finds the lease held sends nothing and
 * answers who holds it. The lease is given back when `body` ends, unless the run continues as new.
 */
export async function asSingleWriter(
  ctx: SyncContext,
  kind: SyncWriter['kind'],
  body: () => Promise<Outcome>,
): Promise<Outcome> {
  if (!patched(SINGLE_WRITER)) return body();
  const holder = await claimWriter(ctx, kind);
  if (holder) return { result: busy(holder) };
  const release = () =>
    ctx.state.releaseSyncWriter({
      workflowId: ctx.stateId,
      taskQueue: ctx.stateQueue,
      writer: workflowInfo().workflowId,
    });
  let out: Outcome;
  try {
    out = await body();
  } catch (err) {
    // A lease left behind is taken over once this execution is closed; giving it back now spares the wait.
    await release().catch(() => undefined);
    throw err;
  }
  // A run that continues as new keeps the lease: the next run of its chain claims it again under the same id.
  if (!('continueWith' in out)) await release();
  return out;
}

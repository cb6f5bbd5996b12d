import { continueAsNew, log, patched, workflowInfo } from '@temporalio/workflow';
import { runFlow } from '../common/run';
import { recordScheduledStart } from '../common/scheduled-run';
import { syncContext } from './context';
import { retryDeadLetters } from './dead-letters';
import { patchFromEmailPages, patchPending, readEmailChanges, sendCrmPagesOneByOne } from './pages';
import { PIPELINED, pipelineCrmPages } from './pipeline';
import {
  bytesOf,
  carry,
  type ContactSyncInput,
  type ContactSyncResult,
  type Outcome,
  resumeProgress,
  startProgress,
} from './progress';
import { asSingleWriter } from './writer-lease';

export { CRM_DEAD_LETTERS } from './dead-letters';
export { PIPELINED, UPSERTS_IN_FLIGHT } from './pipeline';
export {
  BOUNDED_PENDING,
  type ContactSyncInput,
  type ContactSyncProgress,
  type ContactSyncResult,
  type ContactSyncTotals,
  type DeadLetterRetryResult,
  PENDING_BUDGET_BYTES,
} from './progress';
export { SINGLE_WRITER } from './writer-lease';

/**
 * Copies each contact field from the system that owns it to the other, for the contacts changed since the last
 * successful run: email-platform changes are read first, then the CRM's pages are settled against them and upserted
 * to the email platform 100 at a time, then the remaining consent changes are PATCHed into the CRM. Only a run that
 * finishes advances the watermark. A record the email platform rejects on its own goes to the dead-letter list in the
 * sync state (alerted once) and the rest carries on; with `retryDeadLetters` the workflow re-sends listed records.
 */
export async function contactSync(input: ContactSyncInput = {}): Promise<ContactSyncResult> {
  recordScheduledStart();
  const ctx = syncContext();
  const historyLimit = input.historyLimit ?? 2_000;
  const tooLong = () => workflowInfo().historyLength > historyLimit || workflowInfo().continueAsNewSuggested;

  const outcome = await runFlow({ businessKey: 'contact-sync' }, () =>
    asSingleWriter(ctx, input.retryDeadLetters ? 'retry' : 'sync', sync),
  );
  if ('continueWith' in outcome) {
    return continueAsNew<typeof contactSync>({ historyLimit: input.historyLimit, progress: outcome.continueWith });
  }
  return outcome.result;

  async function sync(): Promise<Outcome> {
    if (input.retryDeadLetters) return { result: await retryDeadLetters(ctx, input.retryDeadLetters.ids) };
    const p = input.progress
      ? resumeProgress(input.progress)
      : startProgress(await ctx.state.readSyncState({ workflowId: ctx.stateId, taskQueue: ctx.stateQueue }));
    p.conflictBytes ??= bytesOf(p.conflicts);

    if (await readEmailChanges(ctx, p, tooLong)) return carry(p);

    // Decided once, as the phase starts: a run that began it on the code before keeps to one page at a time.
    const pipelined = p.phase === 'crm' && patched(PIPELINED);
    if (!pipelined && (await sendCrmPagesOneByOne(ctx, p, tooLong))) return carry(p);
    if (p.phase === 'crm') {
      await pipelineCrmPages(ctx, p, tooLong);
      if (p.phase === 'crm') return carry(p);
    }

    // Consent changes go to the CRM only after its pages were read: PATCHes bump updated_at, and a record moved
    // behind the cursor while paging would be read twice.
    if (await patchFromEmailPages(ctx, p, tooLong)) return carry(p);
    if (await patchPending(ctx, p, tooLong)) return carry(p);

    const run = workflowInfo();
    await ctx.state.advanceSyncState({
      workflowId: ctx.stateId,
      taskQueue: ctx.stateQueue,
      advance: {
        watermarks: p.seen,
        conflicts: p.conflicts,
        run: {
          workflowId: run.workflowId,
          runId: run.runId,
          finishedAt: new Date(Date.now()).toISOString(),
          sentToEmail: p.totals.sentToEmail,
          patchedInCrm: p.totals.patchedInCrm,
          conflictCount: p.totals.conflicts,
        },
      },
    });
    const result: ContactSyncResult = {
      ...p.totals,
      watermarks: p.seen,
      conflictList: p.conflicts,
      runs: p.runs,
      durationMs: Date.now() - p.startedAt,
    };
    log.info('contact sync finished', { ...p.totals, runs: p.runs });
    return { result };
  }
}

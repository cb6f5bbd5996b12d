import { log, patched, workflowInfo } from '@temporalio/workflow';
import type { CrmPatchResult } from '../../systems/crm/activities';
import type { UpsertResult } from '../../systems/email-platform/activities';
import type {
  ContactUpsert,
  CrmPatch,
  DeadLetter,
  SettleDeadLetters,
  SettledDeadLetters,
} from '../../contracts/sync-state';
import type { SyncContext } from './context';
import { type ContactSyncProgress, type ContactSyncResult, type DeadLetterRetryResult, EMPTY_TOTALS } from './progress';

/** The patch that puts a record the CRM refuses on its own on the dead-letter list instead of failing the run. */
export const CRM_DEAD_LETTERS = 'contact-sync-crm-dead-letters';

/**
 * Puts the records the email platform rejected on the dead-letter list and takes the delivered ones that were on it
 * off; alerts once about the records new to the list. Schedules nothing when there is nothing to settle.
 */
async function settleUpserts(
  ctx: SyncContext,
  sent: ContactUpsert[],
  rejected: UpsertResult['rejected'] | undefined,
  listed: ReadonlySet<string>,
): Promise<SettledDeadLetters | undefined> {
  const errors = new Map((rejected ?? []).map((r) => [r.externalId, r.error]));
  const delivered = sent.filter((c) => !errors.has(c.externalId) && listed.has(c.externalId)).map((c) => c.externalId);
  if (!errors.size && !delivered.length) return undefined;
  return settleList(
    ctx,
    {
      rejected: sent
        .filter((c) => errors.has(c.externalId))
        .map(({ attempt: _attempt, ...record }) => ({ record, error: errors.get(record.externalId)! })),
      delivered,
    },
    errors,
  );
}

/** As `settleUpserts`, for the consent patches the CRM refused (`refused`) and the listed ones it applied. */
async function settleCrmPatches(
  ctx: SyncContext,
  sent: CrmPatch[],
  refused: CrmPatchResult['refused'],
  listed: ReadonlySet<string>,
): Promise<SettledDeadLetters | undefined> {
  const errors = new Map(refused.map((r) => [r.id, r.error]));
  const delivered = sent.filter((c) => !errors.has(c.id) && listed.has(c.id)).map((c) => c.id);
  if (!errors.size && !delivered.length) return undefined;
  return settleList(
    ctx,
    {
      system: 'crm',
      rejected: sent
        .filter((c) => errors.has(c.id))
        .map(({ attempt: _attempt, ...record }) => ({ record, error: errors.get(record.id)! })),
      delivered,
    },
    errors,
  );
}

async function settleList(
  ctx: SyncContext,
  settle: SettleDeadLetters,
  errors: Map<string, string>,
): Promise<SettledDeadLetters> {
  const system = settle.system ?? 'email-platform';
  const settled = await ctx.state.settleDeadLetters({ workflowId: ctx.stateId, taskQueue: ctx.stateQueue, settle });
  for (const [contactId, error] of errors) {
    log.warn(`contact rejected by the ${system}: on the dead-letter list`, { contactId, error });
  }
  if (settled.added.length || settled.notKept.length) {
    const run = workflowInfo();
    await ctx.alerts.sendDeadLetterAlert({
      sync: 'contact',
      stateWorkflowId: ctx.stateId,
      workflowId: run.workflowId,
      runId: run.runId,
      system,
      // The address, for the alert to name the contact by its hash: never by the address itself.
      added: settled.added.map((e) => ({ id: e.id, error: e.error, firstSeen: e.firstSeen, email: e.record.email })),
      notKept: settled.notKept,
    });
  }
  return settled;
}

/** Counts an upsert's answer and settles its rejected and delivered records on the dead-letter list. */
export async function settleAnswer(
  ctx: SyncContext,
  p: ContactSyncProgress,
  upserts: ContactUpsert[],
  answer: UpsertResult,
  listed: ReadonlySet<string>,
): Promise<void> {
  const rejected = answer.rejected?.length ?? 0;
  p.totals.sentToEmail += upserts.length - rejected;
  p.totals.rejected += rejected;
  p.totals.upsertCalls += 1;
  const settled = await settleUpserts(ctx, upserts, answer.rejected, listed);
  if (settled) p.deadLetterIds = settled.ids;
}

/**
 * PATCHes consent into the CRM. Since CRM_DEAD_LETTERS, a record the CRM refuses on its own (the contact was
 * deleted there) goes on the dead-letter list and the others go through; before it, the refusal failed the run.
 */
export async function patchCrm(ctx: SyncContext, p: ContactSyncProgress, patches: CrmPatch[]): Promise<void> {
  if (!patched(CRM_DEAD_LETTERS)) {
    p.totals.patchedInCrm += await ctx.crm.patchCrmContacts({ patches });
    return;
  }
  const answer = await ctx.crm.patchCrmContactRecords({ patches });
  p.totals.patchedInCrm += answer.patched;
  p.totals.refusedByCrm += answer.refused.length;
  const settled = await settleCrmPatches(ctx, patches, answer.refused, new Set(p.crmDeadLetterIds ?? []));
  if (settled) p.crmDeadLetterIds = settled.ids;
}

/** Re-sends listed records through the same activity; delivered ones leave the list, the others stay. */
export async function retryDeadLetters(ctx: SyncContext, ids: string[] | undefined): Promise<ContactSyncResult> {
  const startedAt = Date.now();
  const snapshot = await ctx.state.readSyncState({ workflowId: ctx.stateId, taskQueue: ctx.stateQueue });
  const listed = snapshot.deadLetters ?? [];
  const entries = (ids ? listed.filter((e) => ids.includes(e.id)) : listed).filter(
    (e): e is Extract<DeadLetter, { system: 'email-platform' }> => e.system === 'email-platform',
  );
  const crmEntries = (ids ? listed.filter((e) => ids.includes(e.id)) : listed).filter(
    (e): e is Extract<DeadLetter, { system: 'crm' }> => e.system === 'crm',
  );
  const retried: DeadLetterRetryResult = {
    delivered: [],
    rejected: [],
    missing: (ids ?? []).filter((id) => !listed.some((e) => e.id === id)),
  };
  const totals = { ...EMPTY_TOTALS };
  for (let i = 0; i < entries.length; i += 100) {
    const chunk = entries.slice(i, i + 100);
    // The attempt joins the key: the same record sent again is a new write, not a replay of the last refusal.
    const sent = chunk.map((e) => ({ ...e.record, attempt: e.attempts }));
    const answer = await ctx.email.upsertEmailContacts({ contacts: sent });
    await settleUpserts(ctx, sent, answer.rejected, new Set(chunk.map((e) => e.id)));
    const errors = new Map((answer.rejected ?? []).map((r) => [r.externalId, r.error]));
    for (const e of chunk) {
      const error = errors.get(e.id);
      if (error === undefined) retried.delivered.push(e.id);
      else retried.rejected.push({ id: e.id, error });
    }
    totals.upsertCalls += 1;
  }
  totals.sentToEmail = retried.delivered.length;
  totals.rejected = retried.rejected.length;
  for (let i = 0; i < crmEntries.length; i += 100) {
    const chunk = crmEntries.slice(i, i + 100);
    const sent = chunk.map((e) => ({ ...e.record, attempt: e.attempts }));
    const answer = await ctx.crm.patchCrmContactRecords({ patches: sent });
    await settleCrmPatches(ctx, sent, answer.refused, new Set(chunk.map((e) => e.id)));
    const errors = new Map(answer.refused.map((r) => [r.id, r.error]));
    for (const e of chunk) {
      const error = errors.get(e.id);
      if (error === undefined) retried.delivered.push(e.id);
      else retried.rejected.push({ id: e.id, error });
    }
    totals.patchedInCrm += answer.patched;
    totals.refusedByCrm += answer.refused.length;
  }
  log.info('contact sync dead letters retried', {
    delivered: retried.delivered.length,
    rejected: retried.rejected.length,
    missing: retried.missing.length,
  });
  return {
    ...totals,
    watermarks: snapshot.watermarks,
    conflictList: [],
    runs: 1,
    durationMs: Date.now() - startedAt,
    retried,
  };
}

import { continueAsNew, log, metricMeter, workflowInfo } from '@temporalio/workflow';
import { type ContactUpsert, type CrmPatch, syncStateId, type Watermarks } from '../contracts/sync-state';
import { prefixOf } from '../contracts/task-queues';
import {
  CONTACT_OWNERSHIP,
  type Conflict,
  type ContactSide,
  type ContactValues,
  planContact,
} from '../domain/ownership';
import { systemActivities, temporalActivities } from './activities';
import { runFlow } from './flow';

/** Conflicts kept in a result and in the sync state; the count is always complete. */
const MAX_CONFLICTS_KEPT = 200;

export interface ContactSyncTotals {
  crmScanned: number;
  emailScanned: number;
  sentToEmail: number;
  upsertCalls: number;
  patchedInCrm: number;
  conflicts: number;
  unlinked: number;
}

/** The latest change by a person on either side: what makes a write new, so it is part of the write's key. */
function versionOf(...sides: Array<ContactSide | undefined>): string {
  let latest = '';
  for (const side of sides) for (const at of Object.values(side?.changed ?? {})) if (at > latest) latest = at;
  return latest;
}

interface Pending {
  side: ContactSide;
  /** Set once the CRM side was seen and the conflict settled: what remains to PATCH into the CRM. */
  patch?: ContactValues | null;
  /** The version of that patch (both sides' latest change). */
  version?: string;
}

export interface ContactSyncProgress {
  phase: 'email' | 'crm' | 'patch';
  since: Watermarks;
  seen: Watermarks;
  cursor: string | null;
  /** Email-platform changes read in the first phase, by CRM id, until they are settled against the CRM's. */
  pending: Record<string, Pending>;
  totals: ContactSyncTotals;
  conflicts: Conflict[];
  runs: number;
  startedAt: number;
}

export interface ContactSyncInput {
  /** Continue as new once the history has this many events (default 2,000). */
  historyLimit?: number;
  /** Set by continueAsNew only. */
  progress?: ContactSyncProgress;
}

export interface ContactSyncResult extends ContactSyncTotals {
  watermarks: Watermarks;
  conflictList: Conflict[];
  runs: number;
  durationMs: number;
}

/**
 * Copies each contact field from the system that owns it to the other, for the contacts changed since the last
 * successful run: email-platform changes are read first, then the CRM's pages are settled against them and upserted
 * to the email platform 100 at a time, then the remaining consent changes are PATCHed into the CRM. Only a run that
 * finishes advances the watermark.
 */
export async function contactSync(input: ContactSyncInput = {}): Promise<ContactSyncResult> {
  const info = workflowInfo();
  const stateQueue = info.taskQueue;
  const stateId = syncStateId(prefixOf(stateQueue), 'contact');
  const historyLimit = input.historyLimit ?? 2_000;
  const state = temporalActivities();
  const crm = systemActivities('crm', 'batch');
  // The email platform's queue carries its rate limit: every batch waits its turn there.
  const email = systemActivities('email-platform', 'batch');
  const conflictCounter = metricMeter.createCounter(
    'switchyard_contact_sync_conflicts',
    'conflicts',
    'Contact fields changed on both sides since the last sync, settled by their rule',
  );

  const outcome = await runFlow({ businessKey: 'contact-sync' }, async () => {
    let p: ContactSyncProgress;
    if (input.progress) p = { ...input.progress, runs: input.progress.runs + 1 };
    else {
      const snapshot = await state.readSyncState({ workflowId: stateId, taskQueue: stateQueue });
      p = {
        phase: 'email',
        since: snapshot.watermarks,
        seen: { ...snapshot.watermarks },
        cursor: null,
        pending: {},
        totals: {
          crmScanned: 0,
          emailScanned: 0,
          sentToEmail: 0,
          upsertCalls: 0,
          patchedInCrm: 0,
          conflicts: 0,
          unlinked: 0,
        },
        conflicts: [],
        runs: 1,
        startedAt: Date.now(),
      };
    }
    const later = (a: string | null, b: string | null) => (a === null ? b : b === null || a > b ? a : b);
    const tooLong = () => workflowInfo().historyLength > historyLimit || workflowInfo().continueAsNewSuggested;

    while (p.phase === 'email') {
      const page = await email.listEmailContactChanges({ since: p.since.email, cursor: p.cursor });
      p.totals.emailScanned += page.scanned;
      p.totals.unlinked += page.unlinked;
      p.seen.email = later(p.seen.email, page.maxUpdatedAt);
      for (const side of page.contacts) p.pending[side.id] = { side };
      p.cursor = page.next;
      if (!page.next) {
        p.phase = 'crm';
        p.cursor = null;
      }
      if (tooLong()) return { continueWith: p };
    }

    while (p.phase === 'crm') {
      const page = await crm.listCrmContactChanges({ since: p.since.crm, cursor: p.cursor });
      p.totals.crmScanned += page.scanned;
      p.seen.crm = later(p.seen.crm, page.maxUpdatedAt);
      const upserts: ContactUpsert[] = [];
      for (const side of page.contacts) {
        const pending = p.pending[side.id];
        const plan = planContact(CONTACT_OWNERSHIP, side, pending?.side);
        const version = versionOf(side, pending?.side);
        if (pending) {
          pending.patch = plan.toCrm ?? null;
          pending.version = version;
        }
        if (plan.toEmail) upserts.push({ externalId: side.id, version, ...plan.toEmail });
        for (const c of plan.conflicts) {
          conflictCounter.add(1, { field: c.field, rule: c.rule, winner: c.winner });
          log.info('contact conflict settled', {
            contactId: c.contactId,
            field: c.field,
            rule: c.rule,
            winner: c.winner,
          });
          if (p.conflicts.length < MAX_CONFLICTS_KEPT) p.conflicts.push(c);
        }
        p.totals.conflicts += plan.conflicts.length;
      }
      if (upserts.length) {
        await email.upsertEmailContacts({ contacts: upserts });
        p.totals.sentToEmail += upserts.length;
        p.totals.upsertCalls += 1;
      }
      p.cursor = page.next;
      if (!page.next) {
        p.phase = 'patch';
        p.cursor = null;
      }
      if (tooLong()) return { continueWith: p };
    }

    // Consent changes go to the CRM only after its pages were read: PATCHes bump updated_at, and a record moved
    // behind the cursor while paging would be read twice.
    const ids = Object.keys(p.pending);
    for (let i = 0; i < ids.length; i += 100) {
      const patches: CrmPatch[] = [];
      for (const id of ids.slice(i, i + 100)) {
        const pending = p.pending[id]!;
        const values =
          pending.patch === undefined ? planContact(CONTACT_OWNERSHIP, undefined, pending.side).toCrm : pending.patch;
        if (values) patches.push({ id, values, version: pending.version ?? versionOf(pending.side) });
      }
      if (patches.length) p.totals.patchedInCrm += await crm.patchCrmContacts({ patches });
      for (const id of ids.slice(i, i + 100)) delete p.pending[id];
      if (i + 100 < ids.length && tooLong()) return { continueWith: p };
    }

    const run = workflowInfo();
    await state.advanceSyncState({
      workflowId: stateId,
      taskQueue: stateQueue,
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
  });

  if ('continueWith' in outcome) {
    return continueAsNew<typeof contactSync>({ historyLimit: input.historyLimit, progress: outcome.continueWith });
  }
  return outcome.result;
}

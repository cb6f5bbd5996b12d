import { continueAsNew, log, metricMeter, patched, sleep, workflowInfo } from '@temporalio/workflow';
import type { ContactPage } from '../../kit/contact-pages';
import type { CrmPatchResult } from '../../systems/crm/activities';
import type { UpsertResult } from '../../systems/email-platform/activities';
import {
  type ContactUpsert,
  type CrmPatch,
  type DeadLetter,
  type SettleDeadLetters,
  type SettledDeadLetters,
  syncStateId,
  type SyncWriter,
  type Watermarks,
} from '../../contracts/sync-state';
import { prefixOf } from '../../contracts/task-queues';
import {
  CONTACT_FIELDS,
  CONTACT_OWNERSHIP,
  type Conflict,
  type ContactSide,
  type ContactValues,
  planContact,
} from '../../domain/ownership';
import { systemActivities, temporalActivities } from '../common/activities';
import { runFlow } from '../common/run';
import { recordScheduledStart } from '../common/scheduled-run';
import type { Alerts } from '../../systems/alerts/system';
import type { Crm } from '../../systems/crm/system';
import type { EmailPlatform } from '../../systems/email-platform/system';

/** Conflicts kept in a result and in the sync state, by count and by bytes; the count is always complete. */
const MAX_CONFLICTS_KEPT = 200;
const MAX_CONFLICT_BYTES = 64 * 1024;

/**
 * Email-platform changes held in workflow state while the CRM's pages are settled, in bytes (UTF-8 JSON). Past it
 * the sync reads the other side per page instead (see `lookup`), so what continueAsNew carries stays small.
 */
export const PENDING_BUDGET_BYTES = 256 * 1024;

/** The patch that lets a run switch to reading the other side per page when its email-side changes outgrow memory. */
export const BOUNDED_PENDING = 'contact-sync-bounded-pending';

/** The patch that reads the CRM's next page and keeps several upserts in flight while earlier pages are answered. */
export const PIPELINED = 'contact-sync-pipelined';

/** The patch that puts a record the CRM refuses on its own on the dead-letter list instead of failing the run. */
export const CRM_DEAD_LETTERS = 'contact-sync-crm-dead-letters';

/**
 * The patch that makes each run and each dead-letter retry hold the sync's single-writer lease while it writes: a
 * retry never sends a stored (older) record while a run is sending the newer one, nor a run while a retry is.
 */
export const SINGLE_WRITER = 'contact-sync-single-writer';

/** How long a run waits between claims of the lease a dead-letter retry holds: from the first, doubling to the last. */
const WRITER_WAITS_MS = [1_000, 60_000] as const;

/**
 * Upserts to the email platform in flight at once. One at a time, each batch waited for a CRM read, its own round
 * trip and the workflow tasks between them, and the platform's rate was never filled; with a few at once the rate
 * limit of its queue paces the sync instead.
 */
export const UPSERTS_IN_FLIGHT = 4;

/**
 * CRM pages read by one activity in the pipelined phase. Each page's cursor comes from the page before it, so the
 * reads cannot overlap; two in one call halve the round trips through Temporal that would otherwise pace the sync.
 */
const CRM_PAGES_PER_READ = 2;

const listedIds = (entries: DeadLetter[] | undefined, system: DeadLetter['system']) =>
  (entries ?? []).filter((e) => e.system === system).map((e) => e.id);

const later = (a: string | null, b: string | null) => (a === null ? b : b === null || a > b ? a : b);

const encoder = new TextEncoder();
const bytesOf = (value: unknown) => encoder.encode(JSON.stringify(value)).length;

export interface ContactSyncTotals {
  crmScanned: number;
  emailScanned: number;
  sentToEmail: number;
  upsertCalls: number;
  patchedInCrm: number;
  conflicts: number;
  unlinked: number;
  /** Records the email platform rejected on their own: on the dead-letter list, the rest went through. */
  rejected: number;
  /** Consent patches the CRM refused on their own (e.g. the contact was deleted there): on the dead-letter list. */
  refusedByCrm: number;
}

/** The latest change by a person on either side: what makes a write new, so it is part of the write's key. */
function versionOf(...sides: Array<ContactSide | undefined>): string {
  let latest = '';
  for (const side of sides) for (const at of Object.values(side?.changed ?? {})) if (at > latest) latest = at;
  return latest;
}

/**
 * Every field the CRM alone owns, from its side: what a record on the dead-letter list is sent with, because the
 * fields of the writes that were rejected never arrived and a change since names only the fields it touched.
 */
function ownedByCrm(side: ContactSide): ContactValues {
  const values: Record<string, unknown> = {};
  for (const field of CONTACT_FIELDS) {
    const rule = CONTACT_OWNERSHIP[field];
    if (rule.owner === 'crm' && rule.direction === 'one-way' && side.values[field] !== undefined) {
      values[field] = side.values[field];
    }
  }
  return values as ContactValues;
}

/**
 * Drops what is held of the email side and reads it per page from here on. The CRM pages still to come read it per
 * page; the last phase pages through all of the email platform's changes (again), so its counts start over.
 */
function switchToLookup(p: ContactSyncProgress): void {
  log.info('contact sync: email-side changes outgrew the budget; reading them per page', {
    phase: p.phase,
    pendingBytes: p.pendingBytes,
    budget: PENDING_BUDGET_BYTES,
  });
  p.lookup = true;
  p.pending = {};
  p.pendingBytes = 0;
  p.totals.emailScanned = 0;
  p.totals.unlinked = 0;
  // A CRM phase under way keeps its cursor; the email feed is read again from the start in the last phase.
  if (p.phase === 'email') {
    p.phase = 'crm';
    p.cursor = null;
  } else if (p.phase === 'patch') p.cursor = null;
}

/** A CRM page planned in the pipelined phase whose answer is not settled yet. */
interface Sending {
  upserts: ContactUpsert[];
  /** The ids on the dead-letter list when the page was planned. */
  listed: ReadonlySet<string>;
  /** Absent when the page had nothing to send. */
  answer?: Promise<UpsertResult>;
  /** The cursor after the page: the run's cursor once its answer is settled. */
  next: string | null;
  done: boolean;
  failed: boolean;
}

interface Pending {
  side: ContactSide;
  /** Set once the CRM side was seen and the conflict settled: what remains to PATCH into the CRM. */
  patch?: ContactValues | null;
  /** The version of that patch (both sides' latest change). */
  version?: string;
}

export interface ContactSyncProgress {
  phase: 'email' | 'crm' | 'patch' | 'done';
  since: Watermarks;
  seen: Watermarks;
  cursor: string | null;
  /** Email-platform changes read in the first phase, by CRM id, until they are settled against the CRM's. */
  pending: Record<string, Pending>;
  /** The size of `pending` (UTF-8 JSON), kept under PENDING_BUDGET_BYTES. */
  pendingBytes?: number;
  /**
   * Set once the email-side changes outgrew the budget: nothing is held. Each CRM page reads the email side of its
   * contacts, and the last phase pages through the email platform's changes again, reading the CRM side of each page.
   */
  lookup?: boolean;
  conflictBytes?: number;
  totals: ContactSyncTotals;
  conflicts: Conflict[];
  /** The ids on the email platform's part of the dead-letter list, so a listed record that now goes through leaves it. */
  deadLetterIds: string[];
  /** The same for the CRM's part (absent in a run continued from before the CRM's refusals were listed). */
  crmDeadLetterIds?: string[];
  runs: number;
  startedAt: number;
}

export interface ContactSyncInput {
  /** Continue as new once the history has this many events (default 2,000). */
  historyLimit?: number;
  /** Set by continueAsNew only. */
  progress?: ContactSyncProgress;
  /** Instead of syncing, re-send records on the dead-letter list (`sync-dlq retry`): these ids, or all of them. */
  retryDeadLetters?: { ids?: string[] };
}

export interface DeadLetterRetryResult {
  delivered: string[];
  /** Still rejected: they stay on the list, one attempt more. */
  rejected: Array<{ id: string; error: string }>;
  /** Asked for but not on the list. */
  missing: string[];
  /** Set when nothing was sent because another execution holds the sync's writer lease (a run is writing). */
  busy?: SyncWriter;
}

export interface ContactSyncResult extends ContactSyncTotals {
  watermarks: Watermarks;
  conflictList: Conflict[];
  runs: number;
  durationMs: number;
  /** Set for a dead-letter retry. */
  retried?: DeadLetterRetryResult;
}

const EMPTY_TOTALS: ContactSyncTotals = {
  crmScanned: 0,
  emailScanned: 0,
  sentToEmail: 0,
  upsertCalls: 0,
  patchedInCrm: 0,
  conflicts: 0,
  unlinked: 0,
  rejected: 0,
  refusedByCrm: 0,
};

/**
 * Copies each contact field from the system that owns it to the other, for the contacts changed since the last
 * successful run: email-platform changes are read first, then the CRM's pages are settled against them and upserted
 * to the email platform 100 at a time, then the remaining consent changes are PATCHed into the CRM. Only a run that
 * finishes advances the watermark. A record the email platform rejects on its own goes to the dead-letter list in the
 * sync state (alerted once) and the rest carries on; with `retryDeadLetters` the workflow re-sends listed records.
 */
export async function contactSync(input: ContactSyncInput = {}): Promise<ContactSyncResult> {
  recordScheduledStart();
  const info = workflowInfo();
  const stateQueue = info.taskQueue;
  const stateId = syncStateId(prefixOf(stateQueue), 'contact');
  const historyLimit = input.historyLimit ?? 2_000;
  const state = temporalActivities();
  const alerts = systemActivities<Alerts>('alerts', 'alert');
  const crm = systemActivities<Crm>('crm', 'batch');
  // The email platform's queue carries its rate limit: every batch waits its turn there.
  const email = systemActivities<EmailPlatform>('email-platform', 'batch');
  const conflictCounter = metricMeter.createCounter(
    'switchyard_contact_sync_conflicts',
    'conflicts',
    'Contact fields changed on both sides since the last sync, settled by their rule',
  );

  /**
   * Puts the records the email platform rejected on the dead-letter list and takes the delivered ones that were on it
   * off; alerts once about the records new to the list. Schedules nothing when there is nothing to settle.
   */
  async function settle(
    sent: ContactUpsert[],
    rejected: UpsertResult['rejected'] | undefined,
    listed: ReadonlySet<string>,
  ): Promise<SettledDeadLetters | undefined> {
    const errors = new Map((rejected ?? []).map((r) => [r.externalId, r.error]));
    const delivered = sent
      .filter((c) => !errors.has(c.externalId) && listed.has(c.externalId))
      .map((c) => c.externalId);
    if (!errors.size && !delivered.length) return undefined;
    return settleList(
      {
        rejected: sent
          .filter((c) => errors.has(c.externalId))
          .map(({ attempt: _attempt, ...record }) => ({ record, error: errors.get(record.externalId)! })),
        delivered,
      },
      errors,
    );
  }

  /** As `settle`, for the consent patches the CRM refused (`refused`) and the listed ones it applied. */
  async function settleCrm(
    sent: CrmPatch[],
    refused: CrmPatchResult['refused'],
    listed: ReadonlySet<string>,
  ): Promise<SettledDeadLetters | undefined> {
    const errors = new Map(refused.map((r) => [r.id, r.error]));
    const delivered = sent.filter((c) => !errors.has(c.id) && listed.has(c.id)).map((c) => c.id);
    if (!errors.size && !delivered.length) return undefined;
    return settleList(
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

  async function settleList(settle: SettleDeadLetters, errors: Map<string, string>): Promise<SettledDeadLetters> {
    const system = settle.system ?? 'email-platform';
    const settled = await state.settleDeadLetters({ workflowId: stateId, taskQueue: stateQueue, settle });
    for (const [contactId, error] of errors) {
      log.warn(`contact rejected by the ${system}: on the dead-letter list`, { contactId, error });
    }
    if (settled.added.length || settled.notKept.length) {
      const run = workflowInfo();
      await alerts.sendDeadLetterAlert({
        sync: 'contact',
        stateWorkflowId: stateId,
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

  /**
   * PATCHes consent into the CRM. Since CRM_DEAD_LETTERS, a record the CRM refuses on its own (the contact was
   * deleted there) goes on the dead-letter list and the others go through; before it, the refusal failed the run.
   */
  async function patchCrm(p: ContactSyncProgress, patches: CrmPatch[]): Promise<void> {
    if (!patched(CRM_DEAD_LETTERS)) {
      p.totals.patchedInCrm += await crm.patchCrmContacts({ patches });
      return;
    }
    const answer = await crm.patchCrmContactRecords({ patches });
    p.totals.patchedInCrm += answer.patched;
    p.totals.refusedByCrm += answer.refused.length;
    const settled = await settleCrm(patches, answer.refused, new Set(p.crmDeadLetterIds ?? []));
    if (settled) p.crmDeadLetterIds = settled.ids;
  }

  /**
   * Takes the sync's writer lease for this execution. A retry gives up at once and returns who holds it; a run waits
   * for a retry (or a run) that holds it to finish. Returns undefined once it holds the lease.
   */
  async function claimWriter(kind: SyncWriter['kind']): Promise<SyncWriter | undefined> {
    const run = workflowInfo();
    const writer: SyncWriter = {
      workflowId: run.workflowId,
      runId: run.runId,
      kind,
      since: new Date(Date.now()).toISOString(),
    };
    for (let wait: number = WRITER_WAITS_MS[0]; ; wait = Math.min(wait * 2, WRITER_WAITS_MS[1])) {
      const claimed = await state.claimSyncWriter({ workflowId: stateId, taskQueue: stateQueue, writer });
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

  /** The email side of a CRM page's contacts, read per page past the budget; undefined while `p.pending` holds it. */
  async function lookUp(p: ContactSyncProgress, page: ContactPage): Promise<ContactPage | undefined> {
    if (!p.lookup || !page.contacts.length) return undefined;
    return email.listEmailContactChanges({ since: p.since.email, cursor: null, ids: page.contacts.map((c) => c.id) });
  }

  /**
   * Settles a CRM page against the email side of its contacts (held since the first phase, or `looked` up for this
   * page): counts and logs its conflicts, keeps what goes back to the CRM in `p.pending`, and returns the writes for
   * the email platform. A contact on the dead-letter list (`listed`) is sent with every field the CRM owns.
   */
  function planPage(
    p: ContactSyncProgress,
    page: ContactPage,
    looked: ContactPage | undefined,
    listed: ReadonlySet<string>,
  ): ContactUpsert[] {
    const upserts: ContactUpsert[] = [];
    const emailSides = new Map(looked?.contacts.map((c) => [c.id, c]));
    for (const side of page.contacts) {
      const pending = p.pending[side.id];
      const emailSide = pending?.side ?? emailSides.get(side.id);
      const plan = planContact(CONTACT_OWNERSHIP, side, emailSide);
      const version = versionOf(side, emailSide);
      if (pending) {
        pending.patch = plan.toCrm ?? null;
        pending.version = version;
      }
      if (plan.toEmail) {
        const whole = listed.has(side.id) ? ownedByCrm(side) : {};
        upserts.push({ externalId: side.id, version, ...whole, ...plan.toEmail });
      }
      for (const c of plan.conflicts) {
        conflictCounter.add(1, { field: c.field, rule: c.rule, winner: c.winner });
        log.info('contact conflict settled', {
          contactId: c.contactId,
          field: c.field,
          rule: c.rule,
          winner: c.winner,
        });
        const size = bytesOf(c);
        const kept = p.conflictBytes ?? 0;
        if (p.conflicts.length < MAX_CONFLICTS_KEPT && kept + size <= MAX_CONFLICT_BYTES) {
          p.conflicts.push(c);
          p.conflictBytes = kept + size;
        }
      }
      p.totals.conflicts += plan.conflicts.length;
    }
    return upserts;
  }

  /** Counts an upsert's answer and settles its rejected and delivered records on the dead-letter list. */
  async function settleAnswer(
    p: ContactSyncProgress,
    upserts: ContactUpsert[],
    answer: UpsertResult,
    listed: ReadonlySet<string>,
  ): Promise<void> {
    const rejected = answer.rejected?.length ?? 0;
    p.totals.sentToEmail += upserts.length - rejected;
    p.totals.rejected += rejected;
    p.totals.upsertCalls += 1;
    const settled = await settle(upserts, answer.rejected, listed);
    if (settled) p.deadLetterIds = settled.ids;
  }

  /**
   * The CRM phase with the next pages read while these are planned and sent, and up to UPSERTS_IN_FLIGHT upserts in
   * flight, so the email platform's queue, not the round trips, sets the pace. What each answer changes (totals, the
   * dead-letter list, then the cursor) is applied in page order, and the cursor moves past a page only once its
   * answer is settled. Returns with the phase still `crm` when `stop` says the run should continue as new: nothing
   * is in flight then, and the cursor is the one after the last settled page, so the next run reads on from there.
   */
  async function pipelineCrmPages(p: ContactSyncProgress, stop: () => boolean): Promise<void> {
    const sending: Sending[] = [];
    const read = (cursor: string | null) => {
      const answer = crm
        .listCrmContactChanges({ since: p.since.crm, cursor, pages: CRM_PAGES_PER_READ })
        .then(({ following, ...page }) => [page, ...(following ?? [])]);
      // Awaited only once the pages before it are sent: a failure must not count as unhandled meanwhile.
      answer.catch(() => undefined);
      return answer;
    };
    const settleOldest = async () => {
      const oldest = sending[0]!;
      if (oldest.answer) await settleAnswer(p, oldest.upserts, await oldest.answer, oldest.listed);
      sending.shift();
      p.cursor = oldest.next;
      if (!oldest.next) {
        p.phase = 'patch';
        p.cursor = null;
      }
    };
    let reading: Promise<ContactPage[]> | undefined = read(p.cursor);
    while (reading) {
      const pages: ContactPage[] = await reading;
      const last = pages.at(-1)!;
      // Not when the run is about to continue as new: the next run reads those pages itself.
      reading = last.next && !stop() ? read(last.next) : undefined;
      for (const page of pages) {
        while (sending[0]?.done) await settleOldest();
        // A contact in a batch still in flight waits for that batch's answer: sent alongside it, a newer version
        // could land first and the older one overwrite it. Its dead-letter entry is settled by then too.
        const ids = new Set(page.contacts.map((c) => c.id));
        let overlap = -1;
        sending.forEach((s, i) => {
          if (s.upserts.some((u) => ids.has(u.externalId))) overlap = i;
        });
        for (let i = 0; i <= overlap; i++) await settleOldest();
        p.totals.crmScanned += page.scanned;
        p.seen.crm = later(p.seen.crm, page.maxUpdatedAt);
        const listed = new Set(p.deadLetterIds);
        const upserts = planPage(p, page, await lookUp(p, page), listed);
        // A failed upsert fails the flow as soon as the ones before it are settled, before anything more is sent.
        while (sending.length >= UPSERTS_IN_FLIGHT || sending.some((s) => s.failed)) await settleOldest();
        const next: Sending = { upserts, listed, next: page.next, done: !upserts.length, failed: false };
        if (upserts.length) {
          next.answer = email.upsertEmailContacts({ contacts: upserts });
          next.answer.then(
            () => (next.done = true),
            () => (next.failed = true),
          );
        }
        sending.push(next);
      }
    }
    while (sending.length) await settleOldest();
  }

  const release = () =>
    state.releaseSyncWriter({ workflowId: stateId, taskQueue: stateQueue, writer: workflowInfo().workflowId });
  const outcome = await runFlow({ businessKey: 'contact-sync' }, async () => {
    if (!patched(SINGLE_WRITER)) return body();
    const holder = await claimWriter(input.retryDeadLetters ? 'retry' : 'sync');
    if (holder) return { result: busy(holder) };
    let out: Awaited<ReturnType<typeof body>>;
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
  });

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

  async function body(): Promise<{ result: ContactSyncResult } | { continueWith: ContactSyncProgress }> {
    if (input.retryDeadLetters) return { result: await retryDeadLetters(input.retryDeadLetters.ids) };
    let p: ContactSyncProgress;
    if (input.progress) {
      // A run continued from an older version lacks the fields added since.
      p = {
        ...input.progress,
        totals: { ...EMPTY_TOTALS, ...input.progress.totals },
        deadLetterIds: input.progress.deadLetterIds ?? [],
        runs: input.progress.runs + 1,
      };
    } else {
      const snapshot = await state.readSyncState({ workflowId: stateId, taskQueue: stateQueue });
      p = {
        phase: 'email',
        since: snapshot.watermarks,
        seen: { ...snapshot.watermarks },
        cursor: null,
        pending: {},
        totals: { ...EMPTY_TOTALS },
        conflicts: [],
        deadLetterIds: listedIds(snapshot.deadLetters, 'email-platform'),
        crmDeadLetterIds: listedIds(snapshot.deadLetters, 'crm'),
        runs: 1,
        startedAt: Date.now(),
      };
    }
    const tooLong = () => workflowInfo().historyLength > historyLimit || workflowInfo().continueAsNewSuggested;
    // Checked before each continueAsNew too: a run from before the budget may carry more than it allows.
    const carry = (progress: ContactSyncProgress) => {
      if (!progress.lookup && bytesOf(progress.pending) > PENDING_BUDGET_BYTES && patched(BOUNDED_PENDING)) {
        switchToLookup(progress);
      }
      return { continueWith: progress };
    };
    p.conflictBytes ??= bytesOf(p.conflicts);

    while (p.phase === 'email') {
      const page = await email.listEmailContactChanges({ since: p.since.email, cursor: p.cursor });
      p.totals.emailScanned += page.scanned;
      p.totals.unlinked += page.unlinked;
      p.seen.email = later(p.seen.email, page.maxUpdatedAt);
      p.cursor = page.next;
      if (!page.next) {
        p.phase = 'crm';
        p.cursor = null;
      }
      let bytes = p.pendingBytes ?? bytesOf(p.pending);
      for (const side of page.contacts) {
        p.pending[side.id] = { side };
        bytes += bytesOf(side);
      }
      p.pendingBytes = bytes;
      if (bytes > PENDING_BUDGET_BYTES && patched(BOUNDED_PENDING)) switchToLookup(p);
      if (tooLong()) return carry(p);
    }

    // Decided once, as the phase starts: a run that began it on the code before keeps to one page at a time.
    const pipelined = p.phase === 'crm' && patched(PIPELINED);

    while (p.phase === 'crm' && !pipelined) {
      const page = await crm.listCrmContactChanges({ since: p.since.crm, cursor: p.cursor });
      p.totals.crmScanned += page.scanned;
      p.seen.crm = later(p.seen.crm, page.maxUpdatedAt);
      const listed = new Set(p.deadLetterIds);
      const upserts = planPage(p, page, await lookUp(p, page), listed);
      if (upserts.length) {
        const answer = await email.upsertEmailContacts({ contacts: upserts });
        await settleAnswer(p, upserts, answer, listed);
      }
      p.cursor = page.next;
      if (!page.next) {
        p.phase = 'patch';
        p.cursor = null;
      }
      if (tooLong()) return carry(p);
    }

    if (p.phase === 'crm') {
      await pipelineCrmPages(p, tooLong);
      if (p.phase === 'crm') return carry(p);
    }

    // Consent changes go to the CRM only after its pages were read: PATCHes bump updated_at, and a record moved
    // behind the cursor while paging would be read twice. Past the budget, the email platform's changes are paged
    // through again, each page settled against the CRM side of its contacts.
    while (p.phase === 'patch' && p.lookup) {
      const page = await email.listEmailContactChanges({ since: p.since.email, cursor: p.cursor });
      p.totals.emailScanned += page.scanned;
      p.totals.unlinked += page.unlinked;
      p.seen.email = later(p.seen.email, page.maxUpdatedAt);
      const looked = page.contacts.length
        ? await crm.listCrmContactChanges({ since: p.since.crm, cursor: null, ids: page.contacts.map((c) => c.id) })
        : undefined;
      const crmSides = new Map(looked?.contacts.map((c) => [c.id, c]));
      const patches: CrmPatch[] = [];
      for (const side of page.contacts) {
        const crmSide = crmSides.get(side.id);
        // Conflicts were counted when the CRM's page was settled; only what goes to the CRM is wanted here.
        const values = planContact(CONTACT_OWNERSHIP, crmSide, side).toCrm;
        if (values) patches.push({ id: side.id, values, version: versionOf(crmSide, side), email: side.values.email });
      }
      if (patches.length) await patchCrm(p, patches);
      p.cursor = page.next;
      if (!page.next) p.phase = 'done';
      if (p.phase !== 'done' && tooLong()) return carry(p);
    }

    const ids = Object.keys(p.pending);
    for (let i = 0; i < ids.length; i += 100) {
      const patches: CrmPatch[] = [];
      for (const id of ids.slice(i, i + 100)) {
        const pending = p.pending[id]!;
        const values =
          pending.patch === undefined ? planContact(CONTACT_OWNERSHIP, undefined, pending.side).toCrm : pending.patch;
        if (values) {
          patches.push({
            id,
            values,
            version: pending.version ?? versionOf(pending.side),
            email: pending.side.values.email,
          });
        }
      }
      if (patches.length) await patchCrm(p, patches);
      for (const id of ids.slice(i, i + 100)) delete p.pending[id];
      if (i + 100 < ids.length && tooLong()) return carry(p);
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
  }

  /** Re-sends listed records through the same activity; delivered ones leave the list, the others stay. */
  async function retryDeadLetters(ids: string[] | undefined): Promise<ContactSyncResult> {
    const startedAt = Date.now();
    const snapshot = await state.readSyncState({ workflowId: stateId, taskQueue: stateQueue });
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
      const answer = await email.upsertEmailContacts({ contacts: sent });
      await settle(sent, answer.rejected, new Set(chunk.map((e) => e.id)));
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
      const answer = await crm.patchCrmContactRecords({ patches: sent });
      await settleCrm(sent, answer.refused, new Set(chunk.map((e) => e.id)));
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

  if ('continueWith' in outcome) {
    return continueAsNew<typeof contactSync>({ historyLimit: input.historyLimit, progress: outcome.continueWith });
  }
  return outcome.result;
}

import { log, patched } from '@temporalio/workflow';
import type { ContactPage } from '../../kit/contact-pages';
import type { ContactUpsert } from '../../contracts/sync-state';
import type { SyncContext } from './context';
import { patchCrm, settleAnswer } from './dead-letters';
import { keepConflict, planCrmPage, planEmailPage, planPending } from './plan';
import {
  BOUNDED_PENDING,
  bytesOf,
  type ContactSyncProgress,
  later,
  PENDING_BUDGET_BYTES,
  switchToLookup,
} from './progress';

// Each phase reads pages from the progress's cursor until it moves the phase on. It returns true when `stop` said
// the run should continue as new after a page: the progress then holds what the next run reads on from.

/** The first phase: holds the email platform's changes in `p.pending` until they outgrow the budget. */
export async function readEmailChanges(
  ctx: SyncContext,
  p: ContactSyncProgress,
  stop: () => boolean,
): Promise<boolean> {
  while (p.phase === 'email') {
    const page = await ctx.email.listEmailContactChanges({ since: p.since.email, cursor: p.cursor });
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
    if (stop()) return true;
  }
  return false;
}

/** The email side of a CRM page's contacts, read per page past the budget; undefined while `p.pending` holds it. */
async function lookUp(ctx: SyncContext, p: ContactSyncProgress, page: ContactPage): Promise<ContactPage | undefined> {
  if (!p.lookup || !page.contacts.length) return undefined;
  return ctx.email.listEmailContactChanges({ since: p.since.email, cursor: null, ids: page.contacts.map((c) => c.id) });
}

/**
 * Counts a CRM page and settles it against the email side of its contacts: logs and keeps its conflicts, keeps what
 * goes back to the CRM in `p.pending`, and returns the writes for the email platform with the dead-letter ids
 * (`listed`) they were planned against.
 */
export async function planCrmChanges(
  ctx: SyncContext,
  p: ContactSyncProgress,
  page: ContactPage,
): Promise<{ upserts: ContactUpsert[]; listed: ReadonlySet<string> }> {
  p.totals.crmScanned += page.scanned;
  p.seen.crm = later(p.seen.crm, page.maxUpdatedAt);
  const listed = new Set(p.deadLetterIds);
  const { upserts, conflicts } = planCrmPage(p.pending, page, await lookUp(ctx, p, page), listed);
  for (const c of conflicts) {
    ctx.conflictCounter.add(1, { field: c.field, rule: c.rule, winner: c.winner });
    log.info('contact conflict settled', { contactId: c.contactId, field: c.field, rule: c.rule, winner: c.winner });
    keepConflict(p, c);
  }
  return { upserts, listed };
}

/** The CRM phase as before PIPELINED: one page read, planned and upserted at a time. */
export async function sendCrmPagesOneByOne(
  ctx: SyncContext,
  p: ContactSyncProgress,
  stop: () => boolean,
): Promise<boolean> {
  while (p.phase === 'crm') {
    const page = await ctx.crm.listCrmContactChanges({ since: p.since.crm, cursor: p.cursor });
    const { upserts, listed } = await planCrmChanges(ctx, p, page);
    if (upserts.length) {
      const answer = await ctx.email.upsertEmailContacts({ contacts: upserts });
      await settleAnswer(ctx, p, upserts, answer, listed);
    }
    p.cursor = page.next;
    if (!page.next) {
      p.phase = 'patch';
      p.cursor = null;
    }
    if (stop()) return true;
  }
  return false;
}

/**
 * The last phase past the budget: pages through the email platform's changes again, each page settled against the
 * CRM side of its contacts and its consent PATCHed into the CRM.
 */
export async function patchFromEmailPages(
  ctx: SyncContext,
  p: ContactSyncProgress,
  stop: () => boolean,
): Promise<boolean> {
  while (p.phase === 'patch' && p.lookup) {
    const page = await ctx.email.listEmailContactChanges({ since: p.since.email, cursor: p.cursor });
    p.totals.emailScanned += page.scanned;
    p.totals.unlinked += page.unlinked;
    p.seen.email = later(p.seen.email, page.maxUpdatedAt);
    const looked = page.contacts.length
      ? await ctx.crm.listCrmContactChanges({ since: p.since.crm, cursor: null, ids: page.contacts.map((c) => c.id) })
      : undefined;
    const patches = planEmailPage(page, new Map(looked?.contacts.map((c) => [c.id, c])));
    if (patches.length) await patchCrm(ctx, p, patches);
    p.cursor = page.next;
    if (!page.next) p.phase = 'done';
    if (p.phase !== 'done' && stop()) return true;
  }
  return false;
}

/** The last phase within the budget: PATCHes the consent of the held email-side changes, 100 at a time. */
export async function patchPending(ctx: SyncContext, p: ContactSyncProgress, stop: () => boolean): Promise<boolean> {
  const ids = Object.keys(p.pending);
  for (let i = 0; i < ids.length; i += 100) {
    const chunk = ids.slice(i, i + 100);
    const patches = planPending(p.pending, chunk);
    if (patches.length) await patchCrm(ctx, p, patches);
    for (const id of chunk) delete p.pending[id];
    if (i + 100 < ids.length && stop()) return true;
  }
  return false;
}

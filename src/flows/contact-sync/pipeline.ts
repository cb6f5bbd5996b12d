import type { ContactPage } from '../../kit/contact-pages';
import type { UpsertResult } from '../../systems/email-platform/activities';
import type { ContactUpsert } from '../../contracts/sync-state';
import type { SyncContext } from './context';
import { settleAnswer } from './dead-letters';
import { planCrmChanges } from './pages';
import type { ContactSyncProgress } from './progress';

/** The patch that reads the CRM's next page and keeps several upserts in flight while earlier pages are answered. */
export const PIPELINED = 'contact-sync-pipelined';

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

/**
 * The CRM phase with the next pages read while these are planned and sent, and up to UPSERTS_IN_FLIGHT upserts in
 * flight, so the email platform's queue, not the round trips, sets the pace. What each answer changes (totals, the
 * dead-letter list, then the cursor) is applied in page order, and the cursor moves past a page only once its
 * answer is settled. Returns with the phase still `crm` when `stop` says the run should continue as new: nothing
 * is in flight then, and the cursor is the one after the last settled page, so the next run reads on from there.
 */
export async function pipelineCrmPages(ctx: SyncContext, p: ContactSyncProgress, stop: () => boolean): Promise<void> {
  const sending: Sending[] = [];
  const read = (cursor: string | null) => {
    const answer = ctx.crm
      .listCrmContactChanges({ since: p.since.crm, cursor, pages: CRM_PAGES_PER_READ })
      .then(({ following, ...page }) => [page, ...(following ?? [])]);
    // Awaited only once the pages before it are sent: a failure must not count as unhandled meanwhile.
    answer.catch(() => undefined);
    return answer;
  };
  const settleOldest = async () => {
    const oldest = sending[0]!;
    if (oldest.answer) await settleAnswer(ctx, p, oldest.upserts, await oldest.answer, oldest.listed);
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
      const { upserts, listed } = await planCrmChanges(ctx, p, page);
      // A failed upsert fails the flow as soon as the ones before it are settled, before anything more is sent.
      while (sending.length >= UPSERTS_IN_FLIGHT || sending.some((s) => s.failed)) await settleOldest();
      const next: Sending = { upserts, listed, next: page.next, done: !upserts.length, failed: false };
      if (upserts.length) {
        next.answer = ctx.email.upsertEmailContacts({ contacts: upserts });
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

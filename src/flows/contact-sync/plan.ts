import type { ContactPage } from '../../kit/contact-pages';
import type { ContactUpsert, CrmPatch } from '../../contracts/sync-state';
import {
  CONTACT_FIELDS,
  CONTACT_OWNERSHIP,
  type Conflict,
  type ContactSide,
  type ContactValues,
  planContact,
} from '../../domain/ownership';
import { bytesOf, type ContactSyncProgress, type Pending } from './progress';

/** Conflicts kept in a result and in the sync state, by count and by bytes; the count is always complete. */
const MAX_CONFLICTS_KEPT = 200;
const MAX_CONFLICT_BYTES = 64 * 1024;

/** The latest change by a person on either side: what makes a write new, so it is part of the write's key. */
export function versionOf(...sides: Array<ContactSide | undefined>): string {
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
 * Settles a CRM page against the email side of its contacts (held in `pending` since the first phase, or `looked`
 * up for this page): records in `pending` what goes back to the CRM, and returns the writes for the email platform
 * and the conflicts, in page order. A contact on the dead-letter list (`listed`) is sent with every field the CRM
 * owns.
 */
export function planCrmPage(
  pending: Record<string, Pending>,
  page: ContactPage,
  looked: ContactPage | undefined,
  listed: ReadonlySet<string>,
): { upserts: ContactUpsert[]; conflicts: Conflict[] } {
  const upserts: ContactUpsert[] = [];
  const conflicts: Conflict[] = [];
  const emailSides = new Map(looked?.contacts.map((c) => [c.id, c]));
  for (const side of page.contacts) {
    const held = pending[side.id];
    const emailSide = held?.side ?? emailSides.get(side.id);
    const plan = planContact(CONTACT_OWNERSHIP, side, emailSide);
    const version = versionOf(side, emailSide);
    if (held) {
      held.patch = plan.toCrm ?? null;
      held.version = version;
    }
    if (plan.toEmail) {
      const whole = listed.has(side.id) ? ownedByCrm(side) : {};
      upserts.push({ externalId: side.id, version, ...whole, ...plan.toEmail });
    }
    conflicts.push(...plan.conflicts);
  }
  return { upserts, conflicts };
}

/** Counts a conflict, and keeps it in the progress while the kept ones stay under their count and bytes. */
export function keepConflict(p: ContactSyncProgress, c: Conflict): void {
  p.totals.conflicts += 1;
  const size = bytesOf(c);
  const kept = p.conflictBytes ?? 0;
  if (p.conflicts.length < MAX_CONFLICTS_KEPT && kept + size <= MAX_CONFLICT_BYTES) {
    p.conflicts.push(c);
    p.conflictBytes = kept + size;
  }
}

/**
 * The consent patches for a page of the email platform's changes, each against the CRM side of its contact looked
 * up for the page. Conflicts were counted when the CRM's page was settled; only what goes to the CRM is wanted here.
 */
export function planEmailPage(page: ContactPage, crmSides: ReadonlyMap<string, ContactSide>): CrmPatch[] {
  const patches: CrmPatch[] = [];
  for (const side of page.contacts) {
    const crmSide = crmSides.get(side.id);
    const values = planContact(CONTACT_OWNERSHIP, crmSide, side).toCrm;
    if (values) patches.push({ id: side.id, values, version: versionOf(crmSide, side), email: side.values.email });
  }
  return patches;
}

/** The consent patches for held email-side changes (`ids` of `pending`): settled against the CRM's page, or alone. */
export function planPending(pending: Record<string, Pending>, ids: string[]): CrmPatch[] {
  const patches: CrmPatch[] = [];
  for (const id of ids) {
    const held = pending[id]!;
    const values = held.patch === undefined ? planContact(CONTACT_OWNERSHIP, undefined, held.side).toCrm : held.patch;
    if (values) {
      patches.push({ id, values, version: held.version ?? versionOf(held.side), email: held.side.values.email });
    }
  }
  return patches;
}

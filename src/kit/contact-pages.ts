import { Context } from '@temporalio/activity';
import { CONTACT_FIELDS, type ContactSide, type ContactValues } from '../domain/ownership';
import type { DownstreamClient } from './http';

// Reading contact changes page by page, shared by the CRM's and the email platform's activities: both systems list
// contacts by change time and record who changed each field when.

interface RawContact {
  id: string;
  external_id?: string | null;
  email: string;
  name: string | null;
  company: string | null;
  consent: { status: 'subscribed' | 'unsubscribed'; at: string } | null;
  updated_at: string;
  field_changes: Record<string, { at: string; by: string }>;
}

interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

export interface ContactPage {
  /** Contacts with at least one field changed by a person since the watermark; the sync's own writes are not. */
  contacts: ContactSide[];
  scanned: number;
  /** Contacts on the email platform without a CRM id: nothing to match them to. */
  unlinked: number;
  maxUpdatedAt: string | null;
  next: string | null;
  /** With `pages` above 1: the pages read after this one in the same call, in order (each without `following`). */
  following?: ContactPage[];
}

function toSide(raw: RawContact, id: string, since: string | null): ContactSide | undefined {
  const changed: ContactSide['changed'] = {};
  for (const field of CONTACT_FIELDS) {
    const change = raw.field_changes[field];
    // Changes the integration made are echoes of an earlier sync, not news.
    if (change && change.by !== 'integration' && (since === null || change.at > since)) changed[field] = change.at;
  }
  if (Object.keys(changed).length === 0) return undefined;
  const values: ContactValues = { email: raw.email, consent: raw.consent };
  if (raw.name !== null) values.name = raw.name;
  values.company = raw.company;
  return { id, values, changed };
}

/** What to read: a page of the change feed from `cursor`, or (with `ids`) those contacts only, at most 100. */
export interface ContactChangesQuery {
  since: string | null;
  cursor: string | null;
  ids?: string[];
  /**
   * Pages of the change feed to read one after the other in this call (default 1). A caller paging through the feed
   * saves a round trip through Temporal per page: the cursor of each page is only known from the one before it.
   */
  pages?: number;
}

/** The most ids one lookup takes: a page's worth. */
export const MAX_LOOKUP_IDS = 100;

/**
 * One page of contacts changed since `since`, keyed by the CRM id that `idOf` reads from each record, and with `pages`
 * the pages after it in `following`. With `ids`, the contacts with those CRM ids instead (`idsParam` names the
 * filter), changed since `since`.
 */
export async function contactPage(
  client: DownstreamClient,
  path: string,
  query: ContactChangesQuery,
  idsParam: string,
  idOf: (raw: RawContact) => string | null | undefined,
): Promise<ContactPage> {
  const first = await onePage(client, path, query, idsParam, idOf);
  const following: ContactPage[] = [];
  let last = first;
  while (!query.ids && following.length + 1 < (query.pages ?? 1) && last.next) {
    last = await onePage(client, path, { since: query.since, cursor: last.next }, idsParam, idOf);
    following.push(last);
  }
  return following.length ? { ...first, following } : first;
}

async function onePage(
  client: DownstreamClient,
  path: string,
  query: ContactChangesQuery,
  idsParam: string,
  idOf: (raw: RawContact) => string | null | undefined,
): Promise<ContactPage> {
  const { since, cursor, ids } = query;
  if (ids && ids.length > MAX_LOOKUP_IDS) {
    throw new Error(`${client.system}: a lookup takes at most ${MAX_LOOKUP_IDS} ids, got ${ids.length}`);
  }
  const res = await client.request<Page<RawContact>>('GET', path, {
    query: {
      updated_since: since ?? undefined,
      cursor: cursor ?? undefined,
      limit: 100,
      // Each id encoded on its own, so an id with a comma stays one id.
      [idsParam]: ids ? ids.map(encodeURIComponent).join(',') : undefined,
    },
    signal: Context.current().cancellationSignal,
  });
  const contacts: ContactSide[] = [];
  let unlinked = 0;
  let maxUpdatedAt: string | null = null;
  for (const raw of res.body.data) {
    if (maxUpdatedAt === null || raw.updated_at > maxUpdatedAt) maxUpdatedAt = raw.updated_at;
    const id = idOf(raw);
    if (!id) {
      unlinked += 1;
      continue;
    }
    const side = toSide(raw, id, since);
    if (side) contacts.push(side);
  }
  return { contacts, scanned: res.body.data.length, unlinked, maxUpdatedAt, next: res.body.next_cursor };
}

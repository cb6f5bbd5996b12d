import type { Router } from 'express';
import { z } from 'zod';
import { idempotent, nextId, type SystemState, systemRouter } from '../../kit/stand-in';
import { applyFields, type ChangeTracked, idsFilter, monotonicClock, pageOfChanges } from '../../kit/contacts-stand-in';

export interface EmailContact extends ChangeTracked {
  /** The CRM's id of the contact: the key the batch upsert matches on. */
  external_id: string | null;
  email: string;
  name: string | null;
  company: string | null;
  consent: { status: 'subscribed' | 'unsubscribed'; at: string } | null;
}

export interface EmailContactData {
  contacts: Map<string, EmailContact>;
  byExternalId: Map<string, EmailContact>;
  /**
   * Addresses the platform refuses to (re-)add, as real ones keep a suppression list (Mailchimp: "Member In Compliance
   * State"). Tests add and remove addresses to reject a valid record and later accept it.
   */
  suppressed: Set<string>;
  now: () => string;
}

export function createEmailContactData(): EmailContactData {
  return { contacts: new Map(), byExternalId: new Map(), suppressed: new Set(), now: monotonicClock() };
}

export const MAX_BATCH = 100;

const upsertItem = z
  .object({
    external_id: z.string().min(1),
    email: z.email().optional(),
    name: z.string().nullable().optional(),
    company: z.string().nullable().optional(),
    consent: z
      .object({ status: z.enum(['subscribed', 'unsubscribed']), at: z.iso.datetime() })
      .nullable()
      .optional(),
  })
  .strict();
// The envelope is checked as a whole (a malformed one is our bug: 400); each record on its own.
const batch = z.object({ contacts: z.array(z.unknown()).min(1).max(MAX_BATCH) }).strict();

interface RecordError {
  external_id: string | null;
  error_code: string;
  message: string;
}

/** Adds or updates one contact as a person would (sign-up form, unsubscribe link): used by seeds and tests. */
export function putEmailContact(
  data: EmailContactData,
  fields: Partial<Omit<EmailContact, 'id' | 'updated_at' | 'field_changes'>> & { email: string },
  by: 'user' | 'integration' = 'user',
): EmailContact {
  let contact = fields.external_id ? data.byExternalId.get(fields.external_id) : undefined;
  if (!contact) {
    contact = {
      id: nextId('ec'),
      external_id: null,
      email: fields.email,
      name: null,
      company: null,
      consent: null,
      updated_at: data.now(),
      field_changes: {},
    };
    data.contacts.set(contact.id, contact);
  }
  applyFields(contact, fields, by, data.now);
  if (contact.external_id) data.byExternalId.set(contact.external_id, contact);
  return contact;
}

/**
 * Email platform contacts, mounted at /email-platform/contacts: a batch upsert keyed by external_id (≤ 100 a call) and a
 * change feed with cursors. It shares the email platform's SystemState (key, faults, request log).
 */
export function emailContactsRouter(state: SystemState, data: EmailContactData): Router {
  const router = systemRouter(state);

  // Like Mailchimp's batch subscribe (POST /lists/{id}): the valid records are applied, and each invalid one is
  // reported in `errors` of a 200 answer rather than failing the whole batch.
  router.post(
    '/batch',
    idempotent(state, (req) => {
      const parsed = batch.safeParse(req.body);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        return { status: 400, body: { error: 'invalid', message: `${issue?.path.join('.')}: ${issue?.message}` } };
      }
      let created = 0;
      let updated = 0;
      const errors: RecordError[] = [];
      parsed.data.contacts.forEach((raw, i) => {
        const item = upsertItem.safeParse(raw);
        const externalId = (raw as { external_id?: unknown } | null)?.external_id;
        const reject = (error_code: string, message: string) =>
          errors.push({ external_id: typeof externalId === 'string' ? externalId : null, error_code, message });
        if (!item.success) {
          const issue = item.error.issues[0];
          return reject('invalid_resource', `contacts.${i}.${issue?.path.join('.')}: ${issue?.message}`);
        }
        const existing = data.byExternalId.get(item.data.external_id);
        const address = item.data.email ?? existing?.email;
        if (!address) return reject('invalid_resource', `new contact ${item.data.external_id} needs an email`);
        if (data.suppressed.has(address.toLowerCase())) {
          return reject('compliance_state', `${address} is on the suppression list and cannot be re-added`);
        }
        if (!existing) {
          putEmailContact(data, { ...item.data, email: address }, 'integration');
          created += 1;
        } else if (applyFields(existing, item.data, 'integration', data.now)) updated += 1;
      });
      return {
        status: 200,
        body: { received: parsed.data.contacts.length, created, updated, error_count: errors.length, errors },
      };
    }),
  );

  // Lookup and upsert by email address: the API's reads and consent writes.
  const byEmail = (email: string) => [...data.contacts.values()].find((c) => c.email.toLowerCase() === email);
  router.get('/by-email/:email', (req, res) => {
    const contact = byEmail(String(req.params.email).toLowerCase());
    if (!contact) res.status(404).json({ error: 'not_found', message: `no contact ${req.params.email}` });
    else res.json(contact);
  });
  router.put(
    '/by-email/:email',
    idempotent(state, (req) => {
      const email = String(req.params.email).toLowerCase();
      const parsed = upsertItem.pick({ consent: true }).strict().safeParse(req.body);
      if (!parsed.success) return { status: 400, body: { error: 'invalid', message: parsed.error.issues[0]?.message } };
      const existing = byEmail(email);
      const contact = existing ?? putEmailContact(data, { email }, 'integration');
      applyFields(contact, parsed.data, 'integration', data.now);
      return { status: existing ? 200 : 201, body: contact };
    }),
  );

  // The change feed; `?external_ids=` narrows it to those contacts (as a platform's search by external id would).
  router.get('/', (req, res) => {
    const ids = idsFilter(req, 'external_ids');
    res.json(pageOfChanges(data.contacts.values(), req, ids && ((c) => !!c.external_id && ids.has(c.external_id))));
  });

  return router;
}

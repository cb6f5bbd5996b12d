import type { Router } from 'express';
import { z } from 'zod';
import { idempotent, nextId, type SystemState, systemRouter } from './core';
import { applyFields, type ChangeTracked, monotonicClock, pageOfChanges } from './contacts';

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
  now: () => string;
}

export function createEmailContactData(): EmailContactData {
  return { contacts: new Map(), byExternalId: new Map(), now: monotonicClock() };
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
const batch = z.object({ contacts: z.array(upsertItem).min(1).max(MAX_BATCH) });

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
      for (const item of parsed.data.contacts) {
        const existing = data.byExternalId.get(item.external_id);
        if (!existing && !item.email) {
          return { status: 400, body: { error: 'invalid', message: `new contact ${item.external_id} needs an email` } };
        }
      }
      for (const item of parsed.data.contacts) {
        const existing = data.byExternalId.get(item.external_id);
        if (!existing) {
          putEmailContact(data, { ...item, email: item.email! }, 'integration');
          created += 1;
        } else if (applyFields(existing, item, 'integration', data.now)) updated += 1;
      }
      return { status: 200, body: { received: parsed.data.contacts.length, created, updated } };
    }),
  );

  router.get('/', (req, res) => {
    res.json(pageOfChanges(data.contacts.values(), req));
  });

  return router;
}

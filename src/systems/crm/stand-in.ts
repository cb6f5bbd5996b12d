import type { Router } from 'express';
import { z } from 'zod';
import { idempotent, nextId, type StandIn, type SystemState, systemRouter } from '../../kit/stand-in';
import { applyFields, type ChangeTracked, idsFilter, monotonicClock, pageOfChanges } from '../../kit/contacts-stand-in';

export interface CrmContact extends ChangeTracked {
  email: string;
  name: string;
  company: string | null;
  consent: { status: 'subscribed' | 'unsubscribed'; at: string } | null;
}

export interface CrmData {
  contacts: Map<string, CrmContact>;
  now: () => string;
}

export function createCrmData(): CrmData {
  return { contacts: new Map(), now: monotonicClock() };
}

const consent = z.object({ status: z.enum(['subscribed', 'unsubscribed']), at: z.iso.datetime() }).nullable();
const patchContact = z
  .object({ email: z.email(), name: z.string().min(1), company: z.string().nullable(), consent })
  .partial()
  .strict();

/** CRM stand-in: contacts listed by change time with cursors, and PATCH (made "by the integration"). */
export function crmRouter(state: SystemState, crm: CrmData): Router {
  const router = systemRouter(state);

  // The change feed; `?ids=` narrows it to those contacts (as a CRM's batch read by id would).
  router.get('/contacts', (req, res) => {
    const ids = idsFilter(req, 'ids');
    res.json(pageOfChanges(crm.contacts.values(), req, ids && ((c) => ids.has(c.id))));
  });

  router.get('/contacts/:id', (req, res) => {
    const contact = crm.contacts.get(req.params.id);
    if (!contact) res.status(404).json({ error: 'not_found', message: `no contact ${req.params.id}` });
    else res.json(contact);
  });

  // Lookup and upsert by email address (as HubSpot's idProperty=email): the API's reads and contact writes.
  const byEmail = (email: string) => [...crm.contacts.values()].find((c) => c.email.toLowerCase() === email);
  router.get('/contacts/by-email/:email', (req, res) => {
    const contact = byEmail(String(req.params.email).toLowerCase());
    if (!contact) res.status(404).json({ error: 'not_found', message: `no contact ${req.params.email}` });
    else res.json(contact);
  });
  router.put(
    '/contacts/by-email/:email',
    idempotent(state, (req) => {
      const email = String(req.params.email).toLowerCase();
      const parsed = patchContact.omit({ email: true, consent: true }).safeParse(req.body);
      if (!parsed.success) return { status: 400, body: { error: 'invalid', message: parsed.error.issues[0]?.message } };
      let contact = byEmail(email);
      const created = !contact;
      if (!contact) {
        contact = {
          id: nextId('crm'),
          email,
          name: '',
          company: null,
          consent: null,
          updated_at: crm.now(),
          field_changes: {},
        };
        crm.contacts.set(contact.id, contact);
      }
      applyFields(contact, parsed.data, 'integration', crm.now);
      return { status: created ? 201 : 200, body: contact };
    }),
  );

  router.patch(
    '/contacts/:id',
    idempotent(state, (req) => {
      const contact = crm.contacts.get(String(req.params.id));
      if (!contact) return { status: 404, body: { error: 'not_found', message: `no contact ${req.params.id}` } };
      const parsed = patchContact.safeParse(req.body);
      if (!parsed.success) return { status: 400, body: { error: 'invalid', message: parsed.error.issues[0]?.message } };
      applyFields(contact, parsed.data, 'integration', crm.now);
      return { status: 200, body: contact };
    }),
  );

  return router;
}

/** The CRM stand-in, as the system declaration mounts it. */
export function standIn(state: SystemState): StandIn<CrmData> {
  const data = createCrmData();
  return { router: crmRouter(state, data), data, reset: () => data.contacts.clear() };
}

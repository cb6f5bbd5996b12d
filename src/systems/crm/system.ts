import { defineSystem } from '../../kit/declare';
import { createCrmActivities } from './activities';

export const crm = defineSystem({
  name: 'crm',
  title: 'CRM',
  owns: "each contact's identity: email, name, company (source of truth); receives consent back",
  auth: 'bearer',
  defaultRatePerSecond: 10,
  activities: createCrmActivities,
  activityDocs: {
    upsertCrmContact: {
      does: 'creates or updates a contact by email, for an /api/v1 contact write',
      kind: 'write',
      profile: 'command',
      idempotencyKey: 'contact-write:<command workflow id>',
      note: 'keyed by the command, so a retry with the same Idempotency-Key replays and a new command writes again',
    },
    listCrmContactChanges: {
      does: 'reads contact changes since the watermark: a page (or a few in a row), or the given contacts',
      kind: 'read',
      profile: 'batch',
    },
    patchCrmContacts: {
      does: 'PATCHes consent changes into the CRM',
      kind: 'write',
      profile: 'batch',
      idempotencyKey: 'contact-patch:<contact id>:<hash of the patch and its latest change time>',
      note: 'for runs started before `contact-sync-crm-dead-letters`: there a refused record fails the run',
    },
    patchCrmContactRecords: {
      does: 'PATCHes consent changes into the CRM; a record it refuses on its own (404, 410, 400, 409, 422) comes back',
      kind: 'write',
      profile: 'batch',
      idempotencyKey:
        'contact-patch:<contact id>:<hash of the patch, its latest change time and, for a dead-letter retry, the attempt>',
      note: 'the refused records go on the dead-letter list; a 401/403, a 5xx or a 429 fails or retries the batch',
    },
  },
});

/** The declaration's type, for workflows: `systemActivities<Crm>('crm', profile)`. */
export type Crm = typeof crm;

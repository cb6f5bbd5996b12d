import { defineFlow } from '../../kit/declare';
import { upsertContact } from './workflow';

export const upsertContactFlow = defineFlow({
  workflow: upsertContact,
  description:
    'POST /api/v1/contacts: creates or updates the contact in the caller’s system, which owns every field it sent ' +
    '(the contact sync copies it on); answered through the commandResult update',
  trigger: { by: 'POST /api/v1/contacts, id <prefix>api:<client>:<Idempotency-Key>' },
  versioning: 'PINNED',
  versioningNote: 'a command a caller waits for finishes on the code it started with',
  activities: ['upsertCrmContact', 'upsertEmailContactConsent', 'sendAlert'],
});

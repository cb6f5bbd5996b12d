import { defineFlow } from '../../kit/declare';
import { contactSync } from './workflow';

export const contactSyncFlow = defineFlow({
  workflow: contactSync,
  description:
    "copies each contact field from its owner to the other system, from the last run's watermark; also re-sends " +
    'records from its dead-letter list on demand (`sync-dlq retry`)',
  trigger: { schedule: 'contact-sync' },
  versioning: 'AUTO_UPGRADE',
  versioningNote: 'it continues as new page by page',
  activities: [
    'claimSyncWriter',
    'readSyncState',
    'listEmailContactChanges',
    'listCrmContactChanges',
    'upsertEmailContacts',
    'settleDeadLetters',
    'sendDeadLetterAlert',
    'patchCrmContactRecords',
    'patchCrmContacts',
    'advanceSyncState',
    'releaseSyncWriter',
    'sendAlert',
  ],
});

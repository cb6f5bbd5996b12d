import { putEmailContact } from '../../../src/systems/email-platform/contacts-stand-in';
import { seedCrmContacts } from '../../../src/sandbox/seed';
import { type Harness, defineRecording, SCENARIOS } from '../recording';

// How `npm run record-histories` drives contactSync through its scenarios (test/flows/recording.ts).

async function runContactSync(h: Harness, id: string, contacts = 3): Promise<string> {
  // Contacts changed in the CRM since the last successful run: read, upserted to the email platform, watermark advanced.
  seedCrmContacts(h.sandbox.data.crm, contacts, `${id}-`);
  await h.run('contactSync', [{}], { workflowId: `contact-sync-${id}` });
  return `contact-sync-${id}`;
}

/**
 * A first sync of three contacts; then each one's consent changes on the email platform and one is deleted in the CRM.
 * The second run (recorded) PATCHes two, dead-letters the third with an alert, and advances the watermark.
 */
async function runContactSyncWithCrmRefusal(h: Harness, id: string): Promise<string> {
  const crm = h.sandbox.data.crm;
  const email = h.sandbox.data['email-platform'].contacts;
  const contacts = seedCrmContacts(crm, 3, `${id}-`);
  await h.run('contactSync', [{}], { workflowId: `contact-sync-${id}-first` });
  for (const c of contacts) {
    putEmailContact(email, {
      external_id: c.id,
      email: c.email,
      consent: { status: 'unsubscribed', at: '2025-04-01T09:00:00.000Z' },
    });
  }
  crm.contacts.delete(contacts[1]!.id);
  await h.run('contactSync', [{}], { workflowId: `contact-sync-${id}` });
  return `contact-sync-${id}`;
}

/**
 * A sync the email platform refuses one record of (its address is suppressed); the suppression is lifted and the
 * record retried as `sync-dlq retry <id>` does (recorded): it is delivered and leaves the list.
 */
async function runDeadLetterRetry(h: Harness, id: string): Promise<string> {
  const [, refused] = seedCrmContacts(h.sandbox.data.crm, 2, `${id}-`);
  const email = h.sandbox.data['email-platform'].contacts;
  email.suppressed.add(refused!.email);
  await h.run('contactSync', [{}], { workflowId: `contact-sync-${id}-first` });
  email.suppressed.delete(refused!.email);
  await h.run('contactSync', [{ retryDeadLetters: { ids: [refused!.id] } }], {
    workflowId: `contact-sync:dlq-retry:${id}`,
  });
  return `contact-sync:dlq-retry:${id}`;
}

// Also a sync of several CRM pages: pages read ahead and upserts in flight together, whose answers interleave; a
// sync whose consent patch the CRM refuses for one contact (dead-lettered, the run goes on); and a dead-letter retry.
export const recording = defineRecording({
  scenarios: [...SCENARIOS, 'pipelined', 'dead-letters', 'dlq-retry'],
  steps: {
    success: (h, id) => runContactSync(h, id),
    // One 500 from the email platform: listing its contact changes succeeds on the second attempt.
    retry: (h, id) => (h.faults('email-platform', { failNext: 1 }), runContactSync(h, id)),
    // A 400 is final (DownstreamRejected): the sync alerts and fails, leaving the watermark where it was.
    failure: (h, id) => (h.faults('email-platform', { respondNext: { status: 400, count: 1 } }), runContactSync(h, id)),
    // Three pages: the third is read while the first two pages' upserts are in flight together.
    pipelined: (h, id) => runContactSync(h, id, 250),
    'dead-letters': (h, id) => runContactSyncWithCrmRefusal(h, id),
    'dlq-retry': (h, id) => runDeadLetterRetry(h, id),
  },
});

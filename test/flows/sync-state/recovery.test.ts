import type { ContactSyncResult } from '../../../src/flows/contact-sync/workflow';
import { syncStateId, syncStateQuery } from '../../../src/contracts/sync-state';
import { putEmailContact } from '../../../src/systems/email-platform/contacts-stand-in';
import { putCrmContact, seedCrmContacts } from '../../../src/sandbox/seed';
import { queueFor } from '../../../src/contracts/task-queues';
import { type Stack, startStack, uniqueId } from '../../helpers/stack';

// On the dev server (the time-skipping server times the long-lived state workflow out by itself): the watermark must
// survive the state workflow being closed, e.g. terminated by an operator tidying up the UI.
describe('the contact sync state', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack.stop());

  const run = (): Promise<ContactSyncResult> =>
    stack.client.workflow.execute('contactSync', {
      workflowId: uniqueId('contact-sync-'),
      taskQueue: queueFor(stack.config.temporal.taskQueuePrefix, 'orchestration'),
      args: [{}],
    });

  test('when an operator terminates the state workflow, the next run carries on from its last watermark', async () => {
    const crm = stack.sandbox.data.crm;
    seedCrmContacts(crm, 3, 't_');
    await run();
    const email = stack.sandbox.data['email-platform'].contacts;
    putEmailContact(email, {
      external_id: 't_00001',
      email: email.byExternalId.get('t_00001')!.email,
      consent: { status: 'subscribed', at: '2025-01-01T09:00:00.000Z' },
    });
    await run(); // copies the email platform's consent into the CRM
    // Then a CRM user edits consent, which the CRM does not own. The next run reads it and leaves it alone; once it is
    // behind the watermark, only a reset watermark would re-read it, as a false conflict with the email platform.
    putCrmContact(crm, { id: 't_00001', consent: { status: 'unsubscribed', at: '2025-02-01T11:00:00.000Z' } });
    expect(await run()).toMatchObject({ conflicts: 0, patchedInCrm: 0 });
    const state = stack.client.workflow.getHandle(syncStateId(stack.config.temporal.taskQueuePrefix, 'contact'));
    const before = await state.query(syncStateQuery);

    await state.terminate('operator tidying up');
    const after = await run();

    expect(after).toMatchObject({ sentToEmail: 0, patchedInCrm: 0, conflicts: 0 });
    expect((await state.query(syncStateQuery)).watermarks).toEqual(before.watermarks);
    expect((await state.describe()).status.name).toBe('RUNNING');
  });
});

import { WorkflowFailedError } from '@temporalio/client';
import { faultsSchema } from '../../src/sandbox/core';
import { putEmailContact } from '../../src/sandbox/email-contacts';
import { putCrmContact, seedCrmContacts } from '../../src/sandbox/seed';
import type { ContactSyncInput, ContactSyncResult } from '../../src/workflows/contact-sync';
import { syncStateId, syncStateQuery } from '../../src/contracts/sync-state';
import { uniqueId } from '../helpers/stack';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { type Deployment, startDeployment, startTimeSkippingEnv } from './harness';

// contactSync's logic on the time-skipping server, with the real workers and activities against the sandbox.
describe('contactSync', () => {
  let env: TestWorkflowEnvironment;
  let h: Deployment;
  beforeAll(async () => {
    env = await startTimeSkippingEnv();
  });
  afterAll(() => env?.teardown());
  beforeEach(async () => {
    h = await startDeployment(env);
  });
  afterEach(() => h?.stop());

  const run = (input: ContactSyncInput = {}, workflowId = uniqueId('contact-sync-')): Promise<ContactSyncResult> =>
    env.client.workflow.execute('contactSync', {
      workflowId,
      taskQueue: h.taskQueue,
      args: [input],
    });
  /** Waits for a condition on the sandbox (requests held, answered), polling. */
  const until = async (condition: () => boolean) => {
    while (!condition()) await new Promise((r) => setTimeout(r, 20));
  };
  const emailContact = (id: string) => h.sandbox.data['email-platform'].contacts.byExternalId.get(id);
  const crmContact = (id: string) => h.sandbox.data.crm.contacts.get(id)!;
  const batchStatuses = () =>
    h.sandbox.systems['email-platform'].log
      .filter((r) => r.method === 'POST' && r.path === '/batch')
      .map((r) => r.status);

  test('450 changed contacts go out in batches of at most 100, across several runs chained by continueAsNew', async () => {
    seedCrmContacts(h.sandbox.data.crm, 450);
    const workflowId = uniqueId('contact-sync-');
    const result = await run({ historyLimit: 40 }, workflowId);

    expect(result).toMatchObject({ crmScanned: 450, sentToEmail: 450, upsertCalls: 5, patchedInCrm: 0, conflicts: 0 });
    expect(result.runs).toBeGreaterThan(1);
    expect(h.sandbox.data['email-platform'].contacts.contacts.size).toBe(450);
    expect(emailContact('crm_00007')).toMatchObject({
      email: 'crm00007@example.com',
      name: crmContact('crm_00007').name,
      company: crmContact('crm_00007').company,
    });
    expect(batchStatuses()).toEqual([200, 200, 200, 200, 200]);

    // Each run stayed short: the chain's last run has the history limit plus one page's worth at most.
    const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
    expect(history.events!.length).toBeLessThan(80);

    // Nothing changed since: nothing is sent again.
    const again = await run();
    expect(again).toMatchObject({ sentToEmail: 0, upsertCalls: 0, patchedInCrm: 0 });
    expect(again.crmScanned).toBe(0);
  });

  test('each field flows only from its owner; conflicts are settled by rule, recorded, and not sent again', async () => {
    const crm = h.sandbox.data.crm;
    const email = h.sandbox.data['email-platform'].contacts;
    seedCrmContacts(crm, 5, 'c_');
    await run();
    // The people on the email platform gave consent after the first sync.
    for (const id of ['c_00001', 'c_00002', 'c_00003', 'c_00004', 'c_00005']) {
      putEmailContact(email, {
        external_id: id,
        email: emailContact(id)!.email,
        consent: { status: 'subscribed', at: '2025-01-01T09:00:00.000Z' },
      });
    }
    await run();
    expect(crmContact('c_00002').consent).toEqual({ status: 'subscribed', at: '2025-01-01T09:00:00.000Z' });

    // 1: the CRM renames → the email platform follows.
    putCrmContact(crm, { id: 'c_00001', name: 'Renamed In CRM' });
    // 2: an unsubscribe on the email platform → the CRM follows.
    const unsubscribed = { status: 'unsubscribed', at: '2025-02-01T10:00:00.000Z' } as const;
    putEmailContact(email, { external_id: 'c_00002', email: 'c00002@example.com', consent: unsubscribed });
    // 3: name edited on both sides, the email platform last → the CRM (owner) still wins.
    putCrmContact(crm, { id: 'c_00003', name: 'CRM Name' });
    putEmailContact(email, { external_id: 'c_00003', email: 'c00003@example.com', name: 'Email Name' });
    // 4: consent edited in the CRM, which does not own it → it never reaches the email platform.
    putCrmContact(crm, { id: 'c_00004', consent: { status: 'unsubscribed', at: '2025-02-01T11:00:00.000Z' } });
    // 5: consent edited on both sides → the email platform (owner) wins, and the CRM is corrected.
    putCrmContact(crm, { id: 'c_00005', consent: { status: 'unsubscribed', at: '2025-02-01T12:00:00.000Z' } });
    const resubscribed = { status: 'subscribed', at: '2025-02-01T12:30:00.000Z' } as const;
    putEmailContact(email, { external_id: 'c_00005', email: 'c00005@example.com', consent: resubscribed });

    const result = await run();

    expect(emailContact('c_00001')!.name).toBe('Renamed In CRM');
    expect(crmContact('c_00002').consent).toEqual(unsubscribed);
    expect(emailContact('c_00003')!.name).toBe('CRM Name');
    expect(crmContact('c_00003').name).toBe('CRM Name');
    expect(emailContact('c_00004')!.consent).toEqual({ status: 'subscribed', at: '2025-01-01T09:00:00.000Z' });
    expect(crmContact('c_00005').consent).toEqual(resubscribed);
    expect(emailContact('c_00005')!.consent).toEqual(resubscribed);
    expect(result.conflicts).toBe(2);
    expect(result.conflictList).toEqual([
      expect.objectContaining({ contactId: 'c_00003', field: 'name', rule: 'owner-wins', winner: 'crm' }),
      expect.objectContaining({ contactId: 'c_00005', field: 'consent', rule: 'owner-wins', winner: 'email-platform' }),
    ]);
    expect(result).toMatchObject({ sentToEmail: 2, patchedInCrm: 2 });

    // The sync state keeps the conflicts for `schedules describe`.
    const state = await env.client.workflow
      .getHandle(syncStateId(h.config.temporal.taskQueuePrefix, 'contact'))
      .query(syncStateQuery);
    expect(state.lastConflicts).toHaveLength(2);
    expect(state.lastSuccess).toMatchObject({ sentToEmail: 2, patchedInCrm: 2, conflictCount: 2 });

    // The sync's own writes are not news: the next run sends nothing.
    expect(await run()).toMatchObject({ sentToEmail: 0, patchedInCrm: 0, conflicts: 0 });
  });

  test('a name changed A→B→A in the CRM ends as A on the email platform: each sync is a new write', async () => {
    const crm = h.sandbox.data.crm;
    seedCrmContacts(crm, 1, 'aba_');
    await run();
    const names: string[] = [];
    for (const name of ['Anna A', 'Beata B', 'Anna A']) {
      putCrmContact(crm, { id: 'aba_00001', name });
      expect(await run()).toMatchObject({ sentToEmail: 1 });
      names.push(emailContact('aba_00001')!.name!);
    }
    expect(names).toEqual(['Anna A', 'Beata B', 'Anna A']);
  });

  test('consent changed A→B→A on the email platform ends as A in the CRM', async () => {
    const crm = h.sandbox.data.crm;
    const email = h.sandbox.data['email-platform'].contacts;
    seedCrmContacts(crm, 1, 'abc_');
    await run();
    // A support agent restores the consent record an accidental unsubscribe replaced: the same status and time.
    const given = { status: 'subscribed', at: '2025-03-01T09:00:00.000Z' } as const;
    const withdrawn = { status: 'unsubscribed', at: '2025-03-02T09:00:00.000Z' } as const;
    const seen: unknown[] = [];
    for (const consent of [given, withdrawn, given]) {
      putEmailContact(email, { external_id: 'abc_00001', email: emailContact('abc_00001')!.email, consent });
      expect(await run()).toMatchObject({ patchedInCrm: 1 });
      seen.push(crmContact('abc_00001').consent);
    }
    expect(seen).toEqual([given, withdrawn, given]);
  });

  test('after a failed run the next one resumes from the last successful watermark and loses no change', async () => {
    const crm = h.sandbox.data.crm;
    seedCrmContacts(crm, 250, 'r_');
    const stateHandle = () => env.client.workflow.getHandle(syncStateId(h.config.temporal.taskQueuePrefix, 'contact'));
    // The email platform refuses the second batch as a whole (a 400 for the request, not for one record): the first
    // batch went out, the run fails.
    const platform = h.sandbox.systems['email-platform'];
    platform.setFaults(faultsSchema.parse({ holdPaths: ['/batch'] }));
    const failed = run();
    await until(() => platform.heldCount === 1);
    platform.release();
    await until(() => batchStatuses().length === 2 && platform.heldCount === 1);
    platform.faults.respondNext = { status: 400, count: 1 };
    platform.release();

    await expect(failed).rejects.toBeInstanceOf(WorkflowFailedError);
    platform.setFaults(faultsSchema.parse({}));
    expect(batchStatuses()).toEqual([200, 400]);
    expect(h.sandbox.data['email-platform'].contacts.contacts.size).toBe(100);
    expect((await stateHandle().query(syncStateQuery)).watermarks).toEqual({ crm: null, email: null });
    expect(h.sandbox.data.alerts.received.some((a) => a.payload.workflow_type === 'contactSync')).toBe(true);

    // Someone renames a contact meanwhile.
    putCrmContact(crm, { id: 'r_00001', name: 'Changed While Broken' });
    const result = await run();

    expect(result.sentToEmail).toBe(250);
    expect(h.sandbox.data['email-platform'].contacts.contacts.size).toBe(250);
    expect(emailContact('r_00001')!.name).toBe('Changed While Broken');
    expect(emailContact('r_00250')).toBeDefined();
    const state = await stateHandle().query(syncStateQuery);
    expect(state.watermarks.crm).toBe(crmContact('r_00001').updated_at);
  });
});

import { WorkflowFailedError } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { replayHistories } from '../../../src/ops/replay';
import { faultsSchema } from '../../../src/kit/stand-in';
import { putEmailContact } from '../../../src/systems/email-platform/contacts-stand-in';
import { putCrmContact, seedCrmContacts } from '../../../src/sandbox/seed';
import {
  type ContactSyncInput,
  type ContactSyncResult,
  UPSERTS_IN_FLIGHT,
} from '../../../src/flows/contact-sync/workflow';
import { type ContactUpsert, syncStateId, syncStateQuery } from '../../../src/contracts/sync-state';
import { decodePayloadsDeep } from '../../../src/temporal/codec';
import { emailHash } from '../../../src/redaction';
import { testDataConverter, uniqueId } from '../../helpers/stack';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { type Deployment, startDeployment, startTimeSkippingEnv } from '../../helpers/deployment';

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

  const crmReads = () => h.sandbox.systems.crm.log.filter((r) => r.method === 'GET' && r.path === '/contacts');
  type History = temporal.api.history.v1.IHistory;
  /** Every run of a chain, from the first through its continueAsNew events. */
  const historiesOf = async (workflowId: string, firstRunId: string) => {
    const histories: History[] = [];
    for (let runId: string | undefined = firstRunId; runId;) {
      const history = await env.client.workflow.getHandle(workflowId, runId).fetchHistory();
      histories.push(history);
      runId = history.events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
    }
    return histories;
  };
  const scheduled = (history: History, activity: string) =>
    (history.events ?? []).filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === activity);
  /**
   * Each upsertEmailContacts of a history: the contacts it carried and the events between which it was in flight,
   * from its scheduling to its completion (or the end of the history).
   */
  const upsertsOf = async (history: History) => {
    const { loadedDataConverter } = env.client.options;
    const upserts: Array<{ ids: string[]; from: number; to: number }> = [];
    const bySchedule = new Map<number, { ids: string[]; from: number; to: number }>();
    for (const e of history.events ?? []) {
      const id = Number(e.eventId);
      const a = e.activityTaskScheduledEventAttributes;
      if (a?.activityType?.name === 'upsertEmailContacts') {
        const [payload] = await decodePayloadsDeep(a.input!.payloads!, loadedDataConverter.payloadCodecs);
        const input = loadedDataConverter.payloadConverter.fromPayload<{ contacts: ContactUpsert[] }>(payload!);
        const upsert = { ids: input.contacts.map((c) => c.externalId), from: id, to: Infinity };
        upserts.push(upsert);
        bySchedule.set(id, upsert);
      }
      const done =
        e.activityTaskCompletedEventAttributes ??
        e.activityTaskFailedEventAttributes ??
        e.activityTaskTimedOutEventAttributes;
      const upsert = done && bySchedule.get(Number(done.scheduledEventId));
      if (upsert) upsert.to = id;
    }
    return upserts;
  };
  /** Pairs of upserts in flight at the same time, and the contacts both carried. */
  const overlapping = (upserts: Array<{ ids: string[]; from: number; to: number }>) =>
    upserts.flatMap((a, i) =>
      upserts
        .slice(i + 1)
        .filter((b) => b.from < a.to && a.from < b.to)
        .map((b) => a.ids.filter((id) => b.ids.includes(id))),
    );

  test('450 changed contacts go out in batches of at most 100, across several runs chained by continueAsNew', async () => {
    seedCrmContacts(h.sandbox.data.crm, 450);
    const workflowId = uniqueId('contact-sync-');
    const handle = await env.client.workflow.start('contactSync', {
      workflowId,
      taskQueue: h.taskQueue,
      // Below what the first run's history holds once its email phase is read (readSyncState, one email page and their
      // workflow tasks), so the chain has several runs whatever the upserts' timing; later runs stop reading ahead
      // once their history passes it.
      args: [{ historyLimit: 10 }],
    });
    const result = await handle.result();

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
    // Every run settled what it sent before it continued as new, and read no page it did not send: each of the five
    // pages was read once, across the runs.
    const runs = await historiesOf(workflowId, handle.firstExecutionRunId);
    expect(runs).toHaveLength(result.runs);
    for (const run of runs) {
      const upserts = await upsertsOf(run);
      expect(upserts.filter((u) => u.to === Infinity)).toEqual([]);
      const reads = scheduled(run, 'listCrmContactChanges');
      const answered = (run.events ?? []).filter((e) =>
        reads.some((r) => Number(r.eventId) === Number(e.activityTaskCompletedEventAttributes?.scheduledEventId)),
      );
      expect(answered).toHaveLength(reads.length);
    }
    expect(crmReads()).toHaveLength(5);

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

  test('a contact deleted in the CRM after its consent changed goes on the dead-letter list; the others are patched, the watermark moves, one alert names it by its hash, and later unsubscribes still reach the CRM', async () => {
    const crm = h.sandbox.data.crm;
    const email = h.sandbox.data['email-platform'].contacts;
    seedCrmContacts(crm, 3, 'gone_');
    await run();
    const ids = ['gone_00001', 'gone_00002', 'gone_00003'];
    const address = emailContact('gone_00002')!.email;
    const unsubscribed = { status: 'unsubscribed', at: '2025-04-01T09:00:00.000Z' } as const;
    for (const id of ids) {
      putEmailContact(email, { external_id: id, email: emailContact(id)!.email, consent: unsubscribed });
    }
    // Someone deletes the contact in the CRM: its PATCH gets a 404.
    crm.contacts.delete('gone_00002');

    const result = await run();

    expect(result).toMatchObject({ patchedInCrm: 2, refusedByCrm: 1, rejected: 0 });
    expect(crmContact('gone_00001').consent).toEqual(unsubscribed);
    expect(crmContact('gone_00003').consent).toEqual(unsubscribed);
    const patches = h.sandbox.systems.crm.log.filter((r) => r.method === 'PATCH').map((r) => [r.path, r.status]);
    expect(patches).toEqual(
      expect.arrayContaining([
        ['/contacts/gone_00001', 200],
        ['/contacts/gone_00002', 404],
        ['/contacts/gone_00003', 200],
      ]),
    );
    const stateHandle = env.client.workflow.getHandle(syncStateId(h.config.temporal.taskQueuePrefix, 'contact'));
    let state = await stateHandle.query(syncStateQuery);
    expect(state.deadLetters).toEqual([
      expect.objectContaining({
        id: 'gone_00002',
        system: 'crm',
        activity: 'patchCrmContacts',
        record: expect.objectContaining({ id: 'gone_00002', values: { consent: unsubscribed } }),
        error: expect.stringMatching(/^404: .*gone_00002/),
        attempts: 1,
      }),
    ]);
    // The watermark moved past every change this run read, the refused one included.
    const newest = ids
      .map((id) => emailContact(id)!.updated_at)
      .sort()
      .at(-1);
    expect(state.watermarks.email).toBe(newest);
    expect(state.lastSuccess).toMatchObject({ patchedInCrm: 2 });

    const deadLetterAlerts = () => h.sandbox.data.alerts.received.filter((a) => a.payload.kind === 'dead-letter');
    expect(deadLetterAlerts()).toHaveLength(1);
    const [alert] = deadLetterAlerts();
    expect(alert!.payload).toMatchObject({
      system: 'crm',
      records: [expect.objectContaining({ id: 'gone_00002', contact: emailHash(address) })],
    });
    expect(alert!.payload.text).toContain(`gone_00002 ${emailHash(address)}`);
    expect(JSON.stringify(alert)).not.toContain(address);

    // A later unsubscribe of another contact reaches the CRM; the refused one is not sent again until it changes.
    const withdrawn = { status: 'unsubscribed', at: '2025-04-02T09:00:00.000Z' } as const;
    putEmailContact(email, { external_id: 'gone_00001', email: emailContact('gone_00001')!.email, consent: withdrawn });
    expect(await run()).toMatchObject({ patchedInCrm: 1, refusedByCrm: 0 });
    expect(crmContact('gone_00001').consent).toEqual(withdrawn);
    state = await stateHandle.query(syncStateQuery);
    expect(state.deadLetters.map((e) => [e.id, e.system, e.attempts])).toEqual([['gone_00002', 'crm', 1]]);
    expect(deadLetterAlerts()).toHaveLength(1);
  });

  test('after a failed run the next one resumes from the last successful watermark and loses no change', async () => {
    const crm = h.sandbox.data.crm;
    seedCrmContacts(crm, 300, 'r_');
    const stateHandle = () => env.client.workflow.getHandle(syncStateId(h.config.temporal.taskQueuePrefix, 'contact'));
    // The three pages' batches are in flight at once, and the email platform refuses one of them as a whole (a 400
    // for the request, not for one record): the other two went out, the run fails.
    const platform = h.sandbox.systems['email-platform'];
    platform.setFaults(faultsSchema.parse({ holdPaths: ['/batch'] }));
    const failed = run();
    await until(() => platform.heldCount === 3);
    platform.faults.respondNext = { status: 400, count: 1 };
    platform.release();

    await expect(failed).rejects.toBeInstanceOf(WorkflowFailedError);
    platform.setFaults(faultsSchema.parse({}));
    expect(batchStatuses().sort()).toEqual([200, 200, 400]);
    expect(h.sandbox.data['email-platform'].contacts.contacts.size).toBe(200);
    expect((await stateHandle().query(syncStateQuery)).watermarks).toEqual({ crm: null, email: null });
    expect(h.sandbox.data.alerts.received.some((a) => a.payload.workflow_type === 'contactSync')).toBe(true);

    // Someone renames a contact meanwhile.
    putCrmContact(crm, { id: 'r_00001', name: 'Changed While Broken' });
    const result = await run();

    expect(result.sentToEmail).toBe(300);
    expect(h.sandbox.data['email-platform'].contacts.contacts.size).toBe(300);
    expect(emailContact('r_00001')!.name).toBe('Changed While Broken');
    expect(emailContact('r_00300')).toBeDefined();
    const state = await stateHandle().query(syncStateQuery);
    expect(state.watermarks.crm).toBe(crmContact('r_00001').updated_at);
  });

  test('pages are read ahead and their upserts sent several at once, at most UPSERTS_IN_FLIGHT', async () => {
    seedCrmContacts(h.sandbox.data.crm, 650, 'pa_');
    const platform = h.sandbox.systems['email-platform'];
    platform.setFaults(faultsSchema.parse({ holdPaths: ['/batch'] }));
    const workflowId = uniqueId('contact-sync-');
    const done = run({}, workflowId);
    await until(() => platform.heldCount === UPSERTS_IN_FLIGHT);
    // Every page is read by now, and none more goes out until an answer comes back.
    await until(() => crmReads().length === 7);
    await new Promise((r) => setTimeout(r, 500));
    expect(platform.heldCount).toBe(UPSERTS_IN_FLIGHT);
    platform.setFaults(faultsSchema.parse({}));

    expect(await done).toMatchObject({ crmScanned: 650, sentToEmail: 650, upsertCalls: 7, rejected: 0 });
    expect(h.sandbox.data['email-platform'].contacts.contacts.size).toBe(650);
    const upserts = await upsertsOf(await env.client.workflow.getHandle(workflowId).fetchHistory());
    expect(upserts).toHaveLength(7);
    expect(overlapping(upserts).length).toBeGreaterThan(0);
  });

  test('a contact changed again while its first write is in flight is written once at a time, and ends in its newest version; dead letters and totals stay right', async () => {
    const crm = h.sandbox.data.crm;
    seedCrmContacts(crm, 350, 'pl_');
    putCrmContact(crm, { id: 'pl_00250', email: 'not-an-email' });
    const email = h.sandbox.systems['email-platform'];
    const crmSystem = h.sandbox.systems.crm;
    email.setFaults(faultsSchema.parse({ holdPaths: ['/batch'] }));
    crmSystem.setFaults(faultsSchema.parse({ holdPaths: ['/contacts'] }));
    /** Lets the CRM answer its n-th page read. */
    const answerRead = async (n: number) => {
      await until(() => crmReads().length === n && crmSystem.heldCount === 1);
      crmSystem.release();
    };
    const workflowId = uniqueId('contact-sync-');
    const done = run({}, workflowId);
    await answerRead(1);
    await answerRead(2);
    // Pages 1 and 2 are sent and held; page 3 is being read.
    await until(() => email.heldCount === 2 && crmReads().length === 3 && crmSystem.heldCount === 1);
    // Someone renames the first contact meanwhile: it moves to the end of the feed, onto page 4.
    putCrmContact(crm, { id: 'pl_00001', name: 'Newest Name' });
    await answerRead(3);
    await answerRead(4);
    crmSystem.setFaults(faultsSchema.parse({}));
    // Page 3 goes out; page 4 has pl_00001, whose first write is still held, so it waits.
    const handle = env.client.workflow.getHandle(workflowId);
    // Once a workflow task after the answer of the second read (pages 3 and 4) completed, page 4 was planned.
    const planned = async () => {
      const events = (await handle.fetchHistory()).events ?? [];
      const read = scheduled({ events }, 'listCrmContactChanges')[1];
      const answered = events.findIndex(
        (e) => read && Number(e.activityTaskCompletedEventAttributes?.scheduledEventId) === Number(read.eventId),
      );
      return answered >= 0 && events.slice(answered).some((e) => e.workflowTaskCompletedEventAttributes);
    };
    while (!(await planned())) await new Promise((r) => setTimeout(r, 20));
    expect(scheduled(await handle.fetchHistory(), 'upsertEmailContacts').length).toBe(3);
    await until(() => email.heldCount === 3);
    email.setFaults(faultsSchema.parse({}));

    const result = await done;
    expect(result).toMatchObject({ crmScanned: 351, sentToEmail: 350, rejected: 1, upsertCalls: 4, conflicts: 0 });
    expect(emailContact('pl_00001')!.name).toBe('Newest Name');
    expect(h.sandbox.data['email-platform'].contacts.contacts.size).toBe(349);
    const history = await handle.fetchHistory();
    const upserts = await upsertsOf(history);
    expect(upserts.map((u) => u.ids.filter((id) => id === 'pl_00001').length)).toEqual([1, 0, 0, 1]);
    expect(overlapping(upserts).flat()).toEqual([]);
    expect(overlapping(upserts).length).toBeGreaterThan(0);
    const state = await env.client.workflow
      .getHandle(syncStateId(h.config.temporal.taskQueuePrefix, 'contact'))
      .query(syncStateQuery);
    expect(state.deadLetters.map((e) => [e.id, e.attempts])).toEqual([['pl_00250', 1]]);
    expect(h.sandbox.data.alerts.received.filter((a) => a.payload.kind === 'dead-letter')).toHaveLength(1);
    const [replayed] = await replayHistories([{ workflowId, history }], {
      workflowBundle: { codePath: process.env.SWITCHYARD_TEST_WORKFLOW_BUNDLE! },
      dataConverter: testDataConverter(),
    });
    expect(replayed).toMatchObject({ deterministic: true });
  });
});

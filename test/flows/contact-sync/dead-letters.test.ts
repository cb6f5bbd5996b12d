import { syncStateId, syncStateQuery } from '../../../src/contracts/sync-state';
import { queueFor } from '../../../src/contracts/task-queues';
import { replayHistories } from '../../../src/ops/replay';
import { faultsSchema } from '../../../src/kit/stand-in';
import { putEmailContact } from '../../../src/systems/email-platform/contacts-stand-in';
import { putCrmContact, seedCrmContacts } from '../../../src/sandbox/seed';
import type { ContactSyncResult } from '../../../src/flows/contact-sync/workflow';
import { type Stack, startStack, testDataConverter, uniqueId } from '../../helpers/stack';
import { runCli } from '../../ops/helpers';

const TOKEN = 'adm_dlq_0123456789abcdef';

// One contact a system refuses must not hold back the others, nor every later run; a retry never overwrites newer data.
describe('records the email platform or the CRM refuses', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      env: { EMAIL_PLATFORM_RATE_LIMIT_PER_SECOND: '200', CRM_RATE_LIMIT_PER_SECOND: '200', ADMIN_TOKEN: TOKEN },
    });
  });
  afterAll(() => stack.stop());

  const runIds: string[] = [];
  const run = (): Promise<ContactSyncResult> => {
    const workflowId = uniqueId('contact-sync-');
    runIds.push(workflowId);
    return stack.client.workflow.execute('contactSync', {
      workflowId,
      taskQueue: queueFor(stack.config.temporal.taskQueuePrefix, 'orchestration'),
      args: [{}],
    });
  };
  const syncState = () =>
    stack.client.workflow
      .getHandle(syncStateId(stack.config.temporal.taskQueuePrefix, 'contact'))
      .query(syncStateQuery);
  const deadLetterAlerts = () => stack.sandbox.data.alerts.received.filter((a) => a.payload.kind === 'dead-letter');

  test('one invalid contact among 500: 499 synced, 1 on the dead-letter list, one alert; later runs neither fail nor alert again', async () => {
    const crm = stack.sandbox.data.crm;
    seedCrmContacts(crm, 500, 'dl_');
    putCrmContact(crm, { id: 'dl_00250', email: 'not-an-email' });

    const first = await run();
    const emailContacts = stack.sandbox.data['email-platform'].contacts.byExternalId;
    expect(emailContacts.size).toBe(499);
    expect(emailContacts.has('dl_00250')).toBe(false);
    expect(first).toMatchObject({ crmScanned: 500, sentToEmail: 499, rejected: 1 });
    let state = await syncState();
    expect(state.deadLetters).toEqual([
      expect.objectContaining({
        id: 'dl_00250',
        system: 'email-platform',
        activity: 'upsertEmailContacts',
        record: expect.objectContaining({ externalId: 'dl_00250', email: 'not-an-email' }),
        error: expect.stringMatching(/invalid_resource: .*email/i),
        attempts: 1,
      }),
    ]);
    // The watermark moved past the rejected record: the next run starts after it.
    expect(state.watermarks.crm).toBe(crm.contacts.get('dl_00250')!.updated_at);
    expect(deadLetterAlerts()).toHaveLength(1);
    expect(deadLetterAlerts()[0]!.payload).toMatchObject({ records: [expect.objectContaining({ id: 'dl_00250' })] });

    // Nothing changed: the next run reads nothing and does not fail on the listed record.
    expect(await run()).toMatchObject({ crmScanned: 0, sentToEmail: 0, rejected: 0 });

    // Someone edits the contact in the CRM but the address is still invalid: rejected again, one more attempt on the
    // same entry, and no second alert.
    putCrmContact(crm, { id: 'dl_00250', name: 'Still Invalid' });
    expect(await run()).toMatchObject({ crmScanned: 1, sentToEmail: 0, rejected: 1 });
    state = await syncState();
    expect(state.deadLetters).toHaveLength(1);
    expect(state.deadLetters[0]).toMatchObject({
      attempts: 2,
      record: expect.objectContaining({ name: 'Still Invalid' }),
    });
    expect(state.deadLetters[0]!.lastSeen > state.deadLetters[0]!.firstSeen).toBe(true);
    expect(deadLetterAlerts()).toHaveLength(1);

    // The address is fixed at its source: the next run delivers it and it leaves the list.
    putCrmContact(crm, { id: 'dl_00250', email: 'fixed@example.com' });
    expect(await run()).toMatchObject({ sentToEmail: 1, rejected: 0 });
    expect(emailContacts.get('dl_00250')).toMatchObject({ email: 'fixed@example.com', name: 'Still Invalid' });
    expect((await syncState()).deadLetters).toEqual([]);
    expect(deadLetterAlerts()).toHaveLength(1);

    // The runs that listed, re-listed and delivered the record replay against the code, as does the state's history.
    const histories = await Promise.all(
      [...runIds, syncStateId(stack.config.temporal.taskQueuePrefix, 'contact')].map(async (workflowId) => ({
        workflowId,
        history: await stack.client.workflow.getHandle(workflowId).fetchHistory(),
      })),
    );
    const outcomes = await replayHistories(histories, {
      workflowBundle: { codePath: process.env.SWITCHYARD_TEST_WORKFLOW_BUNDLE! },
      dataConverter: testDataConverter(),
    });
    expect(outcomes.map((o) => [o.workflowId, o.deterministic, o.error])).toEqual(
      histories.map((h) => [h.workflowId, true, undefined]),
    );
  });

  const ops = (...args: string[]) => runCli(args, { TASK_QUEUE_PREFIX: stack.config.temporal.taskQueuePrefix });
  const admin = (path: string, method = 'GET') =>
    fetch(`${stack.adminUrl}/admin${path}`, { method, headers: { authorization: `Bearer ${TOKEN}` } });

  test('the list is shown by ops and /admin, retried on demand (a delivered record leaves it) and dropped on demand', async () => {
    const crm = stack.sandbox.data.crm;
    const email = stack.sandbox.data['email-platform'].contacts;
    seedCrmContacts(crm, 3, 'rt_');
    // One address the platform keeps on its suppression list for now, one that is not an address at all.
    email.suppressed.add('rt00001@example.com');
    putCrmContact(crm, { id: 'rt_00002', email: 'broken' });
    const alertsBefore = deadLetterAlerts().length;

    expect(await run()).toMatchObject({ sentToEmail: 1, rejected: 2 });
    expect(deadLetterAlerts()).toHaveLength(alertsBefore + 1);
    expect(deadLetterAlerts().at(-1)!.payload.records).toEqual([
      expect.objectContaining({ id: 'rt_00001', error: expect.stringContaining('compliance_state') }),
      expect.objectContaining({ id: 'rt_00002', error: expect.stringContaining('invalid_resource') }),
    ]);

    const listed = await ops('--json', 'sync-dlq', 'list');
    expect(listed).toMatchObject({ code: 0 });
    expect((JSON.parse(listed.stdout) as { deadLetters: Array<{ id: string }> }).deadLetters.map((e) => e.id)).toEqual([
      'rt_00001',
      'rt_00002',
    ]);
    const table = await ops('sync-dlq', 'list');
    expect(table.stdout).toMatch(/rt_00002 .*broken.*invalid_resource/);
    expect(table.stdout).toContain('2 record(s) on the dead-letter list');
    const viaAdmin = await admin('/sync-dlq');
    expect(viaAdmin.status).toBe(200);
    expect(((await viaAdmin.json()) as { deadLetters: Array<{ id: string; attempts: number }> }).deadLetters).toEqual([
      expect.objectContaining({ id: 'rt_00001', attempts: 1 }),
      expect.objectContaining({ id: 'rt_00002', attempts: 1 }),
    ]);

    // Retried while the address is still suppressed: refused again, it stays with one attempt more, no new alert.
    const refused = await admin('/sync-dlq/rt_00001/retry', 'POST');
    expect(refused.status).toBe(200);
    expect(await refused.json()).toMatchObject({ delivered: [], rejected: [{ id: 'rt_00001' }] });
    expect((await syncState()).deadLetters.find((e) => e.id === 'rt_00001')).toMatchObject({ attempts: 2 });

    // The platform lifts the suppression: the stored record goes through, and leaves the list.
    email.suppressed.delete('rt00001@example.com');
    const retried = await ops('sync-dlq', 'retry', 'rt_00001');
    expect(retried).toMatchObject({ code: 0 });
    expect(retried.stdout).toContain('DELIVERED  rt_00001');
    expect(email.byExternalId.get('rt_00001')).toMatchObject({ email: 'rt00001@example.com' });
    expect((await syncState()).deadLetters.map((e) => e.id)).toEqual(['rt_00002']);

    // The invalid one is dropped by hand; dropping it again is a 404.
    const dropped = await admin('/sync-dlq/rt_00002/drop', 'POST');
    expect(dropped.status).toBe(200);
    expect(await dropped.json()).toMatchObject({
      id: 'rt_00002',
      record: expect.objectContaining({ email: 'broken' }),
    });
    expect((await syncState()).deadLetters).toEqual([]);
    expect((await admin('/sync-dlq/rt_00002/drop', 'POST')).status).toBe(404);
    const missing = await ops('sync-dlq', 'retry', 'rt_00002');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('rt_00002 is not on the dead-letter list');
    expect(deadLetterAlerts()).toHaveLength(alertsBefore + 1);
  }, 120_000);

  /** Waits for a condition on the sandbox (requests held, answered), polling. */
  const until = async (condition: () => boolean | Promise<boolean>) => {
    while (!(await condition())) await new Promise((r) => setTimeout(r, 20));
  };
  const scheduledActivities = async (workflowId: string) =>
    ((await stack.client.workflow.getHandle(workflowId).fetchHistory()).events ?? []).flatMap(
      (e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? [],
    );

  test('a retry of a stored, older record while a run writes the newer one sends nothing (409, NOT RETRIED) and the newer one stays; a run waits for a retry that writes', async () => {
    const crm = stack.sandbox.data.crm;
    const email = stack.sandbox.data['email-platform'].contacts;
    const platform = stack.sandbox.systems['email-platform'];
    seedCrmContacts(crm, 2, 'ow_');
    email.suppressed.add('ow00001@example.com');
    email.suppressed.add('ow00002@example.com');
    expect(await run()).toMatchObject({ sentToEmail: 0, rejected: 2 });
    const older = crm.contacts.get('ow_00001')!.name;
    expect((await syncState()).deadLetters.find((e) => e.id === 'ow_00001')).toMatchObject({
      record: expect.objectContaining({ name: older }),
    });

    // The address is cleared and the contact renamed in the CRM: the next run sends the newer version. Its upsert is
    // held at the platform while an operator retries the stored, older record.
    email.suppressed.delete('ow00001@example.com');
    putCrmContact(crm, { id: 'ow_00001', name: 'Newer Name' });
    try {
      platform.setFaults(faultsSchema.parse({ holdPaths: ['/batch'] }));
      const syncing = run();
      await until(() => platform.heldCount === 1);
      let answered = false;
      const retry = admin('/sync-dlq/ow_00001/retry', 'POST').then((res) => ((answered = true), res));
      await until(() => answered || platform.heldCount === 2);
      platform.setFaults(faultsSchema.parse({}));
      const refused = await retry;
      await syncing;
      expect(email.byExternalId.get('ow_00001')).toMatchObject({ name: 'Newer Name' });
      expect(refused.status).toBe(409);
      expect(await refused.json()).toMatchObject({
        error: 'sync_busy',
        delivered: [],
        busy: { workflowId: runIds.at(-1), kind: 'sync' },
      });
      // The run delivered the newer version: the record left the list.
      expect((await syncState()).deadLetters.map((e) => e.id)).toEqual(['ow_00002']);

      // The CLI says so too, and exits 1.
      putCrmContact(crm, { id: 'ow_00001', name: 'Newest Name' });
      platform.setFaults(faultsSchema.parse({ holdPaths: ['/batch'] }));
      const syncingAgain = run();
      await until(() => platform.heldCount === 1);
      const busy = await ops('sync-dlq', 'retry', 'ow_00002');
      expect(busy.code).toBe(1);
      expect(busy.stdout).toContain('NOT RETRIED: a contact sync run is writing');
      expect(busy.stdout).toContain(runIds.at(-1));
      platform.setFaults(faultsSchema.parse({}));
      await syncingAgain;
      expect(email.byExternalId.get('ow_00001')).toMatchObject({ name: 'Newest Name' });

      // The other way round: a run that starts while a retry writes waits for it, then reads and writes.
      platform.setFaults(faultsSchema.parse({ holdPaths: ['/batch'] }));
      const retrying = ops('sync-dlq', 'retry', 'ow_00002');
      await until(() => platform.heldCount === 1);
      expect((await syncState()).writer).toMatchObject({ kind: 'retry' });
      putCrmContact(crm, { id: 'ow_00001', name: 'Last Name' });
      const waiting = run();
      const runId = runIds.at(-1)!;
      // Started, refused the lease once, and claiming again after its wait.
      const claims = () =>
        scheduledActivities(runId).then(
          (names) => names.filter((n) => n === 'claimSyncWriter').length,
          () => 0,
        );
      await until(async () => (await claims()) >= 2);
      expect(await scheduledActivities(runId)).not.toContain('readSyncState');
      expect(platform.heldCount).toBe(1);
      platform.setFaults(faultsSchema.parse({}));
      // Still suppressed: the retry's record stays on the list.
      const retried = await retrying;
      expect(retried.code).toBe(1);
      expect(retried.stdout).toContain('REJECTED   ow_00002');
      expect(await waiting).toMatchObject({ sentToEmail: 1 });
      expect(email.byExternalId.get('ow_00001')).toMatchObject({ name: 'Last Name' });
      const activities = await scheduledActivities(runId);
      expect(activities.indexOf('readSyncState')).toBeGreaterThan(activities.lastIndexOf('claimSyncWriter'));
      expect(activities.at(-1)).toBe('releaseSyncWriter');
      expect((await syncState()).writer).toBeNull();
    } finally {
      platform.setFaults(faultsSchema.parse({}));
    }
  }, 120_000);

  test('a consent change the CRM refused (the contact was deleted there) is listed for the CRM, shown by ops, and delivered by a retry once the contact is back', async () => {
    const crm = stack.sandbox.data.crm;
    const email = stack.sandbox.data['email-platform'].contacts;
    const [contact] = seedCrmContacts(crm, 1, 'cr_');
    await run();
    const consent = { status: 'unsubscribed', at: '2025-05-01T09:00:00.000Z' } as const;
    putEmailContact(email, { external_id: 'cr_00001', email: contact!.email, consent });
    crm.contacts.delete('cr_00001');
    expect(await run()).toMatchObject({ patchedInCrm: 0, refusedByCrm: 1 });

    const table = await ops('sync-dlq', 'list');
    expect(table.stdout).toMatch(/cr_00001 +crm +1 .*cr00001@example\.com.*404/);

    // Still gone: refused again, one attempt more.
    const refused = await ops('sync-dlq', 'retry', 'cr_00001');
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain('REJECTED   cr_00001');
    expect((await syncState()).deadLetters.find((e) => e.id === 'cr_00001')).toMatchObject({ attempts: 2 });

    // Restored in the CRM: the retry PATCHes the stored consent, and the record leaves the list.
    putCrmContact(crm, { id: 'cr_00001', email: contact!.email, name: contact!.name, company: contact!.company });
    const retried = await ops('sync-dlq', 'retry', 'cr_00001');
    expect(retried).toMatchObject({ code: 0 });
    expect(retried.stdout).toContain('DELIVERED  cr_00001');
    expect(crm.contacts.get('cr_00001')!.consent).toEqual(consent);
    expect((await syncState()).deadLetters.find((e) => e.id === 'cr_00001')).toBeUndefined();
  }, 120_000);
});

import { temporal } from '@temporalio/proto';
import { syncStateId } from '../../../src/contracts/sync-state';
import { replayHistories } from '../../../src/ops/replay';
import { BOUNDED_PENDING, PIPELINED, SINGLE_WRITER } from '../../../src/flows/contact-sync/workflow';
import { queueFor } from '../../../src/contracts/task-queues';
import { putEmailContact } from '../../../src/systems/email-platform/contacts-stand-in';
import { putCrmContact } from '../../../src/sandbox/seed';
import type { ContactSyncResult } from '../../../src/flows/contact-sync/workflow';
import { type Stack, startStack, testDataConverter, uniqueId } from '../../helpers/stack';

type History = temporal.api.history.v1.IHistory;
type Payloads = temporal.api.common.v1.IPayloads;

const MB = 1024 * 1024;
const bytes = (p: Payloads | null | undefined) => (p ? temporal.api.common.v1.Payloads.encode(p).finish().length : 0);

/** Every payload a history carries (workflow input and result, activity input and result, update input and result). */
function payloadsOf(history: History): Array<{ what: string; size: number }> {
  const out: Array<{ what: string; size: number }> = [];
  for (const e of history.events ?? []) {
    const add = (what: string, p: Payloads | null | undefined) => out.push({ what, size: bytes(p) });
    if (e.workflowExecutionStartedEventAttributes)
      add('workflow input', e.workflowExecutionStartedEventAttributes.input);
    if (e.workflowExecutionContinuedAsNewEventAttributes) {
      add('continueAsNew input', e.workflowExecutionContinuedAsNewEventAttributes.input);
    }
    if (e.workflowExecutionCompletedEventAttributes) {
      add('workflow result', e.workflowExecutionCompletedEventAttributes.result);
    }
    const scheduled = e.activityTaskScheduledEventAttributes;
    if (scheduled) add(`${scheduled.activityType?.name} input`, scheduled.input);
    if (e.activityTaskCompletedEventAttributes) add('activity result', e.activityTaskCompletedEventAttributes.result);
    const accepted = e.workflowExecutionUpdateAcceptedEventAttributes;
    if (accepted) add(`update ${accepted.acceptedRequest?.input?.name} input`, accepted.acceptedRequest?.input?.args);
    const completed = e.workflowExecutionUpdateCompletedEventAttributes;
    if (completed) add('update result', completed.outcome?.success);
  }
  return out;
}

// The contact sync must keep every payload it hands Temporal bounded, whatever the volume of email-side changes: a
// continueAsNew input, an activity's input or result over the server's limits (2 MB a payload, 4 MB a gRPC message)
// would stop the sync for good.
describe('contactSync payloads', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      env: { EMAIL_PLATFORM_RATE_LIMIT_PER_SECOND: '1000', CRM_RATE_LIMIT_PER_SECOND: '1000' },
    });
  });
  afterAll(() => stack.stop());

  // In small pages: a page of large payloads would exceed the client's 4 MB gRPC message limit.
  async function historyOf(workflowId: string, runId?: string): Promise<History> {
    const events: temporal.api.history.v1.IHistoryEvent[] = [];
    let nextPageToken: Uint8Array | undefined;
    do {
      const page = await stack.client.workflowService.getWorkflowExecutionHistory({
        namespace: 'default',
        execution: { workflowId, runId },
        maximumPageSize: 20,
        nextPageToken,
      });
      events.push(...(page.history?.events ?? []));
      nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
    } while (nextPageToken);
    return { events };
  }

  test('20,000 email-side changes of 2 KB each sync with every payload under 1 MB', async () => {
    const email = stack.sandbox.data['email-platform'].contacts;
    const crm = stack.sandbox.data.crm;
    const started0 = Date.now();
    const n = 20_000;
    for (let i = 1; i <= n; i += 1) {
      const id = `big_${String(i).padStart(5, '0')}`;
      const address = `${id.replace('_', '')}@example.com`;
      // A person edits each contact on the email platform: a 2 KB company name; every 100th also gives consent.
      putEmailContact(email, {
        external_id: id,
        email: address,
        company: `${id} ${'Long Company Name Sp. z o.o. '.repeat(70)}`.slice(0, 2048),
        ...(i % 100 === 0 ? { consent: { status: 'subscribed', at: '2025-04-01T09:00:00.000Z' } } : {}),
      });
      if (i % 100 === 0) putCrmContact(crm, { id, email: address, name: `Contact ${i}`, company: 'Acme' });
    }

    const seeded = Date.now();
    const workflowId = uniqueId('contact-sync-payloads-');
    const started = Date.now();
    const handle = await stack.client.workflow.start('contactSync', {
      workflowId,
      taskQueue: queueFor(stack.config.temporal.taskQueuePrefix, 'orchestration'),
      args: [{}],
    });
    const result: ContactSyncResult = await handle.result();
    const seconds = (Date.now() - started) / 1000;

    // Every run of the chain, followed from the first through its continueAsNew events, and the sync state's own.
    const payloads: Array<{ what: string; size: number }> = [];
    const histories: History[] = [];
    let runId: string | undefined = handle.firstExecutionRunId;
    let runs = 0;
    while (runId) {
      const history = await historyOf(workflowId, runId);
      histories.push(history);
      payloads.push(...payloadsOf(history));
      runs += 1;
      runId = history.events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
    }
    const state = stack.client.workflow.getHandle(syncStateId(stack.config.temporal.taskQueuePrefix, 'contact'));
    payloads.push(...payloadsOf(await historyOf(state.workflowId)));
    const largest = payloads.reduce((a, b) => (b.size > a.size ? b : a));
    const largestOf = (what: RegExp) => Math.max(0, ...payloads.filter((p) => what.test(p.what)).map((p) => p.size));
    process.stdout.write(
      `contactSync, 20,000 email-side changes of 2 KB: ${seconds.toFixed(1)} s (seeding ` +
        `${((seeded - started0) / 1000).toFixed(1)} s), ${runs} runs; largest payload ` +
        `${(largest.size / 1024).toFixed(1)} KB (${largest.what}); largest continueAsNew input ` +
        `${(largestOf(/continueAsNew/) / 1024).toFixed(1)} KB; largest activity input ` +
        `${(largestOf(/ input$/) / 1024).toFixed(1)} KB, result ${(largestOf(/activity result/) / 1024).toFixed(1)} KB\n`,
    );

    // Settled as with everything held in memory: the 200 contacts changed on both sides conflict on the company (the
    // CRM owns it and wins), and the consent given on the email platform reaches the CRM.
    expect(result).toMatchObject({
      emailScanned: n,
      crmScanned: 200,
      conflicts: 200,
      sentToEmail: 200,
      patchedInCrm: 200,
    });
    expect(email.byExternalId.get('big_20000')).toMatchObject({ company: 'Acme', name: 'Contact 20000' });
    expect(crm.contacts.get('big_20000')).toMatchObject({
      company: 'Acme',
      consent: { status: 'subscribed', at: '2025-04-01T09:00:00.000Z' },
    });
    expect(crm.contacts.get('big_19999')).toBeUndefined();
    expect(result.runs).toBe(runs);
    expect(largest.size).toBeLessThan(MB);

    // The writer lease the run takes first is versioned, as are the switch to reading per page and the pipelined CRM
    // phase the same run then starts, and the run replays against the code.
    const first = histories[0]!;
    const markers = (first.events ?? []).filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_patch');
    expect(
      markers.map((e) =>
        Buffer.from(e.markerRecordedEventAttributes!.details!['patch-data']!.payloads![0]!.data!).toString(),
      ),
    ).toEqual([
      expect.stringContaining(SINGLE_WRITER),
      expect.stringContaining(BOUNDED_PENDING),
      expect.stringContaining(PIPELINED),
    ]);
    const [replayed] = await replayHistories([{ workflowId, history: first }], {
      workflowBundle: { codePath: process.env.SWITCHYARD_TEST_WORKFLOW_BUNDLE! },
      dataConverter: testDataConverter(),
    });
    expect(replayed).toMatchObject({ deterministic: true });
  }, 180_000);
});

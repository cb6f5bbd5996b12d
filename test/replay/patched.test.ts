import { type temporal } from '@temporalio/proto';
import { replayHistories } from '../../src/ops/replay';
import { queueFor } from '../../src/contracts/task-queues';
import { reconcileChildId } from '../../src/contracts/workflow-ids';
import { putShopOrder } from '../../src/systems/shop/stand-in';
import { CRM_DEAD_LETTERS, PIPELINED, SINGLE_WRITER } from '../../src/flows/contact-sync/workflow';
import { NORMALIZE_CUSTOMER_EMAIL } from '../../src/flows/order-paid/workflow';
import { SCOPED_CHILD_IDS } from '../../src/flows/reconcile-orders/workflow';
import { orderPaidBody, post, signShop } from '../helpers/signing';
import { type Stack, startStack, testDataConverter, uniqueId } from '../helpers/stack';
import { loadRecordedHistories } from './histories';

// Versioned changes, behind patched(): orderPaid normalises customer emails; contactSync pipelines its CRM phase,
// dead-letters the CRM's refusals and holds one writer lease per sync. Runs started before a change must replay
// unchanged; runs started after it take the new path.

type History = temporal.api.history.v1.IHistory;

function patchIds(history: History): string[] {
  return (history.events ?? [])
    .filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_patch')
    .map((e) => {
      const data = e.markerRecordedEventAttributes?.details?.['patch-data']?.payloads?.[0]?.data;
      return data ? (JSON.parse(Buffer.from(data).toString('utf8')) as { id: string }).id : '';
    });
}

const bundle = () => ({
  workflowBundle: { codePath: process.env.SWITCHYARD_TEST_WORKFLOW_BUNDLE! },
  dataConverter: testDataConverter(),
});

describe('orderPaid, versioned with patched()', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack.stop());

  test('a history recorded before the change has no patch marker and still replays against the current code', async () => {
    const before = loadRecordedHistories().find((r) => r.file === 'orderPaid/before-email-normalization.json');
    expect(before).toBeDefined();
    expect(patchIds(before!.history)).toEqual([]);
    const [outcome] = await replayHistories([{ workflowId: 'before-patch', history: before!.history }], bundle());
    expect(outcome).toMatchObject({ deterministic: true });
    expect(outcome?.error).toBeUndefined();
  });

  test('a new execution records the patch and sends the normalised email to accounting and the email platform', async () => {
    const eventId = uniqueId('evt_');
    const orderId = uniqueId('ORD-');
    const body = orderPaidBody(eventId, orderId, {
      order: { id: orderId, total: 1499.0, currency: 'PLN', customer_email: 'K.Nowak@Example.COM' },
    });
    const res = await post(
      `${stack.apiUrl}/webhooks/shop`,
      signShop(stack.config.sources.shop.secrets[0]!, eventId, body),
    );
    expect(res.status).toBe(202);
    const handle = stack.client.workflow.getHandle(`${stack.config.temporal.taskQueuePrefix}shop:${eventId}`);
    await handle.result();

    const history = await handle.fetchHistory();
    expect(patchIds(history)).toEqual([NORMALIZE_CUSTOMER_EMAIL]);
    const invoice = stack.sandbox.data.accounting.invoices.find((i) => i.order_id === orderId);
    expect(invoice?.customer_email).toBe('k.nowak@example.com');
    const message = stack.sandbox.data['email-platform'].messages.find(
      (m) => (m.data as { order_id: string }).order_id === orderId,
    );
    expect(message?.to).toBe('k.nowak@example.com');

    const [outcome] = await replayHistories([{ workflowId: 'after-patch', history }], bundle());
    expect(outcome).toMatchObject({ deterministic: true });
  });
});

describe('contactSync, versioned with patched()', () => {
  const history = (file: string) => {
    const found = loadRecordedHistories().find((r) => r.file === file);
    expect(found).toBeDefined();
    return found!.history;
  };
  const activities = (h: History) =>
    (h.events ?? []).flatMap((e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? []);

  test('histories recorded before the pipelined CRM phase have no patch marker and still replay one page at a time', async () => {
    const files = ['success', 'retry', 'failure'].map((s) => `contactSync/before-pipelined-${s}.json`);
    for (const file of files) expect(patchIds(history(file))).toEqual([]);
    const outcomes = await replayHistories(
      files.map((file) => ({ workflowId: file, history: history(file) })),
      bundle(),
    );
    expect(outcomes.map((o) => [o.workflowId, o.deterministic, o.error])).toEqual(
      files.map((file) => [file, true, undefined]),
    );
  });

  test('a run recorded since reads the next CRM pages while two upserts are in flight, and replays', async () => {
    const pipelined = history('contactSync/pipelined.json');
    expect(patchIds(pipelined)).toEqual([PIPELINED]);
    expect(activities(pipelined)).toEqual([
      'readSyncState',
      'listEmailContactChanges',
      'listCrmContactChanges',
      'listCrmContactChanges',
      'upsertEmailContacts',
      'upsertEmailContacts',
      'upsertEmailContacts',
      'advanceSyncState',
    ]);
    // One workflow task sent the first two pages' upserts and asked for the third page.
    const byTask = (name: string) =>
      (pipelined.events ?? [])
        .map((e) => e.activityTaskScheduledEventAttributes)
        .filter((a) => a?.activityType?.name === name)
        .map((a) => Number(a!.workflowTaskCompletedEventId));
    expect(byTask('upsertEmailContacts').slice(0, 2)).toEqual([
      byTask('listCrmContactChanges')[1]!,
      byTask('listCrmContactChanges')[1]!,
    ]);
    const [outcome] = await replayHistories([{ workflowId: 'pipelined', history: pipelined }], bundle());
    expect(outcome).toMatchObject({ deterministic: true });
    expect(outcome?.error).toBeUndefined();
  });

  test('histories recorded before the CRM dead letters and the writer lease have neither marker and replay unchanged: a CRM refusal fails the run, a retry claims nothing', async () => {
    const files = [
      'contactSync/before-crm-dead-letters.json',
      'contactSync/before-single-writer-dlq-retry.json',
      'contactSync/success.json',
      'contactSync/retry.json',
      'contactSync/failure.json',
      'contactSync/pipelined.json',
    ];
    for (const file of files) {
      expect(patchIds(history(file))).not.toEqual(expect.arrayContaining([SINGLE_WRITER]));
      expect(patchIds(history(file))).not.toEqual(expect.arrayContaining([CRM_DEAD_LETTERS]));
    }
    expect(activities(history('contactSync/before-crm-dead-letters.json'))).toEqual([
      'readSyncState',
      'listEmailContactChanges',
      'listCrmContactChanges',
      'patchCrmContacts',
      'sendAlert',
    ]);
    expect(activities(history('contactSync/before-single-writer-dlq-retry.json'))).toEqual([
      'readSyncState',
      'upsertEmailContacts',
      'settleDeadLetters',
    ]);
    const outcomes = await replayHistories(
      files.map((file) => ({ workflowId: file, history: history(file) })),
      bundle(),
    );
    expect(outcomes.map((o) => [o.workflowId, o.deterministic, o.error])).toEqual(
      files.map((file) => [file, true, undefined]),
    );
  });

  test('a run recorded since holds the writer lease, dead-letters the refused consent patch with an alert, advances the watermark, and replays', async () => {
    const recorded = history('contactSync/dead-letters.json');
    expect(patchIds(recorded)).toEqual([SINGLE_WRITER, PIPELINED, CRM_DEAD_LETTERS]);
    expect(activities(recorded)).toEqual([
      'claimSyncWriter',
      'readSyncState',
      'listEmailContactChanges',
      'listCrmContactChanges',
      'patchCrmContactRecords',
      'settleDeadLetters',
      'sendDeadLetterAlert',
      'advanceSyncState',
      'releaseSyncWriter',
    ]);
    expect(recorded.events?.at(-1)?.workflowExecutionCompletedEventAttributes).toBeTruthy();
    const [outcome] = await replayHistories([{ workflowId: 'dead-letters', history: recorded }], bundle());
    expect(outcome).toMatchObject({ deterministic: true });
    expect(outcome?.error).toBeUndefined();
  });

  test('a dead-letter retry recorded since sends only while it holds the writer lease, and replays', async () => {
    const recorded = history('contactSync/dlq-retry.json');
    expect(patchIds(recorded)).toEqual([SINGLE_WRITER]);
    expect(activities(recorded)).toEqual([
      'claimSyncWriter',
      'readSyncState',
      'upsertEmailContacts',
      'settleDeadLetters',
      'releaseSyncWriter',
    ]);
    const [outcome] = await replayHistories([{ workflowId: 'dlq-retry', history: recorded }], bundle());
    expect(outcome).toMatchObject({ deterministic: true });
    expect(outcome?.error).toBeUndefined();
  });
});

describe('reconcileOrders, versioned with patched()', () => {
  const childIds = (h: History) =>
    (h.events ?? []).flatMap((e) => e.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId ?? []);

  test('histories recorded before children carried the prefix start reconcile:<order id>, and still replay', async () => {
    const recorded = loadRecordedHistories().filter((r) => r.file.startsWith('reconcileOrders/'));
    const withChildren = recorded.filter((r) => childIds(r.history).length > 0);
    expect(withChildren.length).toBeGreaterThan(0);
    for (const r of recorded) expect(patchIds(r.history)).toEqual([]);
    for (const r of withChildren) for (const id of childIds(r.history)) expect(id).toMatch(/^reconcile:/);
    const outcomes = await replayHistories(
      recorded.map((r) => ({ workflowId: r.file, history: r.history })),
      bundle(),
    );
    expect(outcomes.map((o) => [o.workflowId, o.deterministic, o.error])).toEqual(
      recorded.map((r) => [r.file, true, undefined]),
    );
  });

  describe('a run started since', () => {
    let stack: Stack;
    beforeAll(async () => {
      stack = await startStack();
    });
    afterAll(() => stack.stop());

    test("records the patch, starts its child under the deployment's prefix, and replays", async () => {
      const shop = stack.sandbox.data.shop;
      const since = new Date(Date.parse(shop.now()) - 1000).toISOString();
      const orderId = uniqueId('ORD-');
      putShopOrder(shop, { id: orderId, total: 5, currency: 'PLN', customer_email: 'r@example.com' });
      const until = new Date(Date.parse(shop.now()) + 1000).toISOString();
      const handle = await stack.client.workflow.start('reconcileOrders', {
        workflowId: uniqueId('reconcile-orders-'),
        taskQueue: queueFor(stack.config.temporal.taskQueuePrefix, 'orchestration'),
        args: [{ window: { since, until }, idPrefix: stack.config.temporal.taskQueuePrefix }],
      });
      expect(await handle.result()).toMatchObject({ repaired: [orderId] });
      const history = await handle.fetchHistory();
      expect(patchIds(history)).toContain(SCOPED_CHILD_IDS);
      expect(childIds(history)).toEqual([reconcileChildId(stack.config.temporal.taskQueuePrefix, orderId)]);
      const [outcome] = await replayHistories([{ workflowId: 'scoped-children', history }], bundle());
      expect(outcome).toMatchObject({ deterministic: true });
      expect(outcome?.error).toBeUndefined();
    });
  });
});

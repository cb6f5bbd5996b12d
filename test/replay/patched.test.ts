import { type temporal } from '@temporalio/proto';
import { replayHistories } from '../../src/ops/replay';
import { NORMALIZE_CUSTOMER_EMAIL } from '../../src/workflows/order-paid';
import { orderPaidBody, post, signShop } from '../helpers/signing';
import { type Stack, startStack, testDataConverter, uniqueId } from '../helpers/stack';
import { loadRecordedHistories } from './histories';

// The one versioned change to orderPaid: customer emails are normalised behind patched(). Runs started before it
// must replay unchanged; runs started after it take the new path.

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
    const handle = stack.client.workflow.getHandle(`shop:${eventId}`);
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

import { type temporal } from '@temporalio/proto';
import { WorkflowFailedError } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, type Worker } from '@temporalio/worker';
import { createLogger } from '../../../src/logger';
import type { OpsContext } from '../../../src/ops/context';
import { planRedrive, type RedrivePlan, runRedrive } from '../../../src/ops/redrive';
import { faultsSchema } from '../../../src/kit/stand-in';
import { createWorkers } from '../../../src/worker/workers';
import { orderPaidBody, post, signShop } from '../../helpers/signing';
import { type Stack, startStack, TEST_ADDRESS, uniqueId } from '../../helpers/stack';

// A run that started before the normalize-customer-email patch created its invoice with the address as typed, then
// failed on the email. Redriven after the deploy, the new run takes the patched path and sends invoice:<order> again
// with the normalised address: accounting answers 422 (key reused with another body). The run must still complete,
// with the one invoice that exists.

type History = temporal.api.history.v1.IHistory;

const patchMarkers = (history: History) =>
  (history.events ?? []).filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_patch').length;

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('redriving an orderPaid run from before the normalize-customer-email patch', () => {
  let stack: Stack;
  let connection: NativeConnection;

  beforeAll(async () => {
    stack = await startStack({ workers: false });
    connection = await NativeConnection.connect({ address: TEST_ADDRESS() });
  });
  afterAll(async () => {
    await stack.stop();
    await connection.close();
  });

  test('completes with the one invoice accounting has, and never creates a second', async () => {
    // The deployment before the patch: its workers run the old orderPaid.
    const oldCode = await bundleWorkflowCode({
      workflowsPath: require.resolve('./fixtures/order-paid-before-normalization'),
      logger: new DefaultLogger('WARN'),
    });
    const oldWorkers: Worker[] = await createWorkers({
      connection,
      namespace: 'default',
      config: stack.config,
      logger: createLogger({ level: 'silent' }),
      workflowBundle: oldCode,
    });
    const running = Promise.all(oldWorkers.map((w) => w.run()));

    const eventId = uniqueId('evt_');
    const orderId = uniqueId('ORD-');
    const workflowId = `${stack.config.temporal.taskQueuePrefix}shop:${eventId}`;
    stack.sandbox.systems['email-platform'].setFaults(faultsSchema.parse({ respondNext: { status: 400, count: 1 } }));
    const body = orderPaidBody(eventId, orderId, {
      order: { id: orderId, total: 1499.0, currency: 'PLN', customer_email: 'K.Nowak@Example.COM' },
    });
    const res = await post(
      `${stack.apiUrl}/webhooks/shop`,
      signShop(stack.config.sources.shop.secrets[0]!, eventId, body),
    );
    expect(res.status).toBe(202);
    const handle = stack.client.workflow.getHandle(workflowId);
    await expect(handle.result()).rejects.toBeInstanceOf(WorkflowFailedError);
    const failedRun = await handle.describe();
    expect(patchMarkers(await handle.fetchHistory())).toBe(0);
    expect(stack.sandbox.data.accounting.invoices.filter((i) => i.order_id === orderId)).toEqual([
      expect.objectContaining({ customer_email: 'K.Nowak@Example.COM' }),
    ]);

    // The deploy: the old workers go, the current code takes over; then the operator redrives the failed run.
    for (const w of oldWorkers) w.shutdown();
    await running;
    await stack.startWorkers();
    const ops: OpsContext = { client: stack.client, namespace: 'default', uiUrl: 'http://localhost:8233' };
    const query = `WorkflowId = "${workflowId}"`;
    const plan = await waitFor<RedrivePlan>('the failed run to be listed', async () => {
      const p = await planRedrive(ops, { query });
      return p.items.some((i) => i.action === 'reset') ? p : undefined;
    });
    const report = await runRedrive(ops, plan);
    expect(report.failed).toEqual([]);
    expect(report.reset).toEqual([expect.objectContaining({ workflowId, runId: failedRun.runId })]);

    const redriven = stack.client.workflow.getHandle(workflowId, report.reset[0]!.newRunId);
    const result = await redriven.result();
    const invoices = stack.sandbox.data.accounting.invoices.filter((i) => i.order_id === orderId);
    expect(invoices).toHaveLength(1);
    expect(result).toEqual({ orderId, invoiceId: invoices[0]!.id, emailId: expect.any(String) });
    // The redriven run took the patched path, and its create met the key reused with the normalised address.
    const history = await redriven.fetchHistory();
    expect(patchMarkers(history)).toBe(1);
    const creates = stack.sandbox.systems.accounting.log.filter((r) => r.method === 'POST' && r.path === '/invoices');
    expect(creates.map((r) => [r.idempotencyKey, r.status])).toEqual([
      [`invoice:${orderId}`, 201],
      [`invoice:${orderId}`, 422],
    ]);
    const emails = stack.sandbox.data['email-platform'].messages.filter(
      (m) => (m.data as { order_id: string }).order_id === orderId,
    );
    expect(emails.map((m) => m.to)).toEqual(['k.nowak@example.com']);
    expect((await redriven.describe()).searchAttributes).toMatchObject({ IntegrationStatus: ['completed'] });
  }, 120_000);
});

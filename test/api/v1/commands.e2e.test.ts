import { faultsSchema } from '../../../src/sandbox/core';
import { type Stack, startStack, uniqueId } from '../../helpers/stack';
import { apiClients, call } from './helpers';

// The invoice command on the dev server: answered in the request when fast, through operations when slow, and never
// invoiced twice for one key.
async function waitFor(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((r) => setTimeout(r, 20));
}

describe('POST /api/v1/orders/{orderId}/invoice', () => {
  let stack: Stack;
  const clients = apiClients([{ name: 'erp', scopes: ['orders:write'], ratePerSecond: 1000 }]);
  const key = clients.keys.erp!;
  const invoice = (orderId: string, idempotencyKey: string, body: unknown = order()) =>
    call(stack.apiUrl, `/api/v1/orders/${orderId}/invoice`, { key, idempotencyKey, body });
  const order = (total = 120.5) => ({ total, currency: 'PLN', customerEmail: 'ada@example.com' });
  const invoicesOf = (orderId: string) => stack.sandbox.data.accounting.invoices.filter((i) => i.order_id === orderId);

  beforeAll(async () => {
    stack = await startStack({ env: { API_CLIENTS: clients.env, API_SYNC_WAIT_MS: '4000' } });
  });
  afterAll(() => stack.stop());
  const faults = (f: object) => stack.sandbox.systems.accounting.setFaults(faultsSchema.parse(f));
  afterEach(() => faults({}));

  test('a fast command answers 201 with the invoice and email ids; a replay answers 200 with the same body', async () => {
    const orderId = uniqueId('ORD-');
    const idempotencyKey = uniqueId('k-');
    const first = await invoice(orderId, idempotencyKey);
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({
      status: 'succeeded',
      workflowId: `api:erp:${idempotencyKey}`,
      result: { orderId, invoiceId: expect.any(String), emailId: expect.any(String) },
    });
    // After the execution has closed, as while it runs: the same answer, from the execution's update history.
    await stack.client.workflow.getHandle(`api:erp:${idempotencyKey}`).result();
    const replay = await invoice(orderId, idempotencyKey);
    expect(replay.status).toBe(200);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.body).toEqual(first.body);
    expect(invoicesOf(orderId)).toHaveLength(1);

    const description = await stack.client.workflow.getHandle(`api:erp:${idempotencyKey}`).describe();
    expect(description.searchAttributes).toMatchObject({
      Source: ['api:erp'],
      BusinessKey: [orderId],
      EventType: ['InvoiceRequested'],
      IntegrationStatus: ['completed'],
    });
  });

  test('the same key with a different body is 422 idempotency_key_reused, running or finished', async () => {
    const orderId = uniqueId('ORD-');
    const idempotencyKey = uniqueId('k-');
    faults({ holdPaths: ['/invoices'] });
    const running = invoice(orderId, idempotencyKey);
    await waitFor(() => stack.sandbox.systems.accounting.heldCount > 0);
    const whileRunning = await invoice(orderId, idempotencyKey, order(99));
    expect(whileRunning.status).toBe(422);
    expect(whileRunning.body).toMatchObject({ error: 'idempotency_key_reused' });
    faults({});
    expect((await running).status).toBe(201);
    await stack.client.workflow.getHandle(`api:erp:${idempotencyKey}`).result();
    const afterwards = await invoice(orderId, idempotencyKey, order(99));
    expect(afterwards.status).toBe(422);
    expect(invoicesOf(orderId)).toHaveLength(1);
  });

  test('a slow accounting system: 202 with Location, then the operation succeeds', async () => {
    const orderId = uniqueId('ORD-');
    faults({ holdPaths: ['/invoices'] });
    const answer = await invoice(orderId, uniqueId('k-'));
    expect(answer.status).toBe(202);
    expect(answer.headers.get('retry-after')).toBe('1');
    const location = answer.headers.get('location')!;
    expect(location).toBe(answer.body.links.operation);
    expect((await call(stack.apiUrl, location, { key })).body).toMatchObject({ status: 'running' });
    faults({ holdPaths: [] });
    let operation;
    for (;;) {
      operation = await call(stack.apiUrl, location, { key });
      if (operation.body.status !== 'running') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(operation.status).toBe(200);
    expect(operation.body).toMatchObject({ status: 'succeeded', result: { orderId } });
  });

  test('20 concurrent requests with one key: one execution, one invoice, one email, the same result', async () => {
    const orderId = uniqueId('ORD-');
    const idempotencyKey = uniqueId('k-');
    const answers = await Promise.all(Array.from({ length: 20 }, () => invoice(orderId, idempotencyKey)));
    expect(answers.map((a) => a.status).sort((a, b) => a - b)).toEqual([...Array(19).fill(200), 201]);
    expect(new Set(answers.map((a) => JSON.stringify(a.body))).size).toBe(1);
    expect(invoicesOf(orderId)).toHaveLength(1);
    const emails = stack.sandbox.data['email-platform'].messages.filter(
      (m) => (m.data as { order_id: string }).order_id === orderId,
    );
    expect(emails).toHaveLength(1);
  });

  test('accounting down: 502 naming the system, an alert, a red execution; after recovery the same key succeeds', async () => {
    const orderId = uniqueId('ORD-');
    const idempotencyKey = uniqueId('k-');
    faults({ down: true });
    const failed = await invoice(orderId, idempotencyKey);
    expect(failed.status).toBe(502);
    expect(failed.body).toMatchObject({
      error: 'command_failed',
      failure: { system: 'accounting', retrySafe: true, retryMayHelp: true },
    });
    const workflowId = `api:erp:${idempotencyKey}`;
    expect(stack.sandbox.data.alerts.received.some((m) => JSON.stringify(m).includes(workflowId))).toBe(true);
    const description = await stack.client.workflow.getHandle(workflowId).describe();
    expect(description.status.name).toBe('FAILED');
    expect(description.searchAttributes).toMatchObject({ IntegrationStatus: ['failed'] });

    faults({ down: false });
    const retried = await invoice(orderId, idempotencyKey);
    expect(retried.status).toBe(201);
    expect(retried.body).toMatchObject({ status: 'succeeded', result: { orderId } });
    expect(invoicesOf(orderId)).toHaveLength(1);
  });
});

import { faultsSchema } from '../../../src/kit/stand-in';
import { orderPaidBody, post, signShop } from '../../helpers/signing';
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
  const invoice = (
    orderId: string,
    idempotencyKey: string,
    body: unknown = order(),
    headers?: Record<string, string>,
  ) => call(stack.apiUrl, `/api/v1/orders/${orderId}/invoice`, { key, idempotencyKey, body, headers });
  const order = (total = 120.5) => ({ total, currency: 'PLN', customerEmail: 'ada@example.com' });
  const invoicesOf = (orderId: string) => stack.sandbox.data.accounting.invoices.filter((i) => i.order_id === orderId);

  beforeAll(async () => {
    // A failed command answers 502 within the wait once its three attempts are done: about 1 s here, 4 s with the
    // dev server busy with other test files, so the wait is long: longer than a test's timeout, so a slow-command
    // test that waited for it would fail rather than pass slowly. The slow-command tests ask for less (Prefer: wait).
    stack = await startStack({ env: { API_CLIENTS: clients.env, API_SYNC_WAIT_MS: '90000' } });
  });
  afterAll(() => stack.stop());
  const faults = (f: object) => stack.sandbox.systems.accounting.setFaults(faultsSchema.parse(f));
  afterEach(() => faults({}));

  test('a fast command answers 201 with the invoice and email ids; a replay answers 200 with the same body', async () => {
    const orderId = uniqueId('ORD-');
    const idempotencyKey = uniqueId('k-');
    // A wait longer than API_SYNC_WAIT_MS is not applied: the command is waited for as long as the service waits.
    const first = await invoice(orderId, idempotencyKey, order(), { prefer: 'wait=100' });
    expect(first.status).toBe(201);
    expect(first.headers.get('preference-applied')).toBeNull();
    expect(first.body).toMatchObject({
      status: 'succeeded',
      workflowId: `${stack.config.temporal.taskQueuePrefix}api:erp:${idempotencyKey}`,
      result: { orderId, invoiceId: expect.any(String), emailId: expect.any(String) },
    });
    // After the execution has closed, as while it runs: the same answer, from the execution's update history.
    await stack.client.workflow.getHandle(`${stack.config.temporal.taskQueuePrefix}api:erp:${idempotencyKey}`).result();
    const replay = await invoice(orderId, idempotencyKey);
    expect(replay.status).toBe(200);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.body).toEqual(first.body);
    expect(invoicesOf(orderId)).toHaveLength(1);

    const description = await stack.client.workflow
      .getHandle(`${stack.config.temporal.taskQueuePrefix}api:erp:${idempotencyKey}`)
      .describe();
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
    await stack.client.workflow.getHandle(`${stack.config.temporal.taskQueuePrefix}api:erp:${idempotencyKey}`).result();
    const afterwards = await invoice(orderId, idempotencyKey, order(99));
    expect(afterwards.status).toBe(422);
    expect(invoicesOf(orderId)).toHaveLength(1);
  });

  test('a slow accounting system: 202 with Location after the Prefer: wait asked for, then the operation succeeds', async () => {
    const orderId = uniqueId('ORD-');
    faults({ holdPaths: ['/invoices'] });
    const answer = await invoice(orderId, uniqueId('k-'), order(), { prefer: 'respond-async, wait=2' });
    expect(answer.status).toBe(202);
    // The wait asked for, not API_SYNC_WAIT_MS (which is longer than this test's timeout).
    expect(answer.headers.get('preference-applied')).toBe('wait=2');
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
    const workflowId = `${stack.config.temporal.taskQueuePrefix}api:erp:${idempotencyKey}`;
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

  test('after a failed command, another body under the same key is 422 and starts nothing, for the same order or another', async () => {
    const orderId = uniqueId('ORD-');
    const idempotencyKey = uniqueId('k-');
    faults({ down: true });
    const failed = await invoice(orderId, idempotencyKey);
    expect(failed.status).toBe(502);
    faults({ down: false });
    const handle = stack.client.workflow.getHandle(Buffer.from(failed.body.operationId, 'base64url').toString());
    const failedRun = (await handle.describe()).runId;

    const otherTotal = await invoice(orderId, idempotencyKey, order(99));
    expect(otherTotal.status).toBe(422);
    expect(otherTotal.body).toMatchObject({ error: 'idempotency_key_reused' });
    const otherOrderId = uniqueId('ORD-');
    const otherOrder = await invoice(otherOrderId, idempotencyKey);
    expect(otherOrder.status).toBe(422);
    expect(otherOrder.body).toMatchObject({ error: 'idempotency_key_reused' });

    const latest = await handle.describe();
    expect(latest.runId).toBe(failedRun);
    expect(latest.status.name).toBe('FAILED');
    expect(invoicesOf(orderId)).toHaveLength(0);
    expect(invoicesOf(otherOrderId)).toHaveLength(0);
    // The body that failed may still run the key again (the documented retry), and then it is that body's key.
    expect((await invoice(orderId, idempotencyKey)).status).toBe(201);
    expect((await invoice(orderId, idempotencyKey, order(99))).status).toBe(422);
    expect(invoicesOf(orderId)).toHaveLength(1);
  });

  test('an Idempotency-Key of 255 characters, the longest documented, answers 201 under an id of at most 255 bytes', async () => {
    const orderId = uniqueId('ORD-');
    const head = uniqueId('k-');
    const idempotencyKey = `${head}-${'x'.repeat(255 - head.length - 1)}`;
    expect(idempotencyKey).toHaveLength(255);
    const first = await invoice(orderId, idempotencyKey);
    expect(first.status).toBe(201);
    const workflowId: string = first.body.workflowId;
    expect(Buffer.byteLength(workflowId, 'utf8')).toBeLessThanOrEqual(255);
    expect(workflowId.startsWith(`${stack.config.temporal.taskQueuePrefix}api:erp:${head}-x`)).toBe(true);
    // The same key is the same execution: replayed, not run again; its operation is the caller's.
    const replay = await invoice(orderId, idempotencyKey);
    expect(replay.status).toBe(200);
    expect(replay.body).toEqual(first.body);
    const operation = await call(stack.apiUrl, first.body.links.operation, { key });
    expect(operation.body).toMatchObject({ status: 'succeeded', result: { orderId } });
    // An operation id no command can have (its id is over the limit, so never compacted) is unknown, not an error.
    const tooLong = Buffer.from(`${stack.config.temporal.taskQueuePrefix}api:erp:${'z'.repeat(300)}`).toString(
      'base64url',
    );
    expect((await call(stack.apiUrl, `/api/v1/operations/${tooLong}`, { key })).status).toBe(404);
    // A key that differs only in its last character is another execution.
    const other = await invoice(uniqueId('ORD-'), `${idempotencyKey.slice(0, -1)}y`);
    expect(other.status).toBe(201);
    expect(other.body.workflowId).not.toBe(workflowId);
    expect(invoicesOf(orderId)).toHaveLength(1);
  });

  describe('when the order already has an invoice', () => {
    const emailsOf = (orderId: string) =>
      stack.sandbox.data['email-platform'].messages.filter(
        (m) => (m.data as { order_id: string }).order_id === orderId,
      );
    const alertsOf = (orderId: string) =>
      stack.sandbox.data.alerts.received.filter((a) => a.payload.business_key === orderId).map((a) => a.payload);
    const orderPaid = async (orderId: string) => {
      const eventId = uniqueId('evt_');
      const secret = stack.config.sources.shop.secrets[0]!;
      const delivered = await post(
        `${stack.apiUrl}/webhooks/shop`,
        signShop(secret, eventId, orderPaidBody(eventId, orderId)),
      );
      expect(delivered.status).toBe(202);
      return stack.client.workflow.getHandle(`${stack.config.temporal.taskQueuePrefix}shop:${eventId}`);
    };

    test('another total and recipient under a new key: 409 naming total and customerEmail, no customer value, nothing changed', async () => {
      const orderId = uniqueId('ORD-');
      const first = await invoice(orderId, uniqueId('k-'));
      expect(first.status).toBe(201);

      const otherKey = uniqueId('k-');
      const otherBody = { total: 99, currency: 'PLN', customerEmail: 'eve@example.com' };
      const other = await invoice(orderId, otherKey, otherBody);
      expect(other.status).toBe(409);
      expect(other.body).toMatchObject({ error: 'invoice_conflict', fields: ['total', 'customerEmail'] });
      expect(other.body.message).toMatch(/total, customerEmail/);
      expect(JSON.stringify(other.body)).not.toMatch(/eve@example\.com|ada@example\.com/);
      expect(invoicesOf(orderId)).toEqual([
        expect.objectContaining({ id: first.body.result.invoiceId, total: 120.5, customer_email: 'ada@example.com' }),
      ]);
      expect(emailsOf(orderId).map((m) => m.to)).toEqual(['ada@example.com']);
      // As any failed command: a red run and an alert, which name the fields too.
      const description = await stack.client.workflow
        .getHandle(`${stack.config.temporal.taskQueuePrefix}api:erp:${otherKey}`)
        .describe();
      expect(description.searchAttributes).toMatchObject({ IntegrationStatus: ['failed'] });
      expect(alertsOf(orderId)).toEqual([
        expect.objectContaining({ kind: 'failed', error: expect.stringMatching(/another total, customerEmail than/) }),
      ]);
      // The operation says so, and a retry with the same key runs again and meets the same invoice.
      const operation = await call(stack.apiUrl, other.body.links.operation, { key });
      expect(operation.body).toMatchObject({
        status: 'failed',
        failure: { conflictingFields: ['total', 'customerEmail'], retryMayHelp: false },
      });
      expect((await invoice(orderId, otherKey, otherBody)).status).toBe(409);
      expect(invoicesOf(orderId)).toHaveLength(1);
    });

    test('another currency is a conflict too; the matching request under a new key adopts the invoice and its email', async () => {
      const orderId = uniqueId('ORD-');
      const first = await invoice(orderId, uniqueId('k-'));
      const euro = await invoice(orderId, uniqueId('k-'), { ...order(), currency: 'EUR' });
      expect(euro.status).toBe(409);
      expect(euro.body).toMatchObject({ error: 'invoice_conflict', fields: ['currency'] });

      // The same invoice as the caller writes it: the address in other case, the total to the grosz.
      const idempotencyKey = uniqueId('k-');
      const same = await invoice(orderId, idempotencyKey, { ...order(120.5), customerEmail: 'Ada@Example.com' });
      expect(same.status).toBe(201);
      expect(same.body).toMatchObject({ status: 'succeeded', result: first.body.result });
      const replay = await invoice(orderId, idempotencyKey, { ...order(120.5), customerEmail: 'Ada@Example.com' });
      expect(replay.status).toBe(200);
      expect(invoicesOf(orderId)).toHaveLength(1);
      expect(emailsOf(orderId)).toHaveLength(1);
    });

    test('invoiced by the signed order.paid first, a command with another total is 409 and the invoice stays', async () => {
      const orderId = uniqueId('ORD-');
      const flow = await orderPaid(orderId);
      await flow.result();
      const other = await invoice(orderId, uniqueId('k-'), {
        total: 1.99,
        currency: 'PLN',
        customerEmail: 'k.nowak@example.com',
      });
      expect(other.status).toBe(409);
      expect(other.body).toMatchObject({ error: 'invoice_conflict', fields: ['total'] });
      expect(invoicesOf(orderId)).toEqual([expect.objectContaining({ total: 1499 })]);
    });

    test('invoiced by a command first with its own total and recipient, the signed order.paid ends needs-review with an alert', async () => {
      const orderId = uniqueId('ORD-');
      const first = await invoice(orderId, uniqueId('k-'), {
        total: 1,
        currency: 'PLN',
        customerEmail: 'eve@example.com',
      });
      expect(first.status).toBe(201);

      const flow = await orderPaid(orderId);
      const result = await flow.result();
      expect(result).toMatchObject({
        orderId,
        invoiceId: first.body.result.invoiceId,
        outcome: 'needs-review',
        conflictingFields: ['total', 'customerEmail'],
      });
      const description = await flow.describe();
      expect(description.status.name).toBe('COMPLETED');
      expect(description.searchAttributes).toMatchObject({ IntegrationStatus: ['needs-review'] });
      const alerts = alertsOf(orderId).filter((a) => a.workflow_id === flow.workflowId);
      expect(alerts).toEqual([
        expect.objectContaining({ kind: 'needs-review', error: expect.stringMatching(/total, customerEmail/) }),
      ]);
      // The genuine customer's values changed nothing, and nobody else was emailed.
      expect(invoicesOf(orderId)).toHaveLength(1);
      expect(emailsOf(orderId).map((m) => m.to)).toEqual(['eve@example.com']);
    });
  });
});

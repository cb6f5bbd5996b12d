import { activityEnvironment } from '../../helpers/activity-environment';
import { ApplicationFailure } from '@temporalio/common';
import { DefaultLogger, type LogEntry } from '@temporalio/worker';
import fc from 'fast-check';
import {
  type CreatedInvoice,
  createAccountingActivities,
  type Invoice,
} from '../../../src/systems/accounting/activities';
import { createAlertActivities } from '../../../src/systems/alerts/activities';
import { createEmailPlatformActivities, type EmailMessage } from '../../../src/systems/email-platform/activities';
import { createDownstreamClient } from '../../../src/kit/http/index';
import { idempotencyKey } from '../../../src/kit/keys';
import { FailureType } from '../../../src/contracts/failures';
import { loadConfig } from '../../../src/config/index';
import { createSandbox, sandboxKeys } from '../../../src/sandbox/server';
import { closeServer, uniqueId } from '../../helpers/stack';

// The order activities against the sandbox's accounting and email APIs, in MockActivityEnvironment.
describe('invoice activities against the sandbox', () => {
  const config = loadConfig({ NODE_ENV: 'test' });
  const keys = config.systems;
  const sandbox = createSandbox(sandboxKeys(config));
  let url: string;
  let close: () => Promise<void>;
  let activities: ReturnType<typeof createAccountingActivities> &
    ReturnType<typeof createEmailPlatformActivities> &
    ReturnType<typeof createAlertActivities>;

  beforeAll(async () => {
    const started = await sandbox.listen(0);
    url = started.url;
    close = () => closeServer(started.server);
    // The shipped DOWNSTREAM_TIMEOUT_MS: on a loaded CI machine a 2 s timeout failed the 150-run property with a
    // retryable timeout that a worker would simply have retried. No test here is about timeouts.
    const opts = { timeoutMs: 10_000 };
    const links = { temporalUiUrl: 'http://localhost:8233', namespace: 'default' };
    const client = (name: string, baseUrl: string, apiKey?: string) =>
      createDownstreamClient({ name, baseUrl, apiKey }, opts);
    activities = {
      ...createAccountingActivities({
        client: client('accounting', `${url}/accounting`, keys.accounting.apiKey),
        ...links,
      }),
      ...createEmailPlatformActivities({
        client: client('email-platform', `${url}/email-platform`, keys['email-platform'].apiKey),
        ...links,
      }),
      ...createAlertActivities({
        client: client('alerts', `${url}/alerts/${sandboxKeys(config).alerts}`),
        ...links,
      }),
    };
  });
  afterAll(() => close());

  const input = (orderId: string) => ({ orderId, total: 1499, currency: 'PLN', customerEmail: 'k.nowak@example.com' });

  test('createInvoice run twice (a retried activity) creates one invoice and returns it both times', async () => {
    const env = activityEnvironment();
    const orderId = uniqueId('ORD-');
    const first = (await env.run(activities.createInvoice, input(orderId))) as CreatedInvoice;
    const second = (await env.run(activities.createInvoice, input(orderId))) as CreatedInvoice;
    // The second call is answered from accounting's idempotency store: the same invoice, marked as existing before.
    expect(second).toEqual({ ...first, existedBefore: true });
    expect(first.existedBefore).toBe(false);
    expect(sandbox.data.accounting.invoices.filter((i) => i.order_id === orderId)).toHaveLength(1);
    const keysSent = sandbox.systems.accounting.log.filter((r) => r.method === 'POST').map((r) => r.idempotencyKey);
    expect(keysSent).toContain(`invoice:${orderId}`);
  });

  test('when the order was invoiced under another key, accounting answers 409 and the existing invoice is returned', async () => {
    const orderId = uniqueId('ORD-');
    const res = await fetch(`${url}/accounting/invoices`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${keys.accounting.apiKey}`,
        'content-type': 'application/json',
        'idempotency-key': 'made-by-hand-1',
      },
      body: JSON.stringify({ order_id: orderId, total: 1499, currency: 'PLN', customer_email: 'k.nowak@example.com' }),
    });
    const manual = (await res.json()) as { id: string };
    const invoice = (await activityEnvironment().run(activities.createInvoice, input(orderId))) as Invoice;
    expect(invoice.id).toBe(manual.id);
    expect(sandbox.data.accounting.invoices.filter((i) => i.order_id === orderId)).toHaveLength(1);
  });

  test('when the order was invoiced by hand with another recipient, the 409 is an InvoiceConflict naming customerEmail', async () => {
    const orderId = uniqueId('ORD-');
    const res = await fetch(`${url}/accounting/invoices`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${keys.accounting.apiKey}`,
        'content-type': 'application/json',
        'idempotency-key': uniqueId('made-by-hand-'),
      },
      body: JSON.stringify({ order_id: orderId, total: 1499, currency: 'PLN', customer_email: 'eve@example.com' }),
    });
    const manual = (await res.json()) as { id: string };
    const failure = await activityEnvironment()
      .run(activities.createInvoice, input(orderId))
      .catch((e: unknown) => e);
    expect(failure).toMatchObject({
      type: 'InvoiceConflict',
      details: [{ invoiceId: manual.id, fields: ['customerEmail'] }],
    });
    const posts = sandbox.systems.accounting.log.filter(
      (r) => r.method === 'POST' && r.idempotencyKey === `invoice:${orderId}`,
    );
    expect(posts.map((r) => r.status)).toEqual([409]);
  });

  test('when invoice:<order> meets a different body (a re-run after the email normalisation), the existing invoice is returned with a warning naming the difference', async () => {
    const orderId = uniqueId('ORD-');
    const created = (await activityEnvironment().run(activities.createInvoice, {
      ...input(orderId),
      customerEmail: 'K.Nowak@Example.COM',
    })) as Invoice;
    const logged: LogEntry[] = [];
    const env = activityEnvironment({}, { logger: new DefaultLogger('WARN', (e) => logged.push(e)) });

    const again = (await env.run(activities.createInvoice, input(orderId))) as Invoice;
    expect(again.id).toBe(created.id);
    expect(again.customer_email).toBe('K.Nowak@Example.COM');
    expect(sandbox.data.accounting.invoices.filter((i) => i.order_id === orderId)).toHaveLength(1);
    // One create under the same key (answered 422), never a second create under another.
    const posts = sandbox.systems.accounting.log.filter((r) => r.method === 'POST' && r.path === '/invoices');
    expect(posts.filter((r) => r.idempotencyKey === `invoice:${orderId}`).map((r) => r.status)).toEqual([201, 422]);
    expect(logged).toEqual([
      expect.objectContaining({
        level: 'WARN',
        message: expect.stringMatching(/invoice:.* was already used with another body/),
        meta: expect.objectContaining({
          idempotencyKey: `invoice:${orderId}`,
          existingId: created.id,
          differences: { customer_email: { sent: 'k.nowak@example.com', existing: 'K.Nowak@Example.COM' } },
        }),
      }),
    ]);
  });

  test('sendInvoiceEmail is idempotent by order: a retry sends no second email', async () => {
    const orderId = uniqueId('ORD-');
    const msg = { orderId, invoiceId: 'inv_x', to: 'k.nowak@example.com', total: 1499, currency: 'PLN' };
    const env = activityEnvironment();
    const a = (await env.run(activities.sendInvoiceEmail, msg)) as EmailMessage;
    const b = (await env.run(activities.sendInvoiceEmail, msg)) as EmailMessage;
    expect(b.id).toBe(a.id);
    expect(
      sandbox.data['email-platform'].messages.filter((m) => (m.data as { order_id: string }).order_id === orderId),
    ).toHaveLength(1);
  });

  test('an earlier invoice email to another recipient or for another invoice is not this one: it is sent, once', async () => {
    const orderId = uniqueId('ORD-');
    const env = activityEnvironment();
    const msg = { orderId, invoiceId: 'inv_x', to: 'k.nowak@example.com', total: 1499, currency: 'PLN' };
    const earlier = (await env.run(activities.sendInvoiceEmail, { ...msg, to: 'eve@example.com' })) as EmailMessage;

    const toCustomer = (await env.run(activities.sendInvoiceEmail, msg)) as EmailMessage;
    expect(toCustomer.id).not.toBe(earlier.id);
    expect(toCustomer.to).toBe('k.nowak@example.com');
    const forNewInvoice = (await env.run(activities.sendInvoiceEmail, { ...msg, invoiceId: 'inv_y' })) as EmailMessage;
    expect(forNewInvoice.id).not.toBe(toCustomer.id);
    // Retried (the platform's log now holds each): the same messages, nothing sent a fourth time.
    expect(((await env.run(activities.sendInvoiceEmail, msg)) as EmailMessage).id).toBe(toCustomer.id);
    const again = (await env.run(activities.sendInvoiceEmail, { ...msg, invoiceId: 'inv_y' })) as EmailMessage;
    expect(again.id).toBe(forNewInvoice.id);
    const sent = sandbox.data['email-platform'].messages.filter(
      (m) => (m.data as { order_id: string }).order_id === orderId,
    );
    expect(sent.map((m) => [m.to, (m.data as { invoice_id: string }).invoice_id])).toEqual([
      ['eve@example.com', 'inv_x'],
      ['k.nowak@example.com', 'inv_x'],
      ['k.nowak@example.com', 'inv_y'],
    ]);
  });

  test('createInvoice for an order invoiced with another total, currency or recipient fails InvoiceConflict naming the fields, changing nothing', async () => {
    const orderId = uniqueId('ORD-');
    const created = (await activityEnvironment().run(activities.createInvoice, input(orderId))) as Invoice;
    const other = { ...input(orderId), total: 1499.01, currency: 'EUR', customerEmail: 'eve@example.com' };
    const failure = await activityEnvironment()
      .run(activities.createInvoice, other)
      .catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({
      type: 'InvoiceConflict',
      nonRetryable: true,
      details: [
        { system: 'accounting', orderId, invoiceId: created.id, fields: ['total', 'currency', 'customerEmail'] },
      ],
    });
    expect((failure as Error).message).not.toMatch(/eve@example|k\.nowak/);
    // The same invoice in other words (a total within the currency's minor unit, the address in other case) is it.
    const same = { ...input(orderId), total: 1499.001, customerEmail: 'K.Nowak@Example.com' };
    expect(((await activityEnvironment().run(activities.createInvoice, same)) as Invoice).id).toBe(created.id);
    expect(sandbox.data.accounting.invoices.filter((i) => i.order_id === orderId)).toEqual([
      expect.objectContaining({ total: 1499, currency: 'PLN', customer_email: 'k.nowak@example.com' }),
    ]);
  });

  test('a wrong API key is a non-retryable failure that says which system refused', async () => {
    const bad = createAccountingActivities({
      client: createDownstreamClient(
        { name: 'accounting', baseUrl: `${url}/accounting`, apiKey: 'wrong-key-123' },
        { timeoutMs: 2000 },
      ),
      temporalUiUrl: 'http://localhost:8233',
      namespace: 'default',
    });
    const err = (await activityEnvironment()
      .run(bad.createInvoice, input(uniqueId('ORD-')))
      .then(
        () => undefined,
        (e: unknown) => e,
      )) as ApplicationFailure;
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err.nonRetryable).toBe(true);
    expect(err.message).toMatch(/accounting POST \/accounting\/invoices answered 401/);
  });

  test('an order id outside Latin-1 (№1001) is invoiced and emailed under a header-safe key', async () => {
    const env = activityEnvironment();
    const orderId = `№${uniqueId('')}`;
    const invoice = (await env.run(activities.createInvoice, input(orderId))) as Invoice;
    expect(invoice.order_id).toBe(orderId);
    const message = (await env.run(activities.sendInvoiceEmail, {
      orderId,
      invoiceId: invoice.id,
      to: 'k.nowak@example.com',
      total: 1499,
      currency: 'PLN',
    })) as EmailMessage;
    expect(message.subject).toContain(orderId);
    const sent = sandbox.systems.accounting.log.filter((r) => r.method === 'POST').map((r) => r.idempotencyKey);
    expect(sent).toContain(`invoice:%E2%84%96${orderId.slice(1)}`);
  });

  test('property: any Unicode order id is invoiced and emailed once, under a key stable per id and distinct across ids', async () => {
    const env = activityEnvironment();
    const keyOf = new Map<string, string>();
    const orderIds = fc.oneof(
      fc.string({ unit: 'binary', minLength: 1, maxLength: 64 }),
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }),
      fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 128 }),
    );
    await fc.assert(
      fc.asyncProperty(orderIds, async (orderId) => {
        const first = (await env.run(activities.createInvoice, input(orderId))) as Invoice;
        const again = (await env.run(activities.createInvoice, input(orderId))) as Invoice;
        expect(again.id).toBe(first.id);
        expect(sandbox.data.accounting.invoices.filter((i) => i.order_id === orderId)).toHaveLength(1);
        const email = { orderId, invoiceId: first.id, to: 'k.nowak@example.com', total: 1499, currency: 'PLN' };
        const a = (await env.run(activities.sendInvoiceEmail, email)) as EmailMessage;
        const b = (await env.run(activities.sendInvoiceEmail, email)) as EmailMessage;
        expect(b.id).toBe(a.id);
        const key = sandbox.systems.accounting.log.at(-1)?.idempotencyKey;
        expect(key).toBe(idempotencyKey('invoice', orderId));
        keyOf.set(orderId, key!);
      }),
      { numRuns: 150 },
    );
    expect(new Set(keyOf.values()).size).toBe(keyOf.size);
  });

  test('a key fetch refuses as a header value fails at once as a non-retryable ProgrammingError, sending nothing', async () => {
    const client = createDownstreamClient(
      { name: 'accounting', baseUrl: `${url}/accounting`, apiKey: keys.accounting.apiKey },
      { timeoutMs: 2000 },
    );
    const before = sandbox.systems.accounting.log.length;
    const err = (await activityEnvironment()
      .run(() => client.request('POST', '/invoices', { idempotencyKey: 'invoice:ORD\n1', body: {} }))
      .then(
        () => undefined,
        (e: unknown) => e,
      )) as ApplicationFailure;
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect({ type: err.type, nonRetryable: err.nonRetryable }).toEqual({
      type: FailureType.programming,
      nonRetryable: true,
    });
    expect(err.message).toMatch(/accounting POST \/accounting\/invoices/);
    expect(err.message).toMatch(/invalid header value/);
    expect(sandbox.systems.accounting.log.length).toBe(before);
  });

  test('sendAlert posts a Slack-compatible message with a link to the execution, once per run', async () => {
    const alert = {
      kind: 'failed' as const,
      workflowId: `shop:${uniqueId('evt_')}`,
      runId: 'run-1',
      workflowType: 'orderPaid',
      source: 'shop',
      event: 'OrderPaid',
      businessKey: 'ORD-1',
      error: 'accounting answered 422',
    };
    const env = activityEnvironment();
    await env.run(activities.sendAlert, alert);
    await env.run(activities.sendAlert, alert);
    const received = sandbox.data.alerts.received.filter((a) => a.payload.workflow_id === alert.workflowId);
    expect(received).toHaveLength(1);
    expect(received[0]!.payload).toMatchObject({
      text: expect.stringContaining('orderPaid failed for ORD-1'),
      link: `http://localhost:8233/namespaces/default/workflows/${encodeURIComponent(alert.workflowId)}/run-1/history`,
      business_key: 'ORD-1',
    });
  });
});

import { WorkflowNotFoundError } from '@temporalio/client';
import { queueFor } from '../../../src/contracts/task-queues';
import { webhookWorkflowId } from '../../../src/contracts/workflow-ids';
import type { PaymentSucceededResult } from '../../../src/flows/payment-succeeded/workflow';
import type { ReconcilePaymentsInput, ReconcilePaymentsResult } from '../../../src/flows/reconcile-payments/workflow';
import type { SandboxInvoice } from '../../../src/systems/accounting/stand-in';
import { putStripePayment, recordStripeEvent } from '../../../src/systems/stripe/stand-in';
import { post } from '../../helpers/signing';
import { type Stack, startStack, uniqueId } from '../../helpers/stack';
import { signStripe, stripePaymentBody } from '../../sources/senders';

// reconcilePayments on the dev server, against the sandbox's Stripe and accounting: a payment whose webhook never
// arrived is recorded by the next run; one that arrived through the webhook and is listed too is recorded once.

describe('reconcilePayments', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      env: { STRIPE_RATE_LIMIT_PER_SECOND: '1000', ACCOUNTING_RATE_LIMIT_PER_SECOND: '1000' },
    });
  });
  afterAll(() => stack.stop());

  const prefix = () => stack.config.temporal.taskQueuePrefix;
  const run = (input: ReconcilePaymentsInput): Promise<ReconcilePaymentsResult> =>
    stack.client.workflow.execute('reconcilePayments', {
      workflowId: uniqueId('reconcile-payments-'),
      taskQueue: queueFor(prefix(), 'orchestration'),
      args: [{ idPrefix: prefix(), ...input }],
    });

  /** An open invoice of `total` PLN for a new order. */
  function invoicedOrder(total: number): { orderId: string; invoice: SandboxInvoice } {
    const orderId = uniqueId('ORD-');
    const invoice: SandboxInvoice = {
      id: uniqueId('inv_'),
      order_id: orderId,
      total,
      currency: 'PLN',
      customer_email: 'k.nowak@example.com',
      status: 'open',
      payments: [],
      created_at: new Date().toISOString(),
    };
    stack.sandbox.data.accounting.invoices.push(invoice);
    return { orderId, invoice };
  }

  const paymentOf = (eventId: string) =>
    stack.client.workflow.getHandle<() => Promise<PaymentSucceededResult>>(
      webhookWorkflowId(prefix(), 'stripe', eventId),
    );

  test('a payment whose webhook never arrived is recorded by the next run; one younger than the grace period is left to its webhook', async () => {
    const now = Math.floor(Date.now() / 1000);
    const missed = invoicedOrder(25);
    const young = invoicedOrder(30);
    const missedEvent = putStripePayment(stack.sandbox.data.stripe, {
      orderId: missed.orderId,
      amount: 2500,
      currency: 'pln',
      created: now - 20 * 60,
      eventId: uniqueId('evt_missed_').replace(/-/g, '_'),
    });
    const youngEvent = putStripePayment(stack.sandbox.data.stripe, {
      orderId: young.orderId,
      amount: 3000,
      currency: 'pln',
      created: now - 60,
      eventId: uniqueId('evt_young_').replace(/-/g, '_'),
    });

    // The window as a scheduled run derives it: the last hour, less 15 minutes' grace.
    const result = await run({ lookbackMinutes: 60, graceMinutes: 15, pageSize: 2 });

    expect(result.started).toContain(missedEvent.id);
    expect(result.started).not.toContain(youngEvent.id);
    expect(result.failed).toEqual([]);
    const recorded = await paymentOf(missedEvent.id).result();
    expect(recorded).toMatchObject({ orderId: missed.orderId, paymentId: missedEvent.data.object.id, outcome: 'paid' });
    expect(missed.invoice.payments).toEqual([{ payment_id: missedEvent.data.object.id, amount: 25, currency: 'PLN' }]);
    // Verified by fetching: the run read the PaymentIntent from Stripe before recording it.
    const reads = stack.sandbox.systems.stripe!.log.filter(
      (r) => r.path === `/v1/payment_intents/${missedEvent.data.object.id}`,
    );
    expect(reads.map((r) => r.status)).toEqual([200]);

    await expect(paymentOf(youngEvent.id).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
    expect(young.invoice.payments).toEqual([]);

    // The next run finds the missed payment handled.
    const again = await run({ lookbackMinutes: 60, graceMinutes: 15 });
    expect(again.alreadyHandled).toContain(missedEvent.id);
    expect(again.started).not.toContain(missedEvent.id);
    expect(missed.invoice.payments).toHaveLength(1);
  });

  test('a payment that arrived through the webhook and is listed by reconciliation is recorded once: one execution, one payment', async () => {
    const { orderId, invoice } = invoicedOrder(14.99);
    const eventId = uniqueId('evt_both_').replace(/-/g, '_');
    const body = stripePaymentBody(eventId, orderId, { amount: 1499, currency: 'pln' });
    // Stripe holds the event its webhook delivers.
    recordStripeEvent(stack.sandbox.data.stripe, body);
    const res = await post(
      `${stack.apiUrl}/webhooks/stripe`,
      signStripe(stack.config.sources.stripe.secrets[0]!, body),
    );
    expect(res.status).toBe(202);
    const handle = paymentOf(eventId);
    expect(await handle.result()).toMatchObject({ orderId, outcome: 'paid' });
    const { runId } = await handle.describe();

    const now = Date.now();
    const result = await run({
      window: { since: new Date(now - 3_600_000).toISOString(), until: new Date(now + 60_000).toISOString() },
    });

    expect(result.alreadyHandled).toContain(eventId);
    expect(result.started).not.toContain(eventId);
    expect((await handle.describe()).runId).toBe(runId);
    const executions = [];
    for await (const e of stack.client.workflow.list({ query: `WorkflowId = '${handle.workflowId}'` }))
      executions.push(e);
    expect(executions.map((e) => e.runId)).toEqual([runId]);
    expect(invoice.payments).toHaveLength(1);
  });

  test('reconciliation first, then the webhook: the delivery meets the execution reconciliation started', async () => {
    const { orderId, invoice } = invoicedOrder(14.99);
    const eventId = uniqueId('evt_late_').replace(/-/g, '_');
    const body = stripePaymentBody(eventId, orderId, { amount: 1499, currency: 'pln' });
    recordStripeEvent(stack.sandbox.data.stripe, body);
    const now = Date.now();
    const result = await run({
      window: { since: new Date(now - 3_600_000).toISOString(), until: new Date(now + 60_000).toISOString() },
    });
    expect(result.started).toContain(eventId);
    const handle = paymentOf(eventId);
    expect(await handle.result()).toMatchObject({ orderId, outcome: 'paid' });
    const { runId } = await handle.describe();

    const res = await post(
      `${stack.apiUrl}/webhooks/stripe`,
      signStripe(stack.config.sources.stripe.secrets[0]!, body),
    );
    expect(res.status).toBeLessThan(300);
    expect((await handle.describe()).runId).toBe(runId);
    expect(invoice.payments).toHaveLength(1);
  });

  test('a window of many pages is read across continueAsNew with Stripe’s cursor: every payment started once', async () => {
    // A window in the past of its own, so only this test's events are in it.
    const base = 1_700_000_000 + Math.floor(Math.random() * 1_000_000);
    const orders = Array.from({ length: 5 }, () => invoicedOrder(10));
    const events = orders.map(({ orderId }, i) =>
      putStripePayment(stack.sandbox.data.stripe, { orderId, amount: 1000, currency: 'pln', created: base + i }),
    );
    const window = { since: new Date(base * 1000).toISOString(), until: new Date((base + 10) * 1000).toISOString() };

    const workflowId = uniqueId('reconcile-payments-');
    const result: ReconcilePaymentsResult = await stack.client.workflow.execute('reconcilePayments', {
      workflowId,
      taskQueue: queueFor(prefix(), 'orchestration'),
      args: [{ idPrefix: prefix(), window, pageSize: 2, historyLimit: 1 }],
    });
    // Three pages, a run each.
    let runs: string[] = [];
    for (let i = 0; i < 50 && runs.length < 3; i += 1) {
      runs = [];
      for await (const e of stack.client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) runs.push(e.runId);
      if (runs.length < 3) await new Promise((r) => setTimeout(r, 100));
    }
    expect(runs).toHaveLength(3);

    expect(result.checked).toBe(5);
    expect([...result.started].sort()).toEqual(events.map((e) => e.id).sort());
    await Promise.all(events.map((e) => paymentOf(e.id).result()));
    for (const { invoice } of orders) expect(invoice.payments).toHaveLength(1);
  });
});

import { loadConfig } from '../../../src/config/index';
import { queueFor } from '../../../src/contracts/task-queues';
import { startPlan } from '../../../src/api/webhooks/start';
import type { PaymentSucceeded } from '../../../src/domain/events';
import type { PaymentSucceededResult } from '../../../src/flows/payment-succeeded/workflow';
import type { SandboxInvoice } from '../../../src/systems/accounting/stand-in';
import { putStripePayment } from '../../../src/systems/stripe/stand-in';
import { type Stack, startStack, uniqueId } from '../../helpers/stack';

// paymentSucceeded verifying by fetching (patched payment-verify-by-fetch): the PaymentIntent is read from Stripe
// before recording, and recorded as Stripe reports it; a report that differs from the event is for a person.

describe('paymentSucceeded verifies the payment with Stripe', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack.stop());

  function invoicedOrder(): { orderId: string; invoice: SandboxInvoice } {
    const orderId = uniqueId('ORD-');
    const invoice: SandboxInvoice = {
      id: uniqueId('inv_'),
      order_id: orderId,
      total: 1499,
      currency: 'PLN',
      customer_email: 'k.nowak@example.com',
      status: 'open',
      payments: [],
      created_at: new Date().toISOString(),
    };
    stack.sandbox.data.accounting.invoices.push(invoice);
    return { orderId, invoice };
  }

  async function pay(orderId: string, intentId: string): Promise<PaymentSucceededResult> {
    const event: PaymentSucceeded = {
      type: 'PaymentSucceeded',
      source: 'stripe',
      eventId: uniqueId('evt_'),
      occurredAt: new Date().toISOString(),
      payment: { id: intentId, orderId, amount: 1499, currency: 'PLN' },
    };
    return stack.client.workflow.execute('paymentSucceeded', {
      workflowId: uniqueId('verify-'),
      taskQueue: queueFor(stack.config.temporal.taskQueuePrefix, 'orchestration'),
      args: [event, { verifyByFetch: true }],
    });
  }

  test('Stripe reports what the event said: recorded, after one read of the PaymentIntent', async () => {
    const { orderId, invoice } = invoicedOrder();
    const intent = putStripePayment(stack.sandbox.data.stripe, { orderId, amount: 149900, currency: 'pln' }).data
      .object;
    const result = await pay(orderId, intent.id);
    expect(result).toMatchObject({ orderId, outcome: 'paid', invoiceStatus: 'paid' });
    expect(invoice.payments).toEqual([{ payment_id: intent.id, amount: 1499, currency: 'PLN' }]);
    expect(stack.sandbox.systems.stripe!.log.filter((r) => r.path === `/v1/payment_intents/${intent.id}`)).toHaveLength(
      1,
    );
  });

  test('Stripe reports another amount, or a status other than succeeded: nothing recorded, needs-review, alerted', async () => {
    const { orderId, invoice } = invoicedOrder();
    const stripe = stack.sandbox.data.stripe;
    const other = putStripePayment(stripe, { orderId, amount: 100, currency: 'pln' }).data.object;
    const refunded = putStripePayment(stripe, { orderId, amount: 149900, currency: 'pln' }).data.object;
    stripe.paymentIntents.find((p) => p.id === refunded.id)!.status = 'requires_payment_method';

    const amountOff = await pay(orderId, other.id);
    expect(amountOff).toMatchObject({ outcome: 'needs-review' });
    expect(amountOff.problems).toEqual([expect.stringMatching(/1499 PLN .*1 PLN received/)]);
    const statusOff = await pay(orderId, refunded.id);
    expect(statusOff.problems).toEqual([expect.stringMatching(/as requires_payment_method, not succeeded/)]);

    expect(invoice.payments).toEqual([]);
    const alerts = stack.sandbox.data.alerts.received.filter((a) => a.payload.business_key === orderId);
    expect(alerts.map((a) => a.payload.kind)).toEqual(['needs-review', 'needs-review']);
  });

  test('the ingress asks for it in production only', () => {
    const event: PaymentSucceeded = {
      type: 'PaymentSucceeded',
      source: 'stripe',
      eventId: 'evt_1',
      occurredAt: new Date().toISOString(),
      payment: { id: 'pi_1', orderId: 'ORD-1', amount: 1, currency: 'PLN' },
    };
    const config = loadConfig({ NODE_ENV: 'test' });
    const delivery = { eventId: 'evt_1', event, drift: false };
    expect(startPlan(config, 'stripe', delivery).request.args).toEqual([event, { verifyByFetch: false }]);
    expect(startPlan({ ...config, production: true }, 'stripe', delivery).request.args).toEqual([
      event,
      { verifyByFetch: true },
    ]);
  });
});

import { replayHistories } from '../../../src/ops/replay';
import type { SandboxInvoice } from '../../../src/systems/accounting/stand-in';
import type { PaymentSucceededResult } from '../../../src/flows/payment-succeeded/workflow';
import { post } from '../../helpers/signing';
import { type Stack, startStack, testDataConverter, uniqueId } from '../../helpers/stack';
import { signStripe, stripePaymentBody } from '../../sources/senders';

// paymentSucceeded against accounting, through the Stripe webhook on the dev server: a payment is recorded only when
// its currency is the invoice's and it is no more than what is outstanding. Anything else is for a person: alerted,
// IntegrationStatus=needs-review, the invoice left as it was.

const bundle = () => ({
  workflowBundle: { codePath: process.env.SWITCHYARD_TEST_WORKFLOW_BUNDLE! },
  dataConverter: testDataConverter(),
});

describe('paymentSucceeded checks the payment against the invoice', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack.stop());

  /** An open invoice of 1499.00 PLN for a new order. */
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

  /** Delivers a Stripe payment (amount in minor units) and waits for its flow to end. */
  async function pay(orderId: string, amount: number, currency: string) {
    const eventId = uniqueId('evt_');
    const res = await post(
      `${stack.apiUrl}/webhooks/stripe`,
      signStripe(stack.config.sources.stripe.secrets[0]!, stripePaymentBody(eventId, orderId, { amount, currency })),
    );
    expect(res.status).toBe(202);
    const handle = stack.client.workflow.getHandle<() => Promise<PaymentSucceededResult>>(
      `${stack.config.temporal.taskQueuePrefix}stripe:${eventId}`,
    );
    const result = await handle.result();
    const described = await handle.describe();
    return { paymentId: `pi_${eventId.slice(4)}`, handle, result, described };
  }

  const alertsFor = (orderId: string) =>
    stack.sandbox.data.alerts.received.filter((a) => a.payload.business_key === orderId).map((a) => a.payload);

  test('a payment in another currency is not recorded: one alert, IntegrationStatus=needs-review, invoice still open', async () => {
    const { orderId, invoice } = invoicedOrder();
    const { result, described, handle } = await pay(orderId, 149900, 'eur');

    expect(result).toMatchObject({ orderId, invoiceId: invoice.id, outcome: 'needs-review', invoiceStatus: 'open' });
    expect(result.problems).toEqual([expect.stringMatching(/EUR.*PLN/)]);
    expect({ status: invoice.status, payments: invoice.payments }).toEqual({ status: 'open', payments: [] });
    expect(described.status.name).toBe('COMPLETED');
    expect(described.searchAttributes).toMatchObject({ IntegrationStatus: ['needs-review'] });
    expect(alertsFor(orderId)).toEqual([
      expect.objectContaining({
        kind: 'needs-review',
        workflow_type: 'paymentSucceeded',
        text: expect.stringMatching(/paymentSucceeded needs review for ORD-.*1499 EUR.*1499 PLN/),
      }),
    ]);

    // The new path (an alert after the check) replays deterministically.
    const [outcome] = await replayHistories(
      [{ workflowId: 'needs-review', history: await handle.fetchHistory() }],
      bundle(),
    );
    expect(outcome).toMatchObject({ deterministic: true });
    expect(outcome?.error).toBeUndefined();
  });

  test('a payment of more than the invoice total is not recorded: one alert, IntegrationStatus=needs-review, invoice still open', async () => {
    const { orderId, invoice } = invoicedOrder();
    const { result, described } = await pay(orderId, 150000, 'pln');

    expect(result).toMatchObject({ orderId, outcome: 'needs-review', invoiceStatus: 'open' });
    expect(result.problems).toEqual([expect.stringMatching(/1500 PLN.*1499 PLN outstanding/)]);
    expect({ status: invoice.status, payments: invoice.payments }).toEqual({ status: 'open', payments: [] });
    expect(described.searchAttributes).toMatchObject({ IntegrationStatus: ['needs-review'] });
    expect(alertsFor(orderId)).toEqual([expect.objectContaining({ kind: 'needs-review' })]);
  });

  test('a payment of less than the total is recorded as partial; the rest settles the invoice; more than the rest is for review', async () => {
    const { orderId, invoice } = invoicedOrder();
    const first = await pay(orderId, 100000, 'pln');
    expect(first.result).toMatchObject({ outcome: 'partial', invoiceStatus: 'partially_paid', outstanding: 499 });
    expect(first.described.searchAttributes).toMatchObject({ IntegrationStatus: ['completed'] });
    expect(invoice.status).toBe('partially_paid');
    expect(invoice.payments).toEqual([{ payment_id: first.paymentId, amount: 1000, currency: 'PLN' }]);

    const tooMuch = await pay(orderId, 50000, 'pln');
    expect(tooMuch.result).toMatchObject({ outcome: 'needs-review', invoiceStatus: 'partially_paid' });
    expect(tooMuch.result.problems).toEqual([expect.stringMatching(/500 PLN.*499 PLN outstanding/)]);
    expect(invoice.payments).toHaveLength(1);

    const rest = await pay(orderId, 49900, 'pln');
    expect(rest.result).toMatchObject({ outcome: 'paid', invoiceStatus: 'paid', outstanding: 0 });
    expect(invoice.status).toBe('paid');
    expect(invoice.payments.map((p) => p.amount)).toEqual([1000, 499]);
    expect(alertsFor(orderId)).toEqual([expect.objectContaining({ kind: 'needs-review' })]);
  });
});

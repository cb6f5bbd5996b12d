import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { WorkflowFailedError } from '@temporalio/client';
import type { CreateInvoiceInput } from '../../../src/systems/accounting/activities';
import type { AlertInput } from '../../../src/systems/alerts/activities';
import type { SendInvoiceEmailInput } from '../../../src/systems/email-platform/activities';
import type { OrderPaid } from '../../../src/domain/events';
import { orderPaid } from '../../../src/flows/bundle';
import { queueFor } from '../../../src/contracts/task-queues';
import { uniqueId } from '../../helpers/stack';
import { startTimeSkippingEnv } from '../../helpers/time-skipping';
import { withOrderPaidWorkers } from './workers';

// Workflow logic in the time-skipping server: hours of retry backoff pass in seconds of wall time.
// The activities here are stand-ins for the third-party calls; the real ones are tested against the sandbox.
describe('orderPaid (time-skipping)', () => {
  let env: TestWorkflowEnvironment;

  beforeAll(async () => {
    env = await startTimeSkippingEnv();
  });
  afterAll(() => env?.teardown());

  const event = (orderId: string): OrderPaid => ({
    type: 'OrderPaid',
    source: 'shop',
    eventId: uniqueId('evt_'),
    occurredAt: '2024-11-12T09:41:07Z',
    order: { id: orderId, total: 1499, currency: 'PLN', customerEmail: 'k.nowak@example.com' },
  });

  const run = (activities: Parameters<typeof withOrderPaidWorkers>[1], body: (prefix: string) => Promise<void>) =>
    withOrderPaidWorkers(env, activities, body);

  test('when accounting fails for hours and then recovers, the invoice is created and emailed, in seconds', async () => {
    const orderId = uniqueId('ORD-');
    const calls: number[] = [];
    const started = Date.now();
    let emailed: SendInvoiceEmailInput | undefined;
    await run(
      {
        async createInvoice(input: CreateInvoiceInput) {
          calls.push(await env.currentTimeMs());
          // Down for the first 5 hours of (skipped) time.
          if (calls.length < 2 || calls[calls.length - 1]! - calls[0]! < 5 * 3600_000) {
            throw ApplicationFailure.retryable('accounting answered 503', 'DownstreamUnavailable');
          }
          return { id: 'inv_1', order_id: input.orderId, total: input.total, currency: input.currency };
        },
        async sendInvoiceEmail(input: SendInvoiceEmailInput) {
          emailed = input;
          return { id: 'msg_1', to: input.to, subject: 'Your invoice' };
        },
        async sendAlert() {
          throw new Error('no alert expected');
        },
      },
      async (prefix) => {
        const result = await env.client.workflow.execute(orderPaid, {
          taskQueue: queueFor(prefix, 'orchestration'),
          workflowId: `shop:${uniqueId('evt_')}`,
          args: [event(orderId)],
        });
        expect(result).toEqual({ orderId, invoiceId: 'inv_1', emailId: 'msg_1' });
      },
    );
    const skipped = calls[calls.length - 1]! - calls[0]!;
    expect(skipped).toBeGreaterThanOrEqual(5 * 3600_000);
    expect(Date.now() - started).toBeLessThan(skipped / 100);
    // Backoff grows: each gap at least as long as the previous one, capped at the policy's 10 minutes.
    const gaps = calls.slice(1).map((t, i) => t - calls[i]!);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(10 * 60_000 + 5_000);
    expect(emailed).toMatchObject({ orderId, invoiceId: 'inv_1', to: 'k.nowak@example.com' });
  });

  test('when accounting rejects the invoice, the customer gets no email, one alert goes out, and the run fails', async () => {
    const orderId = uniqueId('ORD-');
    const alerts: AlertInput[] = [];
    let attempts = 0;
    let emails = 0;
    await run(
      {
        async createInvoice() {
          attempts += 1;
          throw ApplicationFailure.nonRetryable(
            'accounting answered 422: currency not supported',
            'DownstreamRejected',
          );
        },
        async sendInvoiceEmail() {
          emails += 1;
          return { id: 'msg', to: '', subject: '' };
        },
        async sendAlert(input: AlertInput) {
          alerts.push(input);
        },
      },
      async (prefix) => {
        const workflowId = `shop:${uniqueId('evt_')}`;
        const failure = await env.client.workflow
          .execute(orderPaid, { taskQueue: queueFor(prefix, 'orchestration'), workflowId, args: [event(orderId)] })
          .catch((err) => err);
        expect(failure).toBeInstanceOf(WorkflowFailedError);
        expect(alerts).toEqual([
          expect.objectContaining({
            kind: 'failed',
            workflowId,
            workflowType: 'orderPaid',
            businessKey: orderId,
            error: expect.stringContaining('currency not supported'),
          }),
        ]);
      },
    );
    expect(attempts).toBe(1);
    expect(emails).toBe(0);
  });
});

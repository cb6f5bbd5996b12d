import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { WorkflowFailedError } from '@temporalio/client';
import { mailpitPath } from '../../../src/dev/provision-tools.js';
import { type Mailpit, startMailpit } from '../../../src/dev/mailpit';
import type { CreateInvoiceInput } from '../../../src/systems/accounting/activities';
import type { AlertInput } from '../../../src/systems/alerts/activities';
import type { SendInvoiceEmailInput } from '../../../src/systems/email-platform/activities';
import { createSmtpActivities } from '../../../src/systems/email-platform/smtp/connector';
import type { DownstreamClient } from '../../../src/kit/http';
import type { OrderPaid } from '../../../src/domain/events';
import { orderPaid } from '../../../src/flows/bundle';
import { queueFor } from '../../../src/contracts/task-queues';
import { uniqueId } from '../../helpers/stack';
import { startTimeSkippingEnv } from '../../helpers/time-skipping';
import { withOrderPaidWorkers } from './workers';

// orderPaid with the invoice email sent over SMTP to Mailpit, on the time-skipping server: a greylisted message
// waits out the relay's delay in skipped time and is delivered once; a refused one fails the run and alerts.
describe('orderPaid over SMTP (time-skipping, Mailpit)', () => {
  let env: TestWorkflowEnvironment;
  let mailpit: Mailpit;

  beforeAll(async () => {
    [env, mailpit] = await Promise.all([startTimeSkippingEnv(), startMailpit({ binPath: mailpitPath(), chaos: true })]);
  });
  afterAll(async () => {
    await Promise.all([env?.teardown(), mailpit?.stop()]);
  });

  const sendOverSmtp = () =>
    createSmtpActivities({
      settings: {
        URL: `smtp://${mailpit.smtp.host}:${mailpit.smtp.port}`,
        FROM: 'Example Shop <billing@shop.example>',
        MESSAGE_LOG: 'mailpit',
        MESSAGE_LOG_URL: mailpit.url,
      },
      client: undefined as unknown as DownstreamClient,
      temporalUiUrl: 'http://localhost:8233',
      namespace: 'default',
    }).sendInvoiceEmail!;

  const messagesTo = async (to: string) => {
    const res = await fetch(`${mailpit.url}/api/v1/search?query=${encodeURIComponent(`to:"${to}"`)}`);
    return ((await res.json()) as { messages: Array<{ Subject: string }> }).messages;
  };

  async function run(
    sendInvoiceEmail: (input: SendInvoiceEmailInput) => Promise<unknown>,
    alerts: AlertInput[],
    body: (prefix: string) => Promise<void>,
  ): Promise<void> {
    const activities = {
      async createInvoice(input: CreateInvoiceInput) {
        return { id: `inv_${input.orderId}`, order_id: input.orderId, total: input.total, currency: input.currency };
      },
      sendInvoiceEmail,
      async sendAlert(input: AlertInput) {
        alerts.push(input);
      },
    };
    await withOrderPaidWorkers(env, activities, body);
  }

  const event = (orderId: string, customerEmail: string): OrderPaid => ({
    type: 'OrderPaid',
    source: 'shop',
    eventId: uniqueId('evt_'),
    occurredAt: '2024-11-12T09:41:07Z',
    order: { id: orderId, total: 1499, currency: 'PLN', customerEmail },
  });

  test('a greylisting 451 is retried after the relay’s delay, and the customer gets the email once', async () => {
    const orderId = uniqueId('ORD-');
    const to = `${orderId.toLowerCase()}@example.test`;
    const attempts: number[] = [];
    const alerts: AlertInput[] = [];
    const smtp = sendOverSmtp();
    await mailpit.setChaos({ Recipient: { ErrorCode: 451, Probability: 100 } });
    await run(
      async (input) => {
        attempts.push(await env.currentTimeMs());
        try {
          return await smtp(input);
        } finally {
          // The relay accepts the message the next time, as a greylisting one does.
          await mailpit.setChaos({});
        }
      },
      alerts,
      async (prefix) => {
        const result = await env.client.workflow.execute(orderPaid, {
          taskQueue: queueFor(prefix, 'orchestration'),
          workflowId: `shop:${uniqueId('evt_')}`,
          args: [event(orderId, to)],
        });
        expect(result).toMatchObject({ orderId, emailId: expect.stringMatching(/^<invoice-email\./) });
      },
    );
    expect(attempts).toHaveLength(2);
    expect(attempts[1]! - attempts[0]!).toBeGreaterThanOrEqual(60_000);
    expect(await messagesTo(to)).toHaveLength(1);
    expect(alerts).toEqual([]);
  });

  test('a 550 fails the run after one attempt, with one alert, and sends nothing', async () => {
    const orderId = uniqueId('ORD-');
    const to = `${orderId.toLowerCase()}@example.test`;
    let attempts = 0;
    const alerts: AlertInput[] = [];
    const smtp = sendOverSmtp();
    await mailpit.setChaos({ Sender: { ErrorCode: 550, Probability: 100 } });
    try {
      await run(
        async (input) => {
          attempts += 1;
          return smtp(input);
        },
        alerts,
        async (prefix) => {
          const workflowId = `shop:${uniqueId('evt_')}`;
          const failure = await env.client.workflow
            .execute(orderPaid, {
              taskQueue: queueFor(prefix, 'orchestration'),
              workflowId,
              args: [event(orderId, to)],
            })
            .catch((err: unknown) => err);
          expect(failure).toBeInstanceOf(WorkflowFailedError);
          expect(alerts).toEqual([
            expect.objectContaining({
              kind: 'failed',
              workflowId,
              businessKey: orderId,
              error: expect.stringMatching(/answered 550/),
            }),
          ]);
        },
      );
    } finally {
      await mailpit.setChaos({});
    }
    expect(attempts).toBe(1);
    expect(await messagesTo(to)).toHaveLength(0);
  });
});

import { patched, proxyActivities } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import type { OrderPaid } from '../domain/events';
import { runFlow, systemQueue } from './flow';

type Activities = ReturnType<typeof createActivities>;

const NON_RETRYABLE = ['DownstreamRejected'];

/** patched() id of the customer email normalisation (see README, "Changing a workflow safely"). */
export const NORMALIZE_CUSTOMER_EMAIL = 'normalize-customer-email';

export interface OrderPaidResult {
  orderId: string;
  invoiceId: string;
  emailId: string;
}

/** An order was paid: invoice it in accounting, then email the invoice to the customer. */
export async function orderPaid(event: OrderPaid): Promise<OrderPaidResult> {
  // Profiles are built per run because the queue depends on the run's task queue prefix.
  const invoicing = proxyActivities<Activities>({
    taskQueue: systemQueue('accounting'),
    startToCloseTimeout: '30s',
    // The client layer heartbeats during calls, so a dead worker's attempt is retried in seconds, not 30 s.
    heartbeatTimeout: '5s',
    scheduleToCloseTimeout: '3 days',
    retry: {
      initialInterval: '1s',
      backoffCoefficient: 2,
      maximumInterval: '10m',
      nonRetryableErrorTypes: NON_RETRYABLE,
    },
  });
  const email = proxyActivities<Activities>({
    taskQueue: systemQueue('email-platform'),
    startToCloseTimeout: '30s',
    // The client layer heartbeats during calls, so a dead worker's attempt is retried in seconds, not 30 s.
    heartbeatTimeout: '5s',
    scheduleToCloseTimeout: '3 days',
    retry: {
      initialInterval: '1s',
      backoffCoefficient: 2,
      maximumInterval: '10m',
      nonRetryableErrorTypes: NON_RETRYABLE,
    },
  });

  return runFlow({ source: event.source, event: event.type, businessKey: event.order.id }, async () => {
    // Accounting matches customers by exact address and shops send it as typed at checkout. Versioned: runs that
    // started before this change replay with the address they already sent; new runs send it normalised.
    const customerEmail = patched(NORMALIZE_CUSTOMER_EMAIL)
      ? event.order.customerEmail.trim().toLowerCase()
      : event.order.customerEmail;
    const invoice = await invoicing.createInvoice({
      orderId: event.order.id,
      total: event.order.total,
      currency: event.order.currency,
      customerEmail,
    });
    const message = await email.sendInvoiceEmail({
      orderId: event.order.id,
      invoiceId: invoice.id,
      to: customerEmail,
      total: event.order.total,
      currency: event.order.currency,
    });
    return { orderId: event.order.id, invoiceId: invoice.id, emailId: message.id };
  });
}

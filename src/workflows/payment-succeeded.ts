import { proxyActivities } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import type { PaymentSucceeded } from '../domain/events';
import { runFlow, systemQueue } from './flow';

type Activities = ReturnType<typeof createActivities>;

export interface PaymentSucceededResult {
  orderId: string;
  paymentId: string;
  invoiceId: string;
  invoiceStatus: 'open' | 'paid';
}

/**
 * A payment succeeded: record it against the order's invoice in accounting. When the payment is reported before
 * the order's invoice exists, the activity fails and is retried until orderPaid has created it.
 */
export async function paymentSucceeded(event: PaymentSucceeded): Promise<PaymentSucceededResult> {
  const accounting = proxyActivities<Activities>({
    taskQueue: systemQueue('accounting'),
    startToCloseTimeout: '30s',
    scheduleToCloseTimeout: '3 days',
    retry: {
      initialInterval: '1s',
      backoffCoefficient: 2,
      maximumInterval: '10m',
      nonRetryableErrorTypes: ['DownstreamRejected'],
    },
  });

  const { payment } = event;
  return runFlow({ source: event.source, event: event.type, businessKey: payment.orderId }, async () => {
    const invoice = await accounting.markInvoicePaid({
      orderId: payment.orderId,
      paymentId: payment.id,
      amount: payment.amount,
      currency: payment.currency,
    });
    return { orderId: payment.orderId, paymentId: payment.id, invoiceId: invoice.id, invoiceStatus: invoice.status };
  });
}

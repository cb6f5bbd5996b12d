import type { PaymentSucceeded } from '../domain/events';
import { systemActivities } from './activities';
import { runFlow } from './flow';

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
  const accounting = systemActivities('accounting', 'call');

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

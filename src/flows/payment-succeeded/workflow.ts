import type { Invoice, PaymentCheck, PaymentRecorded } from '../../systems/accounting/activities';
import type { PaymentSucceeded } from '../../domain/events';
import { systemActivities } from '../common/activities';
import { needsReview, runFlow } from '../common/run';
import type { Accounting } from '../../systems/accounting/system';

export interface PaymentSucceededResult {
  orderId: string;
  paymentId: string;
  invoiceId: string;
  invoiceStatus: Invoice['status'];
  /** paid or partial: the payment is recorded; needs-review: it is not, an alert went out (see `problems`). */
  outcome: PaymentCheck['outcome'];
  /** Left to pay on the invoice (unknown for runs recorded before the payment checks). */
  outstanding?: number;
  problems: string[];
}

/** Histories from before the payment checks hold the bare invoice as markInvoicePaid's result: it was recorded. */
type MarkInvoicePaidResult = Omit<PaymentRecorded, 'check'> & { check?: PaymentCheck };

function checkOf(recorded: MarkInvoicePaidResult): Omit<PaymentCheck, 'outstanding'> & { outstanding?: number } {
  return recorded.check ?? { outcome: recorded.status === 'paid' ? 'paid' : 'partial', problems: [] };
}

/**
 * A payment succeeded: record it against the order's invoice in accounting. When the payment is reported before
 * the order's invoice exists, the activity fails and is retried until orderPaid has created it. A payment in another
 * currency, or for more than is outstanding, is not recorded: the flow alerts and ends with IntegrationStatus
 * needs-review (completed, not failed: a re-run would find the same mismatch; a person decides).
 */
export async function paymentSucceeded(event: PaymentSucceeded): Promise<PaymentSucceededResult> {
  const accounting = systemActivities<Accounting>('accounting', 'call');

  const { payment } = event;
  const ctx = { source: event.source, event: event.type, businessKey: payment.orderId };
  return runFlow(
    ctx,
    async () => {
      const recorded: MarkInvoicePaidResult = await accounting.markInvoicePaid({
        orderId: payment.orderId,
        paymentId: payment.id,
        amount: payment.amount,
        currency: payment.currency,
      });
      const check = checkOf(recorded);
      if (check.outcome === 'needs-review') {
        await needsReview(
          ctx,
          `${check.problems.join('; ')}. Nothing was recorded: refund, correct the invoice or record it by hand`,
        );
      }
      return {
        orderId: payment.orderId,
        paymentId: payment.id,
        invoiceId: recorded.id,
        invoiceStatus: recorded.status,
        outcome: check.outcome,
        outstanding: check.outstanding,
        problems: check.problems,
      };
    },
    { finalStatus: (result) => (result.outcome === 'needs-review' ? 'needs-review' : 'completed') },
  );
}

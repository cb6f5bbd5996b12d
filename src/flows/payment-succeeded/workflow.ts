import { patched } from '@temporalio/workflow';
import type { Invoice, PaymentCheck, PaymentRecorded } from '../../systems/accounting/activities';
import type { RetrievedPaymentIntent } from '../../systems/stripe/activities';
import type { PaymentSucceeded } from '../../domain/events';
import { systemActivities } from '../common/activities';
import { needsReview, runFlow } from '../common/run';
import type { Accounting } from '../../systems/accounting/system';
import type { StripeSystem } from '../../systems/stripe/system';

/**
 * patched() id of verifying by fetching: before recording, the PaymentIntent is read from Stripe and recorded as
 * Stripe reports it (runs recorded before it recorded the webhook's payment as it came).
 */
export const VERIFY_BY_FETCH = 'payment-verify-by-fetch';

/** How a run treats the event; the ingress sets it from the deployment (FlowTrigger.startOptions). */
export interface PaymentSucceededOptions {
  /**
   * Read the PaymentIntent from Stripe before recording and record what Stripe reports: status succeeded, its amount
   * received and currency; anything else than the event said goes to needs-review. On in production (the ingress and
   * reconcilePayments set it); off when absent, so a sandbox payment that only exists as a webhook records as sent.
   */
  verifyByFetch?: boolean;
}

export interface PaymentSucceededResult {
  orderId: string;
  paymentId: string;
  /** Absent when Stripe's own report stopped the run before accounting was asked (needs-review). */
  invoiceId?: string;
  invoiceStatus?: Invoice['status'];
  /** paid or partial: the payment is recorded; needs-review: it is not, an alert went out (see `problems`). */
  outcome: PaymentCheck['outcome'];
  /** Left to pay on the invoice (unknown for runs recorded before the payment checks). */
  outstanding?: number;
  problems: string[];
}

/** Histories from before the payment checks hold the bare invoice as markInvoicePaid's result: it was recorded. */
type MarkInvoicePaidResult = Omit<PaymentRecorded, 'check'> & { check?: PaymentCheck };

/** Why Stripe's report of the PaymentIntent does not let the event's payment be recorded; empty when it does. */
function stripeProblems(payment: PaymentSucceeded['payment'], intent: RetrievedPaymentIntent): string[] {
  const reported = `Stripe reports PaymentIntent ${payment.id}`;
  const problems: string[] = [];
  if (intent.status !== 'succeeded') problems.push(`${reported} as ${intent.status}, not succeeded`);
  const currency = intent.currency.toUpperCase();
  if (intent.amount === undefined) problems.push(`${reported} in ${currency}, a currency Switchyard does not know`);
  else if (intent.amount !== payment.amount || currency !== payment.currency) {
    problems.push(
      `the event reported ${payment.amount} ${payment.currency} but ${reported} as ${intent.amount} ${currency} received`,
    );
  }
  if (intent.metadata.order_id !== payment.orderId) {
    problems.push(`the event named order ${payment.orderId} but ${reported} for another order`);
  }
  return problems;
}

function checkOf(recorded: MarkInvoicePaidResult): Omit<PaymentCheck, 'outstanding'> & { outstanding?: number } {
  return recorded.check ?? { outcome: recorded.status === 'paid' ? 'paid' : 'partial', problems: [] };
}

/**
 * A payment succeeded: record it against the order's invoice in accounting. When the payment is reported before
 * the order's invoice exists, the activity fails and is retried until orderPaid has created it. A payment in another
 * currency, or for more than is outstanding, is not recorded: the flow alerts and ends with IntegrationStatus
 * needs-review (completed, not failed: a re-run would find the same mismatch; a person decides).
 */
export async function paymentSucceeded(
  event: PaymentSucceeded,
  options: PaymentSucceededOptions = {},
): Promise<PaymentSucceededResult> {
  const accounting = systemActivities<Accounting>('accounting', 'call');

  const ctx = { source: event.source, event: event.type, businessKey: event.payment.orderId };
  return runFlow(
    ctx,
    async () => {
      let payment = event.payment;
      if (patched(VERIFY_BY_FETCH) && options.verifyByFetch === true) {
        const stripe = systemActivities<StripeSystem>('stripe', 'call');
        const intent = await stripe.retrievePaymentIntent({ id: payment.id });
        const problems = stripeProblems(payment, intent);
        if (problems.length > 0) {
          await needsReview(ctx, `${problems.join('; ')}. Nothing was recorded: check the payment in Stripe`);
          return { orderId: payment.orderId, paymentId: payment.id, outcome: 'needs-review' as const, problems };
        }
        // As Stripe reports it (equal to the event's by the check above; Stripe's is the one of record).
        payment = { ...payment, amount: intent.amount!, currency: intent.currency.toUpperCase() };
      }
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

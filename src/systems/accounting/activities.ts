import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import {
  INVOICE_CONFLICT,
  INVOICE_FIELDS,
  type InvoiceConflictDetails,
  type InvoiceField,
} from '../../contracts/failures';
import { toMinorUnits } from '../../domain/money';
import type { SystemActivityDeps } from '../../kit/activity-deps';
import { idempotencyKey } from '../../kit/keys';

import type { Invoice } from './wire';

// Accounting: the source of truth for invoices. We create one per paid order and record payments against it.

export type { Invoice, InvoicePayment } from './wire';

/** The invoice, and whether it existed before this call (an earlier run, a replayed answer, or made by hand). */
export interface CreatedInvoice extends Invoice {
  existedBefore?: boolean;
}

export interface MarkInvoicePaidInput {
  orderId: string;
  paymentId: string;
  amount: number;
  currency: string;
}

/** What became of a payment checked against its invoice. */
export interface PaymentCheck {
  /**
   * paid: recorded, the invoice is settled; partial: recorded, a balance remains; needs-review: NOT recorded, because
   * its currency is not the invoice's or it is more than is outstanding: a person decides (refund, correct, record).
   */
  outcome: 'paid' | 'partial' | 'needs-review';
  /** What is left to pay on the invoice: after this payment, or for needs-review, without it. */
  outstanding: number;
  /** Why it needs review, one sentence per problem; empty otherwise. */
  problems: string[];
}

/** The invoice after the payment, and what became of the payment. */
export type PaymentRecorded = Invoice & { check: PaymentCheck };

export interface CreateInvoiceInput {
  orderId: string;
  total: number;
  currency: string;
  customerEmail: string;
}

interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

/** Money in ten-thousandths, so sums of decimal amounts compare exactly (every ISO 4217 currency has ≤ 4 decimals). */
const units = (amount: number) => Math.round(amount * 10_000);

/** What is left to pay on `invoice`, not counting `exceptPaymentId`. */
export function outstandingOn(invoice: Invoice, exceptPaymentId?: string): number {
  const paid = invoice.payments
    .filter((p) => p.payment_id !== exceptPaymentId)
    .reduce((sum, p) => sum + units(p.amount), 0);
  return Math.max(0, units(invoice.total) - paid) / 10_000;
}

/** Why `payment` must not be recorded against `invoice` as it is, if it must not. */
export function paymentProblems(invoice: Invoice, payment: MarkInvoicePaidInput): string[] {
  const paid = `payment ${payment.paymentId} of ${payment.amount} ${payment.currency}`;
  if (payment.currency !== invoice.currency) {
    return [`${paid} is not in the currency of invoice ${invoice.id} (${invoice.total} ${invoice.currency})`];
  }
  const outstanding = outstandingOn(invoice);
  if (units(payment.amount) > units(outstanding)) {
    return [`${paid} is more than the ${outstanding} ${invoice.currency} outstanding on invoice ${invoice.id}`];
  }
  return [];
}

/**
 * What `input` asks for differently from the order's existing `invoice`: its total in the currency's minor units, its
 * currency, its recipient as we normalise addresses (trimmed, lower case). Empty: the invoice is the one asked for.
 */
export function invoiceDifferences(invoice: Invoice, input: CreateInvoiceInput): InvoiceField[] {
  const address = (email: string) => email.trim().toLowerCase();
  const differs: Record<InvoiceField, boolean> = {
    total: toMinorUnits(invoice.total, input.currency) !== toMinorUnits(input.total, input.currency),
    currency: invoice.currency.toUpperCase() !== input.currency.toUpperCase(),
    customerEmail: address(invoice.customer_email) !== address(input.customerEmail),
  };
  return INVOICE_FIELDS.filter((field) => differs[field]);
}

/**
 * Fails InvoiceConflict unless the order's existing `invoice` is the one `input` asks for, naming the fields that
 * differ (never their values). `where` names the system in the message when it is not just "accounting".
 */
export function assertInvoiceAsked(system: string, invoice: Invoice, input: CreateInvoiceInput, where = ''): void {
  const fields = invoiceDifferences(invoice, input);
  if (fields.length === 0) return;
  const details: InvoiceConflictDetails = { system, orderId: input.orderId, invoiceId: invoice.id, fields };
  throw ApplicationFailure.create({
    message:
      `order ${input.orderId} is already invoiced${where} as ${invoice.id} with another ${fields.join(', ')} than ` +
      'asked: nothing was changed',
    type: INVOICE_CONFLICT,
    nonRetryable: true,
    details: [details],
  });
}

export function createAccountingActivities({ client }: SystemActivityDeps) {
  const assertAsked = (invoice: Invoice, input: CreateInvoiceInput) =>
    assertInvoiceAsked(client.system, invoice, input);

  async function invoiceOf(orderId: string): Promise<Invoice | undefined> {
    const res = await client.request<Page<Invoice>>('GET', '/invoices', { query: { order_id: orderId } });
    return res.body.data[0];
  }

  return {
    /**
     * Creates the order's invoice, or returns the one it already has if that is the invoice asked for. One with
     * another total, currency or recipient fails InvoiceConflict naming the fields (never their values) and changes
     * nothing: adopting it would answer with an invoice nobody asked for.
     */
    async createInvoice(input: CreateInvoiceInput): Promise<CreatedInvoice> {
      const res = await client.request<Invoice | { invoice?: Invoice }>('POST', '/invoices', {
        idempotencyKey: idempotencyKey('invoice', input.orderId),
        accept: [409],
        // The key was used with another body: a re-run that now sends something else (the normalised email of a run
        // reset across that patch), or another request for the order (the API after the webhook, or before it).
        // The key made the order's invoice, so that invoice is the answer if it is the one asked for.
        onKeyReused: () => invoiceOf(input.orderId),
        signal: Context.current().cancellationSignal,
        body: {
          order_id: input.orderId,
          total: input.total,
          currency: input.currency,
          customer_email: input.customerEmail,
        },
      });
      if (res.status !== 409) {
        const invoice = { ...(res.body as Invoice), existedBefore: res.replayed };
        if (res.replayed) assertAsked(invoice, input);
        return invoice;
      }
      // The invoice exists, created under another key (by hand, or before these keys): the answer names it; the list
      // is asked when it does not.
      const named = (res.body as { invoice?: Invoice }).invoice;
      const invoice = named?.order_id === input.orderId ? named : await invoiceOf(input.orderId);
      if (!invoice) throw new Error(`accounting answered 409 for order ${input.orderId} but lists no invoice for it`);
      assertAsked(invoice, input);
      return { ...invoice, existedBefore: true };
    },

    /**
     * Records the payment on the order's invoice if its currency is the invoice's and it is no more than what is
     * outstanding (less is a partial payment). Otherwise records nothing and says why: the workflow alerts.
     */
    async markInvoicePaid(input: MarkInvoicePaidInput): Promise<PaymentRecorded> {
      const invoice = await invoiceOf(input.orderId);
      if (!invoice) {
        // The order's invoice may not exist yet (payment reported before order.paid was processed): retry later.
        throw new Error(`no invoice for order ${input.orderId} yet`);
      }
      // Already on the invoice (an earlier attempt got through): it was checked then, and the call below replays.
      const recorded = invoice.payments.some((p) => p.payment_id === input.paymentId);
      const problems = recorded ? [] : paymentProblems(invoice, input);
      if (problems.length > 0) {
        return { ...invoice, check: { outcome: 'needs-review', outstanding: outstandingOn(invoice), problems } };
      }
      const res = await client.request<Invoice>('POST', `/invoices/${encodeURIComponent(invoice.id)}/payments`, {
        idempotencyKey: idempotencyKey('invoice-payment', input.paymentId),
        body: { payment_id: input.paymentId, amount: input.amount, currency: input.currency },
        signal: Context.current().cancellationSignal,
      });
      const outstanding = outstandingOn(res.body);
      return { ...res.body, check: { outcome: outstanding > 0 ? 'partial' : 'paid', outstanding, problems: [] } };
    },

    /** The ids among `orderIds` that accounting has no invoice for. */
    async findUninvoicedOrders(input: { orderIds: string[] }): Promise<string[]> {
      const ctx = Context.current();
      const missing: string[] = [];
      for (const [i, orderId] of input.orderIds.entries()) {
        const res = await client.request<Page<unknown>>('GET', '/invoices', {
          query: { order_id: orderId },
          signal: ctx.cancellationSignal,
        });
        if (res.body.data.length === 0) missing.push(orderId);
        ctx.heartbeat(i);
      }
      return missing;
    },
  };
}

export type AccountingActivities = ReturnType<typeof createAccountingActivities>;

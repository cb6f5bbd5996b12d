import { patched } from '@temporalio/workflow';
import { type InvoiceField, invoiceConflictOf } from '../../contracts/failures';
import type { OrderPaid } from '../../domain/events';
import { invoiceAndEmail, type InvoicedOrder } from './invoice-and-email';
import { needsReview, runFlow } from '../common/run';

/** patched() id of the customer email normalisation (see docs/development.md, "Changing a workflow safely"). */
export const NORMALIZE_CUSTOMER_EMAIL = 'normalize-customer-email';

/** patched() id of ending needs-review when the order already has another invoice (it used to fail the run). */
export const INVOICE_CONFLICT_NEEDS_REVIEW = 'invoice-conflict-needs-review';

/** The order already had an invoice with other values: nothing was created or emailed, an alert went out. */
export interface OrderPaidNeedsReview {
  orderId: string;
  invoiceId: string;
  outcome: 'needs-review';
  /** The order's values the existing invoice holds differently (field names only). */
  conflictingFields: InvoiceField[];
}

export type OrderPaidResult = InvoicedOrder | OrderPaidNeedsReview;

/**
 * An order was paid: invoice it in accounting, then email the invoice to the customer. When the order already has
 * an invoice with another total, currency or recipient (made by hand, or by an API client first), the flow changes
 * nothing, alerts and ends IntegrationStatus needs-review: which values are right is for a person to decide.
 */
export async function orderPaid(event: OrderPaid): Promise<OrderPaidResult> {
  const ctx = { source: event.source, event: event.type, businessKey: event.order.id };
  return runFlow(
    ctx,
    async (): Promise<OrderPaidResult> => {
      // Accounting matches customers by exact address and shops send it as typed at checkout. Versioned: runs that
      // started before this change replay with the address they already sent; new runs send it normalised.
      const customerEmail = patched(NORMALIZE_CUSTOMER_EMAIL)
        ? event.order.customerEmail.trim().toLowerCase()
        : event.order.customerEmail;
      try {
        return await invoiceAndEmail(event.order, customerEmail, 'call');
      } catch (err) {
        const conflict = invoiceConflictOf(err);
        // Versioned: a run that met a conflict before this code failed on it, and replays so.
        if (!conflict || !patched(INVOICE_CONFLICT_NEEDS_REVIEW)) throw err;
        await needsReview(
          ctx,
          `${conflict.message}. Neither was this order's invoice changed nor an email sent: compare ` +
            `${conflict.invoiceId} with the order, then correct the invoice in accounting and reset this run, or ` +
            'settle it by hand',
        );
        return {
          orderId: event.order.id,
          invoiceId: conflict.invoiceId,
          outcome: 'needs-review',
          conflictingFields: conflict.fields,
        };
      }
    },
    {
      finalStatus: (result) =>
        'outcome' in result && result.outcome === 'needs-review' ? 'needs-review' : 'completed',
    },
  );
}

import { patched } from '@temporalio/workflow';
import type { OrderPaid } from '../domain/events';
import { invoiceAndEmail, type InvoicedOrder } from './invoice-and-email';
import { runFlow } from './flow';

/** patched() id of the customer email normalisation (see README, "Changing a workflow safely"). */
export const NORMALIZE_CUSTOMER_EMAIL = 'normalize-customer-email';

export type OrderPaidResult = InvoicedOrder;

/** An order was paid: invoice it in accounting, then email the invoice to the customer. */
export async function orderPaid(event: OrderPaid): Promise<OrderPaidResult> {
  return runFlow({ source: event.source, event: event.type, businessKey: event.order.id }, async () => {
    // Accounting matches customers by exact address and shops send it as typed at checkout. Versioned: runs that
    // started before this change replay with the address they already sent; new runs send it normalised.
    const customerEmail = patched(NORMALIZE_CUSTOMER_EMAIL)
      ? event.order.customerEmail.trim().toLowerCase()
      : event.order.customerEmail;
    return invoiceAndEmail(event.order, customerEmail, 'call');
  });
}

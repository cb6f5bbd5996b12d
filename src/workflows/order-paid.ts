import { patched } from '@temporalio/workflow';
import type { OrderPaid } from '../domain/events';
import { systemActivities } from './activities';
import { runFlow } from './flow';

/** patched() id of the customer email normalisation (see README, "Changing a workflow safely"). */
export const NORMALIZE_CUSTOMER_EMAIL = 'normalize-customer-email';

export interface OrderPaidResult {
  orderId: string;
  invoiceId: string;
  emailId: string;
}

/** An order was paid: invoice it in accounting, then email the invoice to the customer. */
export async function orderPaid(event: OrderPaid): Promise<OrderPaidResult> {
  const accounting = systemActivities('accounting', 'call');
  const email = systemActivities('email-platform', 'call');

  return runFlow({ source: event.source, event: event.type, businessKey: event.order.id }, async () => {
    // Accounting matches customers by exact address and shops send it as typed at checkout. Versioned: runs that
    // started before this change replay with the address they already sent; new runs send it normalised.
    const customerEmail = patched(NORMALIZE_CUSTOMER_EMAIL)
      ? event.order.customerEmail.trim().toLowerCase()
      : event.order.customerEmail;
    const invoice = await accounting.createInvoice({
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
      checkSent: invoice.existedBefore !== false,
    });
    return { orderId: event.order.id, invoiceId: invoice.id, emailId: message.id };
  });
}

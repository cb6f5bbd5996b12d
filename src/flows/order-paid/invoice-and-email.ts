import type { ProfileName } from '../../contracts/activity-profiles';
import { systemActivities } from '../common/activities';
import type { Accounting } from '../../systems/accounting/system';
import type { EmailPlatform } from '../../systems/email-platform/system';

export interface InvoicedOrder {
  orderId: string;
  invoiceId: string;
  emailId: string;
}

/**
 * The one way an order is invoiced: create the invoice in accounting, then email it to the customer, both keyed by
 * the order id (see INVOICE_KEYS). orderPaid (a webhook) and invoiceOrder (the API) both run it, so an order invoiced
 * by either path is invoiced and emailed once; `profile` is the caller's (`call` for a flow, `command` when a caller
 * waits).
 */
export async function invoiceAndEmail(
  order: { id: string; total: number; currency: string },
  customerEmail: string,
  profile: ProfileName,
): Promise<InvoicedOrder> {
  const accounting = systemActivities<Accounting>('accounting', profile);
  const email = systemActivities<EmailPlatform>('email-platform', profile);
  const invoice = await accounting.createInvoice({
    orderId: order.id,
    total: order.total,
    currency: order.currency,
    customerEmail,
  });
  const message = await email.sendInvoiceEmail({
    orderId: order.id,
    invoiceId: invoice.id,
    to: customerEmail,
    total: order.total,
    currency: order.currency,
    checkSent: invoice.existedBefore !== false,
  });
  return { orderId: order.id, invoiceId: invoice.id, emailId: message.id };
}

import type { CommandInput } from '../contracts/commands';
import { systemActivities } from './activities';
import { runCommand } from './command';

export interface InvoiceOrderInput extends CommandInput {
  order: { id: string; total: number; currency: string; customerEmail: string };
}

export interface InvoiceOrderResult {
  orderId: string;
  invoiceId: string;
  emailId: string;
}

/**
 * POST /api/v1/orders/{orderId}/invoice: the request/response twin of orderPaid. The same two activities, keyed by
 * the order id as orderPaid keys them, so an order invoiced by either path is never invoiced or emailed twice; under
 * the command profile, because a caller is waiting.
 */
export async function invoiceOrder(input: InvoiceOrderInput): Promise<InvoiceOrderResult> {
  const accounting = systemActivities('accounting', 'command');
  const email = systemActivities('email-platform', 'command');
  const { order } = input;
  return runCommand(input, { event: 'InvoiceRequested', businessKey: order.id }, async () => {
    const customerEmail = order.customerEmail.trim().toLowerCase();
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
  });
}

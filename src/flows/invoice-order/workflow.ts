import type { CommandInput } from '../../contracts/commands';
import { invoiceAndEmail, type InvoicedOrder } from '../order-paid/invoice-and-email';
import { runCommand } from '../common/command';

export interface InvoiceOrderInput extends CommandInput {
  order: { id: string; total: number; currency: string; customerEmail: string };
}

export type InvoiceOrderResult = InvoicedOrder;

/**
 * POST /api/v1/orders/{orderId}/invoice: the request/response twin of orderPaid. The same step (invoiceAndEmail),
 * keyed by the order id as orderPaid's is, so an order invoiced by either path is never invoiced or emailed twice;
 * under the command profile, because a caller is waiting.
 */
export async function invoiceOrder(input: InvoiceOrderInput): Promise<InvoiceOrderResult> {
  const { order } = input;
  return runCommand(input, { event: 'InvoiceRequested', businessKey: order.id }, () =>
    invoiceAndEmail(order, order.customerEmail.trim().toLowerCase(), 'command'),
  );
}

import { idempotencyKey } from '../../kit/keys';

/**
 * The invoice step's keys (invoice-and-email.ts), by order id: the same for the webhook's orderPaid and the API's
 * invoiceOrder, which is what makes an order invoiced by both paths one invoice and one email.
 */
export const INVOICE_KEYS = {
  createInvoice: (i: { order: { id: string } }) => idempotencyKey('invoice', i.order.id),
  sendInvoiceEmail: (i: { order: { id: string } }) => idempotencyKey('invoice-email', i.order.id),
};

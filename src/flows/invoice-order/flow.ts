import { defineFlow } from '../../kit/declare';
import { INVOICE_KEYS } from '../order-paid/keys';
import { invoiceOrder } from './workflow';

export const invoiceOrderFlow = defineFlow({
  workflow: invoiceOrder,
  description:
    'POST /api/v1/orders/{orderId}/invoice: invoices the order and emails the invoice (orderPaid’s activities and ' +
    'keys, under the command profile), answering the caller through the commandResult update',
  trigger: { by: 'POST /api/v1/orders/{orderId}/invoice, id <prefix>api:<client>:<Idempotency-Key>' },
  versioning: 'PINNED',
  versioningNote: 'a command a caller waits for finishes on the code it started with',
  activities: ['createInvoice', 'sendInvoiceEmail', 'sendAlert'],
  keys: INVOICE_KEYS,
});

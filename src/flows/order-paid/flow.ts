import { defineFlow } from '../../kit/declare';
import { INVOICE_KEYS } from './keys';
import { orderPaid } from './workflow';

export const orderPaidFlow = defineFlow({
  workflow: orderPaid,
  description: 'an order was paid: invoice it in accounting, then email the invoice to the customer',
  trigger: { event: 'OrderPaid', businessKey: (e) => e.order.id },
  versioning: 'PINNED',
  activities: ['createInvoice', 'sendInvoiceEmail', 'sendAlert'],
  keys: INVOICE_KEYS,
});

import { defineSystem } from '../../kit/declare';
import { createAccountingActivities } from './activities';
import { xeroConnector } from './xero/connector';

export const accounting = defineSystem({
  name: 'accounting',
  title: 'Accounting',
  owns: 'invoices and their payments (source of truth); receives an invoice per paid order',
  auth: 'bearer',
  defaultRatePerSecond: 20,
  activities: createAccountingActivities,
  activityDocs: {
    createInvoice: {
      does: "creates the order's invoice",
      kind: 'write',
      profile: 'call',
      idempotencyKey: 'invoice:<order id>',
      note:
        'a 409 (the order is already invoiced) or a 422 (its key was used with another body, e.g. by a run reset ' +
        'across a workflow change) fetches the existing invoice, never creating a second: it is the answer if its ' +
        'total (in minor units), currency and recipient are the ones asked for, else InvoiceConflict (the command ' +
        'answers 409, the flow ends needs-review with an alert)',
    },
    markInvoicePaid: {
      does: "records the payment on the order's invoice",
      kind: 'write',
      profile: 'call',
      idempotencyKey: 'invoice-payment:<payment id>',
      note:
        "only a payment in the invoice's currency and no more than is outstanding (less is recorded as partial); " +
        'anything else is not recorded and the flow ends needs-review with an alert',
    },
    findUninvoicedOrders: { does: 'reads which orders have no invoice', kind: 'read', profile: 'batch' },
  },
  connectors: [xeroConnector],
});

/** The declaration's type, for workflows: `systemActivities<Accounting>('accounting', profile)`. */
export type Accounting = typeof accounting;

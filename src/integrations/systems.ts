import { createAccountingActivities } from '../activities/accounting';
import { createAlertActivities } from '../activities/alerts';
import { createCrmActivities } from '../activities/crm';
import { createEmailPlatformActivities } from '../activities/email-platform';
import { createShopActivities } from '../activities/shop';
import { accountingStandIn } from '../sandbox/accounting';
import { alertsStandIn } from '../sandbox/alerts';
import { crmStandIn } from '../sandbox/crm';
import { emailPlatformStandIn } from '../sandbox/email';
import { shopStandIn } from '../sandbox/shop';
import { defineSystem } from './types';

// Every third-party system Switchyard calls, declared once. Adding one: a declaration here, its activities file in
// src/activities/, its stand-in in src/sandbox/ (see docs/extending.md).

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
  sandbox: accountingStandIn,
});

export const emailPlatform = defineSystem({
  name: 'email-platform',
  title: 'Email platform',
  owns: "each contact's consent (source of truth); receives invoice emails and copies of the CRM's contact fields",
  auth: 'bearer',
  defaultRatePerSecond: 10,
  deprecatedVariables: { url: 'EMAIL_API_URL', key: 'EMAIL_API_KEY' },
  activities: createEmailPlatformActivities,
  activityDocs: {
    sendInvoiceEmail: {
      does: 'emails the invoice to the customer',
      kind: 'write',
      profile: 'call',
      idempotencyKey: 'invoice-email:<order id>',
      note:
        'looks in the platform’s message log first: the invoice email already sent for the order, to this recipient ' +
        'for this invoice, is not sent again (one to another address or for another invoice is not this one)',
    },
    upsertEmailContactConsent: {
      does: 'sets a contact’s consent by email, for an /api/v1 contact write',
      kind: 'write',
      profile: 'command',
      idempotencyKey: 'contact-write:<command workflow id>',
      note: 'keyed by the command, so a retry with the same Idempotency-Key replays and a new command writes again',
    },
    listEmailContactChanges: {
      does: 'reads contact changes since the watermark: a page, or the given contacts',
      kind: 'read',
      profile: 'batch',
    },
    upsertEmailContacts: {
      does: 'upserts changed contacts, 100 per call',
      kind: 'write',
      profile: 'batch',
      idempotencyKey: 'contact-upsert:<hash of the batch and of each record’s latest change time>',
      note: 'a re-run re-reads from the watermark, so an unchanged batch carries the same key; a changed record a new one',
    },
  },
  sandbox: emailPlatformStandIn,
});

export const crm = defineSystem({
  name: 'crm',
  title: 'CRM',
  owns: "each contact's identity: email, name, company (source of truth); receives consent back",
  auth: 'bearer',
  defaultRatePerSecond: 10,
  activities: createCrmActivities,
  activityDocs: {
    upsertCrmContact: {
      does: 'creates or updates a contact by email, for an /api/v1 contact write',
      kind: 'write',
      profile: 'command',
      idempotencyKey: 'contact-write:<command workflow id>',
      note: 'keyed by the command, so a retry with the same Idempotency-Key replays and a new command writes again',
    },
    listCrmContactChanges: {
      does: 'reads contact changes since the watermark: a page (or a few in a row), or the given contacts',
      kind: 'read',
      profile: 'batch',
    },
    patchCrmContacts: {
      does: 'PATCHes consent changes into the CRM',
      kind: 'write',
      profile: 'batch',
      idempotencyKey: 'contact-patch:<contact id>:<hash of the patch and its latest change time>',
      note: 'for runs started before `contact-sync-crm-dead-letters`: there a refused record fails the run',
    },
    patchCrmContactRecords: {
      does: 'PATCHes consent changes into the CRM; a record it refuses on its own (404, 410, 400, 409, 422) comes back',
      kind: 'write',
      profile: 'batch',
      idempotencyKey:
        'contact-patch:<contact id>:<hash of the patch, its latest change time and, for a dead-letter retry, the attempt>',
      note: 'the refused records go on the dead-letter list; a 401/403, a 5xx or a 429 fails or retries the batch',
    },
  },
  sandbox: crmStandIn,
});

export const shop = defineSystem({
  name: 'shop',
  title: 'Shop',
  owns: 'orders and whether they are paid (source of truth); also sends the order.paid webhook',
  auth: 'bearer',
  defaultRatePerSecond: 10,
  activities: createShopActivities,
  activityDocs: {
    listPaidOrders: { does: 'reads the orders paid in a window', kind: 'read', profile: 'batch' },
  },
  sandbox: shopStandIn,
});

export const alerts = defineSystem({
  name: 'alerts',
  title: 'Alert inbox',
  owns: 'nothing: it receives one message per failure, retrying flow, schedule problem and dead-lettered record',
  auth: 'secret-url',
  defaultRatePerSecond: 5,
  deprecatedVariables: { url: 'ALERT_WEBHOOK_URL' },
  activities: createAlertActivities,
  activityDocs: {
    sendAlert: {
      does: 'posts a failure or retrying alert',
      kind: 'write',
      profile: 'alert',
      idempotencyKey: 'alert-<kind>:<workflow id>:<run id>[:<activity id>]',
      perRun: true,
      note: 'keyed per run on purpose: a re-run that fails again alerts again',
    },
    sendDeadLetterAlert: {
      does: 'posts one alert per record new to a sync’s dead-letter list',
      kind: 'write',
      profile: 'alert',
      idempotencyKey: 'dead-letter-alert:<sync state id>:<hash of the records and when they were listed>',
      note: 'a re-run finds the records already listed and alerts nothing; the key covers a retried delivery',
    },
    sendScheduleAlert: {
      does: 'posts one alert per new schedule problem',
      kind: 'write',
      profile: 'alert',
      idempotencyKey: 'schedule-alert:<problem>:<watchdog run>',
      perRun: true,
      note: 'keyed per problem and run: a re-run alerts again on the problems it finds',
    },
  },
  sandbox: alertsStandIn,
});

/** Every downstream system, in the order the catalog lists them. */
export const SYSTEMS = [accounting, emailPlatform, crm, shop, alerts] as const;

export type SystemName = (typeof SYSTEMS)[number]['name'];

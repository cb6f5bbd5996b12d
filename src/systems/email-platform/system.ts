import { defineSystem } from '../../kit/declare';
import { createEmailPlatformActivities } from './activities';
import { smtpConnector } from './smtp/connector';

export const emailPlatform = defineSystem({
  name: 'email-platform',
  title: 'Email platform',
  owns: "each contact's consent (source of truth); receives invoice emails and copies of the CRM's contact fields",
  auth: 'bearer',
  defaultRatePerSecond: 10,
  deprecatedVariables: { url: 'EMAIL_API_URL', key: 'EMAIL_API_KEY' },
  activities: createEmailPlatformActivities,
  connectors: [smtpConnector],
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
});

/** The declaration's type, for workflows: `systemActivities<EmailPlatform>('email-platform', profile)`. */
export type EmailPlatform = typeof emailPlatform;

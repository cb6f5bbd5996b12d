import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../../contracts/failures';
import type { ContactUpsert } from '../../contracts/sync-state';
import { safeText } from '../../redaction';
import { type ContactChangesQuery, type ContactPage, contactPage } from '../../kit/contact-pages';
import type { SystemActivityDeps } from '../../kit/activity-deps';
import { contentKey, idempotencyKey } from '../../kit/keys';

// The email platform: sends transactional email, owns each contact's consent, and receives copies of the CRM's
// contact fields.

export interface EmailMessage {
  id: string;
  to: string;
  subject: string;
}

export interface SendInvoiceEmailInput {
  orderId: string;
  invoiceId: string;
  to: string;
  total: number;
  currency: string;
  /**
   * Look in the platform's message log first. Set when the invoice existed before this run: an email may have gone
   * out for it under a key the platform no longer remembers. Absent (older runs) counts as true.
   */
  checkSent?: boolean;
}

/** A message as the platform's log lists it, with the data it was sent with. */
interface SentMessage extends EmailMessage {
  data?: { invoice_id?: unknown };
}

const address = (email: string) => email.trim().toLowerCase();

/** Whether `message` is the invoice email `input` would send: to the same address, for the same invoice. */
function isEmailOf(message: SentMessage, input: SendInvoiceEmailInput): boolean {
  return address(message.to) === address(input.to) && message.data?.invoice_id === input.invoiceId;
}

interface BatchAnswer {
  received: number;
  created: number;
  updated: number;
  error_count?: number;
  errors?: Array<{ external_id?: string | null; error_code?: string; message: string }>;
}

export interface UpsertResult {
  received: number;
  created: number;
  updated: number;
  /** Records the platform refused on their own; the others were applied. */
  rejected: Array<{ externalId: string; error: string }>;
}

export function createEmailPlatformActivities({ client }: SystemActivityDeps) {
  return {
    async sendInvoiceEmail(input: SendInvoiceEmailInput): Promise<EmailMessage> {
      // The platform's message log is the durable record of what was sent; its idempotency keys expire (often within
      // a day). A run after that (a replayed delivery once Temporal's retention has passed, a reset) finds the
      // order's invoice email there and sends no second one. A freshly created invoice cannot have been emailed.
      const earlier =
        input.checkSent === false
          ? []
          : (
              await client.request<{ data: SentMessage[] }>('GET', '/messages', {
                query: { template: 'invoice', order_id: input.orderId, limit: 100 },
                signal: Context.current().cancellationSignal,
              })
            ).body.data;
      const same = earlier.find((m) => isEmailOf(m, input));
      if (same) {
        Context.current().log.info('invoice email already sent for this order; not sending another', {
          orderId: input.orderId,
          messageId: same.id,
        });
        return same;
      }
      // An email for the order that went to another address, or for another invoice, is not this one: the customer
      // has not had it. The order's key may be that email's, so this one is keyed by what it is.
      if (earlier.length > 0) {
        Context.current().log.warn('the invoice emails sent for this order are for another recipient or invoice', {
          orderId: input.orderId,
          invoiceId: input.invoiceId,
          messageIds: earlier.map((m) => m.id),
        });
      }
      const key =
        earlier.length > 0
          ? contentKey('invoice-email', { orderId: input.orderId, invoiceId: input.invoiceId, to: address(input.to) })
          : idempotencyKey('invoice-email', input.orderId);
      const res = await client.request<EmailMessage>('POST', '/messages', {
        idempotencyKey: key,
        signal: Context.current().cancellationSignal,
        body: {
          to: input.to,
          template: 'invoice',
          subject: `Your invoice for order ${input.orderId}`,
          data: { order_id: input.orderId, invoice_id: input.invoiceId, total: input.total, currency: input.currency },
        },
      });
      return res.body;
    },

    /** Sets a contact's consent by email (an /api/v1 contact write), keyed by the command. */
    async upsertEmailContactConsent(input: {
      email: string;
      values: { consent?: { status: 'subscribed' | 'unsubscribed'; at: string } | null };
      key: string;
    }): Promise<{ id: string; email: string; created: boolean }> {
      const res = await client.request<{ id: string; email: string }>('PUT', '/contacts/by-email/{email}', {
        params: { email: input.email },
        body: input.values,
        idempotencyKey: idempotencyKey('contact-write', input.key),
        signal: Context.current().cancellationSignal,
      });
      return { id: res.body.id, email: res.body.email, created: res.status === 201 };
    },

    /** A page of contact changes since the watermark, or with `ids` the changes of those contacts (CRM ids). */
    async listEmailContactChanges(input: ContactChangesQuery): Promise<ContactPage> {
      return contactPage(client, '/contacts', input, 'external_ids', (raw) => raw.external_id);
    },

    /**
     * Upserts up to 100 contacts, keyed by the CRM id, in one call. Like Mailchimp's batch subscribe, the platform
     * applies the valid records and reports each invalid one in `errors` with a 200: those come back as `rejected`,
     * for the dead-letter list, instead of failing the batch. The key names the write: the batch and the change time
     * each record carries, so a value that returns (A→B→A) is a new write and not a replay of the first.
     */
    async upsertEmailContacts(input: { contacts: ContactUpsert[] }): Promise<UpsertResult> {
      const body = {
        contacts: input.contacts.map(({ externalId, version: _version, attempt: _attempt, ...values }) => ({
          external_id: externalId,
          ...values,
        })),
      };
      const versions = input.contacts.map((c) => c.version ?? null);
      const attempts = input.contacts.map((c) => c.attempt ?? 0);
      // An activity scheduled before versions were sent keeps the key it had, so its retries still replay.
      const keyed = versions.some((v) => v !== null)
        ? { body, versions, ...(attempts.some((a) => a > 0) ? { attempts } : {}) }
        : body;
      const res = await client.request<BatchAnswer>('POST', '/contacts/batch', {
        body,
        idempotencyKey: contentKey('contact-upsert', keyed),
        signal: Context.current().cancellationSignal,
      });
      const sent = new Set(input.contacts.map((c) => c.externalId));
      const rejected: UpsertResult['rejected'] = [];
      for (const e of res.body.errors ?? []) {
        // An error the platform cannot tie to a record we sent is not one record's problem: the batch is not done.
        // The platform's own words go to the dead-letter list, the ops CLI and an alert: no email, and bounded.
        if (typeof e.external_id !== 'string' || !sent.has(e.external_id)) {
          throw ApplicationFailure.nonRetryable(
            `email-platform reported an error for a record it was not sent (${safeText(String(e.external_id), 100)}): ` +
              safeText(String(e.message)),
            FailureType.rejected,
          );
        }
        rejected.push({ externalId: e.external_id, error: safeText(`${e.error_code ?? 'rejected'}: ${e.message}`) });
      }
      return { received: res.body.received, created: res.body.created, updated: res.body.updated, rejected };
    },
  };
}

export type EmailPlatformActivities = ReturnType<typeof createEmailPlatformActivities>;

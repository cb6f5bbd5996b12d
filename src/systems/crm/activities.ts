import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../../contracts/failures';
import type { CrmPatch } from '../../contracts/sync-state';
import { safeText } from '../../redaction';
import { type ContactChangesQuery, type ContactPage, contactPage } from '../../kit/contact-pages';
import type { SystemActivityDeps } from '../../kit/activity-deps';
import { downstreamDetails } from '../../kit/http';
import { contentKey, idempotencyKey } from '../../kit/keys';

// The CRM: owns each contact's identity (email, name, company) and receives consent back from the email platform.

/** A contact as the CRM holds it, for the API's contact write and read. */
export interface CrmContactRecord {
  id: string;
  email: string;
  name: string;
  company: string | null;
}

/** What a batch of PATCHes did: how many the CRM applied, and the ones it refused on their own. */
export interface CrmPatchResult {
  patched: number;
  refused: Array<{ id: string; error: string }>;
}

/**
 * The answers that refuse one record and say nothing of the others: the contact is gone (404, 410), or this record's
 * values are refused (400, 409, 422). A 401 or 403 is the integration's key, and fails the batch as it should.
 */
const PER_RECORD_STATUSES = new Set([400, 404, 409, 410, 422]);

function refusalOf(err: unknown): string | undefined {
  if (!(err instanceof ApplicationFailure) || err.type !== FailureType.rejected) return undefined;
  const details = downstreamDetails(err);
  if (!details || !PER_RECORD_STATUSES.has(details.status)) return undefined;
  return safeText(`${details.status}: ${details.responseMessage ?? err.message}`);
}

export function createCrmActivities({ client }: SystemActivityDeps) {
  const patchOne = (patch: CrmPatch, signal: AbortSignal) =>
    client.request('PATCH', '/contacts/{id}', {
      params: { id: patch.id },
      body: patch.values,
      // The id through idempotencyKey: a CRM id outside visible ASCII would make the header invalid. A re-send from
      // the dead-letter list adds its attempt: the CRM keeps its refusal under the first key.
      idempotencyKey: contentKey(
        idempotencyKey('contact-patch', patch.id),
        patch.version === undefined
          ? patch.values
          : { values: patch.values, version: patch.version, ...(patch.attempt ? { attempt: patch.attempt } : {}) },
      ),
      signal,
    });
  return {
    /** Creates or updates the contact with this email (an /api/v1 contact write), keyed by the command. */
    async upsertCrmContact(input: {
      email: string;
      values: { name?: string; company?: string | null };
      key: string;
    }): Promise<CrmContactRecord & { created: boolean }> {
      const res = await client.request<CrmContactRecord>('PUT', '/contacts/by-email/{email}', {
        params: { email: input.email },
        body: input.values,
        idempotencyKey: idempotencyKey('contact-write', input.key),
        signal: Context.current().cancellationSignal,
      });
      const { id, email, name, company } = res.body;
      return { id, email, name, company, created: res.status === 201 };
    },

    /** A page of contact changes since the watermark, or with `ids` the changes of those contacts. */
    async listCrmContactChanges(input: ContactChangesQuery): Promise<ContactPage> {
      return contactPage(client, '/contacts', input, 'ids', (raw) => raw.id);
    },

    /**
     * PATCHes each contact in the CRM, heartbeating its position so a retry resumes after the last one done. Each key
     * names the write by its values and the change time they come from: consent restored to an earlier value is new.
     */
    async patchCrmContacts(input: { patches: CrmPatch[] }): Promise<number> {
      const ctx = Context.current();
      const done = typeof ctx.info.heartbeatDetails === 'number' ? ctx.info.heartbeatDetails : 0;
      for (let i = done; i < input.patches.length; i += 1) {
        await patchOne(input.patches[i]!, ctx.cancellationSignal);
        ctx.heartbeat(i + 1);
      }
      return input.patches.length;
    },

    /**
     * As patchCrmContacts, but a record the CRM refuses on its own (the contact was deleted, its values are refused)
     * comes back in `refused` instead of failing the batch: the sync puts it on the dead-letter list and goes on. Any
     * other failure (the CRM down, throttling, our key refused) is thrown as before, and retried from the position.
     */
    async patchCrmContactRecords(input: { patches: CrmPatch[] }): Promise<CrmPatchResult> {
      const ctx = Context.current();
      const resumed = ctx.info.heartbeatDetails as Partial<{ next: number; refused: CrmPatchResult['refused'] }> | null;
      const refused = [...(resumed?.refused ?? [])];
      for (let i = resumed?.next ?? 0; i < input.patches.length; i += 1) {
        const patch = input.patches[i]!;
        try {
          await patchOne(patch, ctx.cancellationSignal);
        } catch (err) {
          const refusal = refusalOf(err);
          if (refusal === undefined) throw err;
          ctx.log.warn('contact refused by the CRM: for the dead-letter list', { contactId: patch.id, error: refusal });
          refused.push({ id: patch.id, error: refusal });
        }
        ctx.heartbeat({ next: i + 1, refused });
      }
      return { patched: input.patches.length - refused.length, refused };
    },
  };
}

export type CrmActivities = ReturnType<typeof createCrmActivities>;

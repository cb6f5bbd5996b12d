import { Context } from '@temporalio/activity';
import type { CrmPatch } from '../contracts/sync-state';
import { type ContactChangesQuery, type ContactPage, contactPage } from './contacts';
import type { SystemActivityDeps } from './deps';
import { contentKey, idempotencyKey } from './keys';

// The CRM: owns each contact's identity (email, name, company) and receives consent back from the email platform.

/** A contact as the CRM holds it, for the API's contact write and read. */
export interface CrmContactRecord {
  id: string;
  email: string;
  name: string;
  company: string | null;
}

export function createCrmActivities({ client }: SystemActivityDeps) {
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
        const patch = input.patches[i]!;
        await client.request('PATCH', '/contacts/{id}', {
          params: { id: patch.id },
          body: patch.values,
          // The id through idempotencyKey: a CRM id outside visible ASCII would make the header invalid.
          idempotencyKey: contentKey(
            idempotencyKey('contact-patch', patch.id),
            patch.version === undefined ? patch.values : { values: patch.values, version: patch.version },
          ),
          signal: ctx.cancellationSignal,
        });
        ctx.heartbeat(i + 1);
      }
      return input.patches.length;
    },
  };
}

export type CrmActivities = ReturnType<typeof createCrmActivities>;

import { Context } from '@temporalio/activity';
import type { ContactValues } from '../domain/ownership';
import { type ContactPage, contactPage } from './contacts';
import type { SystemActivityDeps } from './deps';
import { contentKey } from './keys';

// The CRM: owns each contact's identity (email, name, company) and receives consent back from the email platform.

export function createCrmActivities({ client }: SystemActivityDeps) {
  return {
    async listCrmContactChanges(input: { since: string | null; cursor: string | null }): Promise<ContactPage> {
      return contactPage(client, '/contacts', input.since, input.cursor, (raw) => raw.id);
    },

    /** PATCHes each contact in the CRM, heartbeating its position so a retry resumes after the last one done. */
    async patchCrmContacts(input: { patches: Array<{ id: string; values: ContactValues }> }): Promise<number> {
      const ctx = Context.current();
      const done = typeof ctx.info.heartbeatDetails === 'number' ? ctx.info.heartbeatDetails : 0;
      for (let i = done; i < input.patches.length; i += 1) {
        const patch = input.patches[i]!;
        await client.request('PATCH', `/contacts/${encodeURIComponent(patch.id)}`, {
          body: patch.values,
          idempotencyKey: contentKey(`contact-patch:${patch.id}`, patch.values),
          signal: ctx.cancellationSignal,
        });
        ctx.heartbeat(i + 1);
      }
      return input.patches.length;
    },
  };
}

export type CrmActivities = ReturnType<typeof createCrmActivities>;

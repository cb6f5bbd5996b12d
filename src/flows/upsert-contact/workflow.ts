import { workflowInfo } from '@temporalio/workflow';
import type { CommandInput } from '../../contracts/commands';
import type { ContactSystem } from '../../domain/ownership';
import { systemActivities } from '../common/activities';
import { runCommand } from '../common/command';
import type { Crm } from '../../systems/crm/system';
import type { EmailPlatform } from '../../systems/email-platform/system';

export interface UpsertContactInput extends CommandInput {
  /** The owner written to: the caller's system, whose fields alone the API let through. */
  system: ContactSystem;
  email: string;
  values: {
    name?: string;
    company?: string | null;
    consent?: { status: 'subscribed' | 'unsubscribed'; at: string } | null;
  };
}

export interface UpsertContactResult {
  system: ContactSystem;
  id: string;
  email: string;
  created: boolean;
}

/**
 * POST /api/v1/contacts: creates or updates the contact in its owning system. The contact sync copies the change to
 * the other system on its next run, as for a change made in the owner's own UI.
 */
export async function upsertContact(input: UpsertContactInput): Promise<UpsertContactResult> {
  return runCommand(input, { event: 'ContactUpsertRequested', businessKey: input.email }, async () => {
    const key = workflowInfo().workflowId;
    if (input.system === 'crm') {
      const { name, company } = input.values;
      const saved = await systemActivities<Crm>('crm', 'command').upsertCrmContact({
        email: input.email,
        values: { name, company },
        key,
      });
      return { system: input.system, id: saved.id, email: saved.email, created: saved.created };
    }
    const saved = await systemActivities<EmailPlatform>('email-platform', 'command').upsertEmailContactConsent({
      email: input.email,
      values: { consent: input.values.consent },
      key,
    });
    return { system: input.system, ...saved };
  });
}

import type { AlertKind } from '../../contracts/alerts';
import { printable } from '../../printable';
import { emailHash, redactEmails, safeText } from '../../redaction';
import { executionLink, type SystemActivityDeps } from '../../kit/activity-deps';
import { contentKey, idempotencyKey } from '../../kit/keys';

// The alert inbox (a Slack-compatible incoming webhook whose URL is the secret): how failures reach a person.
// An alert is read by people, kept by a third party and forwarded: it names a contact by the hash its log lines carry,
// and quotes text from outside (a downstream's error) scrubbed, bounded and inert (src/redaction.ts, printable.ts).

/** Text from outside, as an alert may quote it. */
const quoted = (text: string) => printable(safeText(text));

/** A business key as an alert names it: itself, or the hash of the address in it (`email:<12 hex>`). */
const keyShown = (key: string) => printable(redactEmails(key));

export interface AlertInput {
  /** needs-review: the flow finished without acting, because a person must decide (`error` says what is wrong). */
  kind: Exclude<AlertKind, 'schedule' | 'credential'>;
  workflowId: string;
  runId: string;
  workflowType: string;
  source?: string;
  event?: string;
  businessKey?: string;
  error: string;
  /** For "retrying" alerts: the activity that keeps failing, and the attempt that raised the alert. */
  activityId?: string;
  activityType?: string;
  attempt?: number;
}

export interface ScheduleAlertInput {
  key: string;
  scheduleId: string;
  problem: string;
  detail: string;
}

export interface DeadLetterAlertInput {
  /** The sync and its state workflow, where the list is kept. */
  sync: string;
  stateWorkflowId: string;
  /** The run that met the rejections. */
  workflowId: string;
  runId: string;
  system: string;
  /**
   * Records new to the dead-letter list: each is alerted once, when it is added. `email` is the contact's address when
   * the record has one: the alert names the contact by its hash (`email:<12 hex>`), never by the address.
   */
  added: Array<{ id: string; error: string; firstSeen: string; email?: string }>;
  /** Records rejected while the list was full: not kept, so said here. */
  notKept: string[];
}

export interface CredentialAlertInput {
  /** Unique per problem and check run: a retried delivery repeats it. */
  key: string;
  /** The variable that holds it (or a connection's id): never its value. */
  credential: string;
  state: 'expiring' | 'expired' | 'broken';
  kind: string;
  owner: string;
  runbook: string;
  expires?: string;
  /** Why, in the registry's words (a date, or what a state source reported). */
  detail: string;
}

export function createAlertActivities(deps: SystemActivityDeps) {
  const { client } = deps;
  return {
    async sendAlert(input: AlertInput): Promise<void> {
      const link = executionLink(deps, input.workflowId, input.runId);
      const businessKey = input.businessKey === undefined ? undefined : keyShown(input.businessKey);
      const error = quoted(input.error);
      const subject = businessKey ?? printable(input.workflowId);
      const headline =
        input.kind === 'failed'
          ? `:red_circle: ${input.workflowType} failed for ${subject}`
          : input.kind === 'budget'
            ? `:hourglass_flowing_sand: the daily call budget is running low for ${subject}`
            : input.kind === 'needs-review'
              ? `:large_orange_circle: ${input.workflowType} needs review for ${subject}`
              : `:warning: ${input.workflowType} is still retrying ${input.activityType ?? 'an activity'} ` +
                `(attempt ${input.attempt ?? '?'}) for ${subject}`;
      // One alert per failed run, and one per retrying activity of a run: a redelivery repeats the same key.
      // A budget alert is one per system, tenant and day (its business key), whichever run saw it first.
      const scope =
        input.kind === 'budget'
          ? (input.businessKey ?? input.workflowId)
          : [input.workflowId, input.runId, input.activityId].filter(Boolean).join(':');
      await client.request('POST', '', {
        idempotencyKey: idempotencyKey(`alert-${input.kind}`, scope),
        body: {
          text: `${headline}: ${error} <${link}|open in Temporal>`,
          kind: input.kind,
          workflow_id: input.workflowId,
          run_id: input.runId,
          workflow_type: input.workflowType,
          source: input.source,
          event: input.event,
          business_key: businessKey,
          error,
          activity_type: input.activityType,
          attempt: input.attempt,
          link,
        },
      });
      deps.onAlertSent?.(input.kind);
    },

    /** One alert per batch of records new to a sync's dead-letter list, keyed by those records and when they joined. */
    async sendDeadLetterAlert(input: DeadLetterAlertInput): Promise<void> {
      const link = executionLink(deps, input.workflowId, input.runId);
      const records = input.added.map(({ email, ...r }) => ({
        ...r,
        id: printable(redactEmails(r.id)),
        ...(email ? { contact: emailHash(email) } : {}),
        error: quoted(r.error),
      }));
      const listed = records.map((r) => `${r.id}${r.contact ? ` ${r.contact}` : ''} (${r.error})`);
      const parts = [
        `:inbox_tray: ${input.sync} sync: ${input.system} rejected ${input.added.length + input.notKept.length} ` +
          `record(s); the rest of the page went through and the watermark moves on.`,
      ];
      if (listed.length) parts.push(`On the dead-letter list: ${listed.slice(0, 20).join('; ')}`);
      if (listed.length > 20) parts.push(`and ${listed.length - 20} more`);
      if (input.notKept.length) {
        const notKept = input.notKept.slice(0, 20).map((id) => printable(id));
        parts.push(`NOT kept, the list is full: ${notKept.join(', ')} (drop or retry entries)`);
      }
      parts.push('Fix the record at its source, or `npm run ops -- sync-dlq list|retry|drop`.');
      await client.request('POST', '', {
        idempotencyKey: contentKey(`dead-letter-alert:${input.stateWorkflowId}`, {
          added: input.added.map((r) => [r.id, r.firstSeen]),
          notKept: input.notKept,
          run: input.notKept.length ? input.runId : undefined,
        }),
        body: {
          text: `${parts.join(' ')} <${link}|open in Temporal>`,
          kind: 'dead-letter',
          sync: input.sync,
          system: input.system,
          state_workflow_id: input.stateWorkflowId,
          workflow_id: input.workflowId,
          run_id: input.runId,
          records,
          not_kept: input.notKept,
          link,
        },
      });
      deps.onAlertSent?.('dead-letter');
    },

    /** One alert per credential problem: its variable, owner and runbook, never its value. */
    async sendCredentialAlert(input: CredentialAlertInput): Promise<void> {
      const icon = input.state === 'expiring' ? ':hourglass_flowing_sand:' : ':closed_lock_with_key:';
      const detail = quoted(input.detail);
      const credential = printable(input.credential);
      await client.request('POST', '', {
        idempotencyKey: `credential-alert:${input.key}`,
        body: {
          text:
            `${icon} credential ${credential} is ${input.state}: ${detail}. Owner: ${printable(input.owner)}. ` +
            `Rotate it: ${printable(input.runbook)}`,
          kind: 'credential' satisfies AlertKind,
          credential,
          state: input.state,
          credential_kind: input.kind,
          owner: printable(input.owner),
          runbook: printable(input.runbook),
          expires: input.expires,
          detail,
        },
      });
      deps.onAlertSent?.('credential');
    },

    async sendScheduleAlert(input: ScheduleAlertInput): Promise<void> {
      const ns = encodeURIComponent(deps.namespace);
      const link = `${deps.temporalUiUrl}/namespaces/${ns}/schedules/${encodeURIComponent(input.scheduleId)}`;
      const detail = quoted(input.detail);
      await client.request('POST', '', {
        idempotencyKey: `schedule-alert:${input.key}`,
        body: {
          text: `:rotating_light: schedule ${printable(input.scheduleId)}: ${detail} <${link}|open in Temporal>`,
          kind: 'schedule' satisfies AlertKind,
          schedule_id: input.scheduleId,
          problem: input.problem,
          detail,
          link,
        },
      });
      deps.onAlertSent?.('schedule');
    },
  };
}

export type AlertActivities = ReturnType<typeof createAlertActivities>;

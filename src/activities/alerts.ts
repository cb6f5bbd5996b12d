import { executionLink, type SystemActivityDeps } from './deps';
import { idempotencyKey } from './keys';

// The alert inbox (a Slack-compatible incoming webhook whose URL is the secret): how failures reach a person.

export interface AlertInput {
  /** needs-review: the flow finished without acting, because a person must decide (`error` says what is wrong). */
  kind: 'failed' | 'retrying' | 'needs-review';
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

export function createAlertActivities(deps: SystemActivityDeps) {
  const { client } = deps;
  return {
    async sendAlert(input: AlertInput): Promise<void> {
      const link = executionLink(deps, input.workflowId, input.runId);
      const subject = input.businessKey ?? input.workflowId;
      const headline =
        input.kind === 'failed'
          ? `:red_circle: ${input.workflowType} failed for ${subject}`
          : input.kind === 'needs-review'
            ? `:large_orange_circle: ${input.workflowType} needs review for ${subject}`
            : `:warning: ${input.workflowType} is still retrying ${input.activityType ?? 'an activity'} ` +
              `(attempt ${input.attempt ?? '?'}) for ${subject}`;
      // One alert per failed run, and one per retrying activity of a run: a redelivery repeats the same key.
      const scope = [input.workflowId, input.runId, input.activityId].filter(Boolean).join(':');
      await client.request('POST', '', {
        idempotencyKey: idempotencyKey(`alert-${input.kind}`, scope),
        body: {
          text: `${headline}: ${input.error} <${link}|open in Temporal>`,
          kind: input.kind,
          workflow_id: input.workflowId,
          run_id: input.runId,
          workflow_type: input.workflowType,
          source: input.source,
          event: input.event,
          business_key: input.businessKey,
          error: input.error,
          activity_type: input.activityType,
          attempt: input.attempt,
          link,
        },
      });
      deps.onAlertSent?.(input.kind);
    },

    async sendScheduleAlert(input: ScheduleAlertInput): Promise<void> {
      const ns = encodeURIComponent(deps.namespace);
      const link = `${deps.temporalUiUrl}/namespaces/${ns}/schedules/${encodeURIComponent(input.scheduleId)}`;
      await client.request('POST', '', {
        idempotencyKey: `schedule-alert:${input.key}`,
        body: {
          text: `:rotating_light: schedule ${input.scheduleId}: ${input.detail} <${link}|open in Temporal>`,
          kind: 'schedule',
          schedule_id: input.scheduleId,
          problem: input.problem,
          detail: input.detail,
          link,
        },
      });
      deps.onAlertSent?.('schedule');
    },
  };
}

export type AlertActivities = ReturnType<typeof createAlertActivities>;

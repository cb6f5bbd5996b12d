import type { Context } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import type { AlertInput } from '../systems/alerts/activities';
import type { Logger } from '../logger';
import { activityRecoveredSignal, activityRetryingSignal } from '../contracts/flow-signals';
import { ConnectionFailure } from '../contracts/failures';

export interface RetryingAlertOptions {
  /** The attempt whose failure raises the alert (RETRYING_ALERT_AFTER_ATTEMPTS). */
  afterAttempts: number;
  sendAlert(input: AlertInput): Promise<void>;
  logger: Logger;
}

/** Whether Temporal will schedule another attempt after `err`, as far as the activity can tell. */
export function willRetry(err: unknown, ctx: Context): boolean {
  if (err instanceof CancelledFailure) return false;
  const policy = ctx.info.retryPolicy;
  if (policy?.maximumAttempts && ctx.info.attempt >= policy.maximumAttempts) return false;
  if (err instanceof ApplicationFailure) {
    if (err.nonRetryable) return false;
    if (err.type && policy?.nonRetryableErrorTypes?.includes(err.type)) return false;
  }
  return true;
}

/**
 * An activity interceptor that makes a long retry visible while it lasts: when attempt N fails and another will
 * follow, it sends one "retrying" alert with that error (keyed by run and activity, so a redelivery repeats nothing)
 * and signals the workflow, which sets IntegrationStatus=retrying; when a later attempt succeeds it signals again so
 * the status goes back to processing. Attempt N runs once per activity, hence one alert. An activity held by a broken
 * OAuth connection is marked retrying without an alert of its own: the connection's one alert covers every caller.
 */
export function retryingAlertInterceptor(options: RetryingAlertOptions): ActivityInterceptorsFactory {
  return (ctx) => ({
    inbound: {
      async execute(input, next) {
        const { attempt, activityId, activityType, workflowExecution, workflowType } = ctx.info;
        // An alert that cannot be delivered is not alerted about through the same channel; its own logs say it.
        const watched = workflowExecution !== undefined && activityType !== 'sendAlert';
        try {
          const result = await next(input);
          if (watched && attempt > options.afterAttempts) {
            await ctx.client.workflow
              .getHandle(workflowExecution.workflowId, workflowExecution.runId)
              .signal(activityRecoveredSignal, { activityId })
              .catch((err: unknown) => options.logger.warn({ err, activityId }, 'could not signal recovery'));
          }
          return result;
        } catch (err) {
          if (watched && attempt === options.afterAttempts && willRetry(err, ctx)) {
            const error = err instanceof Error ? err.message : String(err);
            const { workflowId, runId } = workflowExecution;
            // Held by a broken connection: its own alert, one for every caller, names it and the re-authorise link.
            const held = err instanceof ApplicationFailure && err.type === ConnectionFailure.broken;
            options.logger.warn(
              { workflowId, activityType, attempt, error },
              held ? 'activity held by a broken connection' : 'activity still retrying: alerting',
            );
            await Promise.all([
              held
                ? undefined
                : options
                    .sendAlert({
                      kind: 'retrying',
                      workflowId,
                      runId,
                      workflowType: workflowType ?? 'workflow',
                      activityId,
                      activityType,
                      attempt,
                      error,
                    })
                    .catch((e: unknown) =>
                      options.logger.error({ err: e, workflowId }, 'retrying alert not delivered'),
                    ),
              ctx.client.workflow
                .getHandle(workflowId, runId)
                .signal(activityRetryingSignal, { activityId, activityType, attempt, error })
                .catch((e: unknown) => options.logger.warn({ err: e, workflowId }, 'could not signal retrying')),
            ]);
          }
          throw err;
        }
      },
    },
  });
}

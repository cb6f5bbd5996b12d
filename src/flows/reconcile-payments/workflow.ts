import {
  ApplicationFailure,
  continueAsNew,
  log,
  ParentClosePolicy,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { prefixOf } from '../../contracts/task-queues';
import { webhookWorkflowId } from '../../contracts/workflow-ids';
import type { PaymentSucceeded } from '../../domain/events';
import { BUSINESS_KEY, EVENT_ID, EVENT_TYPE, INTEGRATION_STATUS, SOURCE } from '../../domain/search-attributes';
import type { PaymentSucceededOptions } from '../payment-succeeded/workflow';
import type { PaymentEvent } from '../../systems/stripe/activities';
import { systemActivities } from '../common/activities';
import { runFlow } from '../common/run';
import { recordScheduledStart } from '../common/scheduled-run';
import type { StripeSystem } from '../../systems/stripe/system';

// The safety net under the Stripe webhook: every payment_intent.succeeded event Stripe lists in the window gets
// paymentSucceeded under the very id its webhook delivery gets (<prefix>stripe:<event id>), so a payment that reaches
// us both ways is recorded once: whichever starts second meets the first (WorkflowExecutionAlreadyStarted here, the
// ingress's USE_EXISTING/REJECT_DUPLICATE there).

/** The webhook source's name: the first part of the ids its deliveries start (src/api/webhooks/start.ts). */
const WEBHOOK_SOURCE = 'stripe';

export interface ReconcilePaymentsInput {
  /**
   * How far back from the run's nominal time to look (default 180 min: three hourly runs overlap each event). Keep it
   * shorter than the namespace's retention: a closed execution is what makes a second start a duplicate.
   */
  lookbackMinutes?: number;
  /** Events this recent are left to their webhook (default 15 min). */
  graceMinutes?: number;
  /** An explicit window, instead of the one derived from the scheduled time. */
  window?: { since: string; until: string };
  /** Events per page, 1..100 (default 100). */
  pageSize?: number;
  historyLimit?: number;
  /** TASK_QUEUE_PREFIX of the deployment (the schedule sets it); without it, the prefix of the run's queue. */
  idPrefix?: string;
  /** Passed to each paymentSucceeded it starts (default true: the event came from Stripe's API, so its PaymentIntent is there). */
  verifyByFetch?: boolean;
  /** Set by continueAsNew only. */
  progress?: ReconcilePaymentsProgress;
}

interface ReconcilePaymentsProgress {
  window: { since: string; until: string };
  /** The last event id of the last page read (Stripe's starting_after). */
  cursor: string | null;
  checked: number;
  started: string[];
  alreadyHandled: string[];
  /** Events the webhook path would refuse too (no order id, an unknown currency), with why. */
  skipped: Array<{ eventId: string; problem: string }>;
  failed: string[];
}

export interface ReconcilePaymentsResult {
  window: { since: string; until: string };
  /** payment_intent.succeeded events Stripe listed in the window. */
  checked: number;
  /** Event ids whose paymentSucceeded this run started: their webhook had not (yet) arrived. */
  started: string[];
  /** Event ids whose paymentSucceeded existed already (the webhook's, or an earlier reconciliation's). */
  alreadyHandled: string[];
  skipped: Array<{ eventId: string; problem: string }>;
  failed: string[];
}

/** The time this run stands for: the schedule's nominal time (so a backfill covers its own hour), else now. */
function nominalTime(): number {
  const scheduled = workflowInfo().searchAttributes?.TemporalScheduledStartTime?.[0];
  const parsed = scheduled ? new Date(scheduled as string | Date).getTime() : NaN;
  return Number.isNaN(parsed) ? Date.now() : parsed;
}

/**
 * Lists payment_intent.succeeded events in the window [nominal time − lookback, nominal time − grace], page by page
 * with Stripe's cursor, and starts paymentSucceeded for each as the webhook would have. The children are started, not
 * awaited (ABANDON): each alerts on its own failure or needs-review, and one waiting days for its order's invoice
 * must not hold the next hourly run. The watermark is the window itself, derived from the schedule's nominal time
 * and carried through continueAsNew with the cursor: nothing else is stored.
 */
export async function reconcilePayments(input: ReconcilePaymentsInput = {}): Promise<ReconcilePaymentsResult> {
  recordScheduledStart();
  const stripe = systemActivities<StripeSystem>('stripe', 'batch');
  const historyLimit = input.historyLimit ?? 2_000;
  const prefix = input.idPrefix ?? prefixOf(workflowInfo().taskQueue);
  const options: PaymentSucceededOptions = { verifyByFetch: input.verifyByFetch ?? true };

  const outcome = await runFlow({ businessKey: 'reconcile-payments' }, async () => {
    let p: ReconcilePaymentsProgress;
    if (input.progress) p = input.progress;
    else {
      const until = nominalTime() - (input.graceMinutes ?? 15) * 60_000;
      const window = input.window ?? {
        since: new Date(until - (input.lookbackMinutes ?? 180) * 60_000).toISOString(),
        until: new Date(until).toISOString(),
      };
      p = { window, cursor: null, checked: 0, started: [], alreadyHandled: [], skipped: [], failed: [] };
    }

    const start = async (e: PaymentEvent) => {
      if ('problem' in e.payment) {
        p.skipped.push({ eventId: e.eventId, problem: e.payment.problem });
        log.warn('reconciliation skipped a payment the webhook path would refuse too', {
          eventId: e.eventId,
          problem: e.payment.problem,
        });
        return;
      }
      const event: PaymentSucceeded = {
        type: 'PaymentSucceeded',
        source: WEBHOOK_SOURCE,
        eventId: e.eventId,
        occurredAt: e.created,
        payment: e.payment,
      };
      const workflowId = webhookWorkflowId(prefix, WEBHOOK_SOURCE, e.eventId);
      try {
        await startChild('paymentSucceeded', {
          workflowId,
          args: [event, options],
          workflowIdReusePolicy: 'REJECT_DUPLICATE',
          parentClosePolicy: ParentClosePolicy.ABANDON,
          typedSearchAttributes: [
            { key: SOURCE, value: WEBHOOK_SOURCE },
            { key: EVENT_TYPE, value: event.type },
            { key: EVENT_ID, value: e.eventId },
            { key: BUSINESS_KEY, value: e.payment.orderId },
            { key: INTEGRATION_STATUS, value: 'processing' },
          ],
          memo: { startedBy: 'reconcilePayments' },
        });
        p.started.push(e.eventId);
        log.warn('reconciliation started a payment whose webhook had not arrived', { eventId: e.eventId, workflowId });
      } catch (err) {
        if (err instanceof WorkflowExecutionAlreadyStartedError) p.alreadyHandled.push(e.eventId);
        else {
          p.failed.push(e.eventId);
          log.error('reconciliation could not start a payment', { eventId: e.eventId, error: String(err) });
        }
      }
    };

    for (;;) {
      const page = await stripe.listPaymentEvents({
        ...p.window,
        limit: input.pageSize ?? 100,
        ...(p.cursor ? { startingAfter: p.cursor } : {}),
      });
      p.checked += page.events.length;
      await Promise.all(page.events.map(start));
      if (!page.hasMore || !page.cursor) break;
      p.cursor = page.cursor;
      if (workflowInfo().historyLength > historyLimit || workflowInfo().continueAsNewSuggested) {
        return { continueWith: p };
      }
    }
    log.info('payment reconciliation finished', { checked: p.checked, started: p.started.length, window: p.window });
    if (p.failed.length > 0) {
      // runFlow alerts; the next run's window still holds these events and tries them again.
      throw ApplicationFailure.nonRetryable(
        `could not start paymentSucceeded for ${p.failed.length} Stripe event(s): ${p.failed.slice(0, 20).join(', ')}`,
        'ReconciliationIncomplete',
      );
    }
    const { cursor: _cursor, ...result } = p;
    return { result };
  });

  if ('continueWith' in outcome) {
    return continueAsNew<typeof reconcilePayments>({ ...input, progress: outcome.continueWith });
  }
  return outcome.result;
}

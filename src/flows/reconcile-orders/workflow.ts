import { continueAsNew, executeChild, log, ParentClosePolicy, patched, workflowInfo } from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { prefixOf } from '../../contracts/task-queues';
import { reconcileChildId } from '../../contracts/workflow-ids';
import type { OrderPaid } from '../../domain/events';
import { systemActivities } from '../common/activities';
import { runFlow } from '../common/run';
import { recordScheduledStart } from '../common/scheduled-run';
import type { Accounting } from '../../systems/accounting/system';
import type { Shop } from '../../systems/shop/system';

/**
 * patched() id of the children's ids carrying TASK_QUEUE_PREFIX and fitting Temporal's id limit (they were
 * `reconcile:<order id>`, whatever the deployment and however long the order id).
 */
export const SCOPED_CHILD_IDS = 'reconcile-scoped-child-ids';

/**
 * The id of the child that repairs `orderId`: as runs recorded before SCOPED_CHILD_IDS did, or as every new run does.
 * The prefix comes from the input, which the history records: a replay runs on a queue of its own, so the queue's
 * prefix would name other children than the run started.
 */
function childIdOf(input: ReconcileOrdersInput, orderId: string): string {
  if (!patched(SCOPED_CHILD_IDS)) return `reconcile:${orderId}`;
  return reconcileChildId(input.idPrefix ?? prefixOf(workflowInfo().taskQueue), orderId);
}

export interface ReconcileOrdersInput {
  /** How far back from the run's nominal time to look (default 180 min: three hourly runs overlap each order). */
  lookbackMinutes?: number;
  /** Orders paid this recently are left to their webhook (default 10 min). */
  graceMinutes?: number;
  /** An explicit window, instead of the one derived from the scheduled time. */
  window?: { since: string; until: string };
  historyLimit?: number;
  /**
   * TASK_QUEUE_PREFIX of the deployment, which the children's ids start with (the schedule sets it). Without it, the
   * prefix of the queue the run is on.
   */
  idPrefix?: string;
  /** Set by continueAsNew only. */
  progress?: ReconcileProgress;
}

interface ReconcileProgress {
  window: { since: string; until: string };
  cursor: string | null;
  checked: number;
  repaired: string[];
  alreadyRepairing: string[];
  failed: string[];
}

export interface ReconcileOrdersResult {
  window: { since: string; until: string };
  checked: number;
  /** Orders the shop reports paid that had no invoice and now have one. */
  gapsRepaired: number;
  repaired: string[];
  alreadyRepairing: string[];
  failed: string[];
}

/** The time this run stands for: the schedule's nominal time (so a backfill covers its own hour), else now. */
function nominalTime(): number {
  const scheduled = workflowInfo().searchAttributes?.TemporalScheduledStartTime?.[0];
  const parsed = scheduled ? new Date(scheduled as string | Date).getTime() : NaN;
  return Number.isNaN(parsed) ? Date.now() : parsed;
}

/**
 * The safety net under the webhooks: every order the shop reports paid in the window must have an invoice; for each
 * one without, the same invoice flow runs as `<prefix>reconcile:<order id>`, whose business-key idempotency keeps a later
 * webhook from creating a second invoice.
 */
export async function reconcileOrders(input: ReconcileOrdersInput = {}): Promise<ReconcileOrdersResult> {
  recordScheduledStart();
  const shop = systemActivities<Shop>('shop', 'batch');
  const accounting = systemActivities<Accounting>('accounting', 'batch');
  const historyLimit = input.historyLimit ?? 2_000;

  const outcome = await runFlow({ businessKey: 'reconcile-orders' }, async () => {
    let p: ReconcileProgress;
    if (input.progress) p = input.progress;
    else {
      const until = nominalTime() - (input.graceMinutes ?? 10) * 60_000;
      const window = input.window ?? {
        since: new Date(until - (input.lookbackMinutes ?? 180) * 60_000).toISOString(),
        until: new Date(until).toISOString(),
      };
      p = { window, cursor: null, checked: 0, repaired: [], alreadyRepairing: [], failed: [] };
    }

    for (;;) {
      const page = await shop.listPaidOrders({ ...p.window, cursor: p.cursor });
      p.checked += page.orders.length;
      const missing = new Set(
        page.orders.length ? await accounting.findUninvoicedOrders({ orderIds: page.orders.map((o) => o.id) }) : [],
      );
      await Promise.all(
        page.orders
          .filter((o) => missing.has(o.id))
          .map(async (order) => {
            const event: OrderPaid = {
              type: 'OrderPaid',
              source: 'reconcile',
              eventId: `reconcile:${order.id}`,
              occurredAt: order.paidAt ?? p.window.until,
              order: { id: order.id, total: order.total, currency: order.currency, customerEmail: order.customerEmail },
            };
            const childId = childIdOf(input, order.id);
            try {
              await executeChild('orderPaid', {
                workflowId: childId,
                args: [event],
                workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
                parentClosePolicy: ParentClosePolicy.ABANDON,
              });
              p.repaired.push(order.id);
              log.warn('reconciliation repaired a missed order: it was paid but had no invoice', {
                orderId: order.id,
                repairedBy: childId,
              });
            } catch (err) {
              if (err instanceof WorkflowExecutionAlreadyStartedError) p.alreadyRepairing.push(order.id);
              else {
                p.failed.push(order.id);
                log.error('reconciliation could not repair an order', { orderId: order.id, error: String(err) });
              }
            }
          }),
      );
      p.cursor = page.next;
      if (!page.next) break;
      if (workflowInfo().historyLength > historyLimit || workflowInfo().continueAsNewSuggested) {
        return { continueWith: p };
      }
    }
    log.info('reconciliation finished', { checked: p.checked, repaired: p.repaired.length, window: p.window });
    return {
      result: {
        window: p.window,
        checked: p.checked,
        gapsRepaired: p.repaired.length,
        repaired: p.repaired,
        alreadyRepairing: p.alreadyRepairing,
        failed: p.failed,
      },
    };
  });

  if ('continueWith' in outcome) {
    return continueAsNew<typeof reconcileOrders>({ ...input, progress: outcome.continueWith });
  }
  return outcome.result;
}

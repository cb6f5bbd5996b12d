import type { Response, Router } from 'express';
import type { OpsContext } from '../../ops/context';
import { dropDeadLetter, listDeadLetters, retryDeadLetters } from '../../ops/sync-dlq';
import { auditOf } from './audit';

/** The contact sync's dead letters: listing, retrying and dropping them. */
export function deadLetterRoutes(router: Router, ctx: OpsContext, taskQueuePrefix: string): void {
  const dlq = { prefix: taskQueuePrefix };
  router.get('/sync-dlq', async (_req, res) => {
    const list = await listDeadLetters(ctx, dlq);
    auditOf(res).result = { found: list.deadLetters.length, notKept: list.notKept };
    res.json(list);
  });
  const retried = (res: Response, report: Awaited<ReturnType<typeof retryDeadLetters>>) => {
    auditOf(res).result = {
      workflowId: report.workflowId,
      delivered: report.delivered,
      rejected: report.rejected.map((r) => r.id),
      running: report.running ?? false,
      ...(report.busy ? { busy: report.busy.workflowId } : {}),
    };
    // Nothing was sent: another execution holds the sync's writer lease. Trying again once it finished is right.
    if (report.busy) {
      res.status(409).json({
        error: 'sync_busy',
        message:
          `not retried: ${report.busy.workflowId} is writing the contact sync's records since ${report.busy.since}; ` +
          'retry once it has finished',
        ...report,
      });
      return;
    }
    res.json(report);
  };
  router.post('/sync-dlq/retry', async (_req, res) => {
    retried(res, await retryDeadLetters(ctx, dlq, { waitMs: 20_000 }));
  });
  router.post('/sync-dlq/:id/retry', async (req, res) => {
    retried(res, await retryDeadLetters(ctx, dlq, { id: String(req.params.id), waitMs: 20_000 }));
  });
  router.post('/sync-dlq/:id/drop', async (req, res) => {
    const dropped = await dropDeadLetter(ctx, dlq, String(req.params.id));
    auditOf(res).result = { dropped: dropped.id, attempts: dropped.attempts };
    res.json(dropped);
  });
}

import type { Router } from 'express';
import { z } from 'zod';
import type { Logger } from '../../logger';
import type { OpsContext } from '../../ops/context';
import { assertReviewed, planRedrive, REDRIVE_LIMIT, runRedrive } from '../../ops/redrive';
import { HttpError } from '../errors';
import { auditFields, auditOf } from './audit';
import { parse } from './parse';

const redriveBody = z
  .object({
    query: z.string().min(1, 'give a visibility query').max(4000),
    // What a careful operator expects of a bulk reset: it shows what it would do unless told otherwise.
    dryRun: z.boolean().default(true),
    planId: z.string().max(100).optional(),
    limit: z.number().int().min(1).max(REDRIVE_LIMIT).optional(),
  })
  .strict();

/** Resetting many executions at once: a dry run makes a plan, and only a reviewed plan runs. */
export function redriveRoutes(router: Router, ctx: OpsContext, tokenName: string, logger: Logger): void {
  router.post('/redrive', async (req, res) => {
    const audit = auditOf(res);
    const body = parse(redriveBody, req.body);
    if (!body.dryRun && !body.planId) {
      throw new HttpError(
        400,
        'plan_id_required',
        'a real redrive runs a reviewed plan: send {"query": …} (a dry run), review it, then send ' +
          '{"query": …, "dryRun": false, "planId": "<the planId of that dry run>"}',
      );
    }
    const plan = await planRedrive(ctx, { query: body.query, limit: body.limit });
    const summary = {
      planId: plan.planId,
      wouldReset: plan.items.filter((i) => i.action === 'reset').length,
      truncated: plan.truncated,
    };
    if (body.dryRun) {
      audit.result = summary;
      res.json({ dryRun: true, ...plan });
      return;
    }
    assertReviewed(plan, body.planId!);
    const report = await runRedrive(ctx, plan, {
      reason: `redrive through the admin API by ${tokenName} (plan ${plan.planId})`,
      // Each reset is logged as it happens: if the process dies halfway, the log says how far it got.
      onOutcome: (e) =>
        logger[e.result === 'failed' ? 'error' : e.result === 'refused' ? 'warn' : 'info'](
          {
            ...auditFields(audit),
            planId: plan.planId,
            workflowId: e.workflowId,
            runId: e.runId,
            newRunId: e.newRunId,
            reason: e.reason,
            error: e.error,
          },
          `admin redrive ${e.result}`,
        ),
    });
    audit.result = {
      ...summary,
      reset: report.reset.length,
      skipped: report.skipped.length,
      failed: report.failed.map((f) => ({ workflowId: f.workflowId, error: f.error })),
    };
    // Also when the caller has gone away (its outcome line then says "client disconnected"): the loop did end.
    logger.info({ ...auditFields(audit), result: audit.result }, 'admin redrive finished');
    res.json(report);
  });
}

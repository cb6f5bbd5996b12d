import type { Router } from 'express';
import { z } from 'zod';
import { cancel, reset, RESET_POINTS, terminate } from '../../ops/actions';
import type { OpsContext } from '../../ops/context';
import { find, list, LIST_STATUSES, stuck } from '../../ops/executions';
import { auditOf } from './audit';
import { parse } from './parse';

const listQuery = z.object({
  status: z.enum(LIST_STATUSES).optional(),
  since: z.string().optional(),
  source: z.string().optional(),
  type: z.string().optional(),
  query: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});
const stuckQuery = z.object({
  olderThan: z.string().optional(),
  attempts: z.coerce.number().int().min(1).optional(),
  query: z.string().optional(),
});
const terminateBody = z.object({ reason: z.string().min(1, 'give a reason'), runId: z.string().optional() });
const cancelBody = z.object({ runId: z.string().optional() });
const resetBody = z.object({
  to: z.enum(RESET_POINTS).optional(),
  reason: z.string().optional(),
  runId: z.string().optional(),
});
/** Finding executions, and terminating, cancelling or resetting one. */
export function executionRoutes(router: Router, ctx: OpsContext, tokenName: string): void {
  router.get('/find/:key', async (req, res) => {
    const data = await find(ctx, String(req.params.key));
    auditOf(res).result = { found: data.length };
    res.json({ data });
  });
  router.get('/list', async (req, res) => {
    const data = await list(ctx, parse(listQuery, req.query));
    auditOf(res).result = { found: data.length };
    res.json({ data });
  });
  router.get('/stuck', async (req, res) => {
    const data = await stuck(ctx, parse(stuckQuery, req.query));
    auditOf(res).result = { found: data.length };
    res.json({ data });
  });

  router.post('/workflows/:workflowId/terminate', async (req, res) => {
    const body = parse(terminateBody, req.body);
    const result = await terminate(ctx, String(req.params.workflowId), body);
    auditOf(res).result = { runId: result.runId };
    res.json(result);
  });
  router.post('/workflows/:workflowId/cancel', async (req, res) => {
    const body = parse(cancelBody, req.body);
    const result = await cancel(ctx, String(req.params.workflowId), body);
    auditOf(res).result = { runId: result.runId };
    res.json(result);
  });
  router.post('/workflows/:workflowId/reset', async (req, res) => {
    const body = parse(resetBody, req.body);
    const result = await reset(ctx, String(req.params.workflowId), {
      ...body,
      reason: body.reason ?? `reset through the admin API by ${tokenName}`,
    });
    auditOf(res).result = { to: body.to ?? 'first-workflow-task', runId: result.runId, newRunId: result.newRunId };
    res.json(result);
  });
}

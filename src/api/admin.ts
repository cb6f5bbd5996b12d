import { createHash, timingSafeEqual } from 'node:crypto';
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { z } from 'zod';
import type { Config } from '../config';
import type { Logger } from '../logger';
import { cancel, reset, RESET_POINTS, terminate } from '../ops/actions';
import { type OpsContext, OpsInputError } from '../ops/context';
import { find, list, LIST_STATUSES, stuck } from '../ops/executions';
import { planRedrive, runRedrive } from '../ops/redrive';
import { HttpError } from './errors';

export interface AdminDeps {
  config: Config;
  logger: Logger;
  client?: Client;
}

// Both sides are hashed first so the comparison takes the same time whatever the presented token's length.
function tokenMatches(header: string | undefined, token: string): boolean {
  const presented = /^Bearer (.+)$/.exec(header ?? '')?.[1] ?? '';
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(token).digest();
  return timingSafeEqual(a, b) && presented.length > 0;
}

function parse<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const parsed = schema.safeParse(value ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new HttpError(400, 'invalid_request', issue?.message ?? 'invalid request', { field: issue?.path.join('.') });
  }
  return parsed.data;
}

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
const redriveBody = z.object({
  query: z.string().min(1, 'give a visibility query'),
  dryRun: z.boolean().default(false),
});

/**
 * The operator commands over HTTP, under /admin, behind `Authorization: Bearer <ADMIN_TOKEN>`. Undefined (so the
 * app answers 404 for all of /admin) when no ADMIN_TOKEN is configured or there is no Temporal client.
 */
export function adminRouter(deps: AdminDeps): Router | undefined {
  const { config, logger, client } = deps;
  if (!config.admin || !client) return undefined;
  const { token, tokenName } = config.admin;
  const ctx: OpsContext = { client, namespace: client.options.namespace, uiUrl: config.temporal.uiUrl };
  const router = express.Router();

  router.use((req, res, next) => {
    if (tokenMatches(req.header('authorization'), token)) return next();
    logger.warn(
      { method: req.method, path: req.baseUrl + req.path, ip: req.ip },
      'admin request refused: bad or missing token',
    );
    res.set('WWW-Authenticate', 'Bearer realm="switchyard-admin"');
    next(new HttpError(401, 'unauthorized', 'send Authorization: Bearer <ADMIN_TOKEN>'));
  });
  router.use(express.json({ limit: '64kb' }));

  // Who did what: the token's name (never its value), the action and its target, then the outcome.
  const audit = (action: string, details: Record<string, unknown>, outcome: Record<string, unknown>) =>
    logger.info({ actor: tokenName, action, ...details, ...outcome }, `admin ${action}`);

  router.get('/find/:key', async (req, res) => {
    res.json({ data: await find(ctx, String(req.params.key)) });
  });
  router.get('/list', async (req, res) => {
    res.json({ data: await list(ctx, parse(listQuery, req.query)) });
  });
  router.get('/stuck', async (req, res) => {
    res.json({ data: await stuck(ctx, parse(stuckQuery, req.query)) });
  });

  router.post('/workflows/:workflowId/terminate', async (req, res) => {
    const body = parse(terminateBody, req.body);
    const workflowId = String(req.params.workflowId);
    const result = await terminate(ctx, workflowId, body);
    audit('terminate', { workflowId, reason: body.reason }, { runId: result.runId });
    res.json(result);
  });
  router.post('/workflows/:workflowId/cancel', async (req, res) => {
    const body = parse(cancelBody, req.body);
    const workflowId = String(req.params.workflowId);
    const result = await cancel(ctx, workflowId, body);
    audit('cancel', { workflowId }, { runId: result.runId });
    res.json(result);
  });
  router.post('/workflows/:workflowId/reset', async (req, res) => {
    const body = parse(resetBody, req.body);
    const workflowId = String(req.params.workflowId);
    const result = await reset(ctx, workflowId, {
      ...body,
      reason: body.reason ?? `reset through the admin API by ${tokenName}`,
    });
    audit(
      'reset',
      { workflowId, to: body.to ?? 'first-workflow-task' },
      { runId: result.runId, newRunId: result.newRunId },
    );
    res.json(result);
  });
  router.post('/redrive', async (req, res) => {
    const body = parse(redriveBody, req.body);
    const plan = await planRedrive(ctx, { query: body.query });
    if (body.dryRun) {
      res.json({ dryRun: true, query: body.query, plan });
      return;
    }
    const report = await runRedrive(ctx, plan, { reason: `redrive through the admin API by ${tokenName}` });
    audit(
      'redrive',
      { query: body.query },
      {
        reset: report.reset.map((r) => r.workflowId),
        failed: report.failed.map((f) => ({ workflowId: f.workflowId, error: f.error })),
      },
    );
    res.json(report);
  });

  router.use((err: unknown, _req: Request, _res: Response, next: NextFunction) => {
    if (err instanceof OpsInputError) return next(new HttpError(400, 'invalid_request', err.message));
    if (err instanceof WorkflowNotFoundError) return next(new HttpError(404, 'workflow_not_found', err.message));
    next(err);
  });
  return router;
}

import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { z } from 'zod';
import type { Config } from '../config';
import type { Logger } from '../logger';
import { cancel, reset, RESET_POINTS, terminate } from '../ops/actions';
import { type OpsContext, OpsInputError } from '../ops/context';
import { find, list, LIST_STATUSES, stuck } from '../ops/executions';
import { assertReviewed, PlanChangedError, planRedrive, REDRIVE_LIMIT, runRedrive } from '../ops/redrive';
import { DeadLetterNotFoundError, dropDeadLetter, listDeadLetters, retryDeadLetters } from '../ops/sync-dlq';
import catalog from './catalog.json';
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
const redriveBody = z
  .object({
    query: z.string().min(1, 'give a visibility query').max(4000),
    // What a careful operator expects of a bulk reset: it shows what it would do unless told otherwise.
    dryRun: z.boolean().default(true),
    planId: z.string().max(100).optional(),
    limit: z.number().int().min(1).max(REDRIVE_LIMIT).optional(),
  })
  .strict();

export interface AuthFailureLimiterOptions {
  /** Failures a client may have within the window (default 10). */
  max?: number;
  windowMs?: number;
  /** Clients remembered at once; the one that failed longest ago is forgotten first (default 10,000). */
  maxClients?: number;
  now?: () => number;
}

/** Failed authentications per client over a sliding window, in bounded memory. */
export class AuthFailureLimiter {
  private readonly failures = new Map<string, number[]>();
  private readonly max: number;
  private readonly windowMs: number;
  private readonly maxClients: number;
  private readonly now: () => number;

  constructor(options: AuthFailureLimiterOptions = {}) {
    this.max = options.max ?? 10;
    this.windowMs = options.windowMs ?? 60_000;
    this.maxClients = options.maxClients ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  get size(): number {
    return this.failures.size;
  }

  /** 0 when `client` may try; otherwise the milliseconds until its oldest failure in the window expires. */
  retryAfterMs(client: string): number {
    const times = this.recent(client);
    if (times.length < this.max) return 0;
    return times[times.length - this.max]! + this.windowMs - this.now();
  }

  fail(client: string): void {
    const times = this.recent(client);
    times.push(this.now());
    if (times.length > this.max) times.splice(0, times.length - this.max);
    // Re-inserted, so the map's order is the order of the latest failure and the first key the one to forget.
    this.failures.delete(client);
    this.failures.set(client, times);
    while (this.failures.size > this.maxClients) this.failures.delete(this.failures.keys().next().value!);
  }

  private recent(client: string): number[] {
    const kept = this.failures.get(client);
    if (!kept) return [];
    const cutoff = this.now() - this.windowMs;
    const times = kept.filter((t) => t > cutoff);
    if (times.length === 0) this.failures.delete(client);
    else if (times.length !== kept.length) this.failures.set(client, times);
    return times;
  }
}

// What one admin call is about, for the audit log: known before the handler runs, so refused calls have it too.
interface AuditRecord {
  requestId: string;
  actor: string | null;
  action: string;
  target: Record<string, unknown>;
  method: string;
  path: string;
  ip: string;
  startedAt: number;
  error?: { code: string; message: string };
  result?: Record<string, unknown>;
}

const ROUTES: Array<{ method: string; path: RegExp; action: (m: RegExpExecArray) => string; target?: string[] }> = [
  { method: 'GET', path: /^\/find\/([^/]+)\/?$/i, action: () => 'find', target: ['key'] },
  { method: 'GET', path: /^\/list\/?$/i, action: () => 'list' },
  { method: 'GET', path: /^\/stuck\/?$/i, action: () => 'stuck' },
  {
    method: 'POST',
    path: /^\/workflows\/([^/]+)\/(terminate|cancel|reset)\/?$/i,
    action: (m) => m[2]!.toLowerCase(),
    target: ['workflowId'],
  },
  { method: 'POST', path: /^\/redrive\/?$/i, action: () => 'redrive' },
  { method: 'GET', path: /^\/sync-dlq\/?$/i, action: () => 'sync-dlq list' },
  { method: 'POST', path: /^\/sync-dlq\/retry\/?$/i, action: () => 'sync-dlq retry' },
  {
    method: 'POST',
    path: /^\/sync-dlq\/([^/]+)\/(retry|drop)\/?$/i,
    action: (m) => `sync-dlq ${m[2]!.toLowerCase()}`,
    target: ['id'],
  },
  { method: 'GET', path: /^\/catalog\/?$/i, action: () => 'catalog' },
];

// Paths and parameters come from anyone who can reach the port: a log line holds at most 500 characters of each.
function bounded(v: string): string {
  return v.length > 500 ? `${v.slice(0, 500)}…` : v;
}

function routeOf(method: string, path: string): { action: string; target: Record<string, unknown> } {
  for (const r of ROUTES) {
    const m = r.method === method ? r.path.exec(path) : null;
    if (!m) continue;
    const target: Record<string, unknown> = {};
    r.target?.forEach((name, i) => {
      const raw = m[i + 1]!;
      try {
        target[name] = bounded(decodeURIComponent(raw));
      } catch {
        target[name] = bounded(raw);
      }
    });
    return { action: r.action(m), target };
  }
  return { action: 'unknown', target: {} };
}

const TARGET_FIELDS = [
  'status',
  'since',
  'source',
  'type',
  'query',
  'limit',
  'olderThan',
  'attempts',
  'reason',
  'runId',
  'to',
  'dryRun',
  'planId',
];

// The parameters that say what a call aims at, bounded so a log line stays a line.
function targetFields(input: unknown): Record<string, unknown> {
  if (!input || typeof input !== 'object' || Array.isArray(input)) return {};
  const out: Record<string, unknown> = {};
  for (const key of TARGET_FIELDS) {
    const v = (input as Record<string, unknown>)[key];
    if (typeof v === 'string') out[key] = bounded(v);
    else if (typeof v === 'number' || typeof v === 'boolean') out[key] = v;
    else if (v !== undefined) out[key] = `(${Array.isArray(v) ? 'array' : typeof v})`;
  }
  return out;
}

function errorOf(err: unknown): { code: string; message: string } {
  if (err instanceof HttpError) return { code: err.code, message: err.message };
  const e = err as { status?: unknown; type?: unknown; message?: unknown };
  const message = typeof e?.message === 'string' ? e.message : String(err);
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) {
    return { code: typeof e.type === 'string' ? e.type : 'bad_request', message };
  }
  return { code: 'internal', message };
}

function auditOf(res: Response): AuditRecord {
  return res.locals.audit as AuditRecord;
}

/**
 * The operator commands over HTTP, under /admin, behind `Authorization: Bearer <ADMIN_TOKEN>`. Undefined (so the
 * app answers 404 for all of /admin) when no ADMIN_TOKEN is configured or there is no Temporal client.
 *
 * Every call is audited: an `admin attempt` line once authenticated, before it acts, and an `admin outcome` line
 * for every call, refused and failed ones included. A client with 10 failed authentications in a minute gets 429.
 */
export function adminRouter(deps: AdminDeps): Router | undefined {
  const { config, logger, client } = deps;
  if (!config.admin || !client) return undefined;
  const { token, tokenName } = config.admin;
  const ctx: OpsContext = { client, namespace: client.options.namespace, uiUrl: config.temporal.uiUrl };
  const router = express.Router();
  const failures = new AuthFailureLimiter();

  const fields = (a: AuditRecord) => ({
    audit: 'admin',
    requestId: a.requestId,
    actor: a.actor,
    action: a.action,
    target: a.target,
    method: a.method,
    path: a.path,
    ip: a.ip,
  });

  router.use((req, res, next) => {
    const audit: AuditRecord = {
      requestId: randomUUID(),
      actor: null,
      ...routeOf(req.method, req.path),
      method: req.method,
      path: bounded(req.baseUrl + req.path),
      ip: req.ip ?? req.socket.remoteAddress ?? 'unknown',
      startedAt: Date.now(),
    };
    res.locals.audit = audit;
    let logged = false;
    const outcome = () => {
      if (logged) return;
      logged = true;
      const status = res.statusCode;
      const result = !res.writableFinished
        ? 'client disconnected'
        : status < 400
          ? 'ok'
          : status >= 500
            ? 'failed'
            : 'refused';
      const level = status >= 500 ? 'error' : status >= 400 || !res.writableFinished ? 'warn' : 'info';
      logger[level](
        {
          ...fields(audit),
          status,
          outcome: result,
          error: audit.error,
          result: audit.result,
          durationMs: Date.now() - audit.startedAt,
        },
        'admin outcome',
      );
    };
    res.on('finish', outcome);
    res.on('close', outcome);

    // Checked before the token, so a client that keeps guessing learns nothing more until its window has passed.
    const waitMs = failures.retryAfterMs(audit.ip);
    if (waitMs > 0) {
      const seconds = Math.max(1, Math.ceil(waitMs / 1000));
      return next(
        new HttpError(
          429,
          'too_many_failed_authentications',
          `too many failed authentications from this address; retry in ${seconds} s`,
          {},
          { 'Retry-After': String(seconds) },
        ),
      );
    }
    if (!tokenMatches(req.header('authorization'), token)) {
      failures.fail(audit.ip);
      res.set('WWW-Authenticate', 'Bearer realm="switchyard-admin"');
      return next(new HttpError(401, 'unauthorized', 'send Authorization: Bearer <ADMIN_TOKEN>'));
    }
    audit.actor = tokenName;
    next();
  });
  router.use(express.json({ limit: '64kb' }));
  router.use((req, res, next) => {
    const audit = auditOf(res);
    Object.assign(audit.target, targetFields(req.query), targetFields(req.body));
    logger.info(fields(audit), 'admin attempt');
    next();
  });

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

  // The same JSON as `npm run catalog -- --json`, generated from the declarations into catalog.json (the catalog test
  // fails when it is stale), so serving it needs neither the generator nor the CLI and API tables it reads.
  router.get('/catalog', (_req, res) => {
    auditOf(res).result = { systems: catalog.systems.length, sources: catalog.sources.length };
    res.json(catalog);
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
            ...fields(audit),
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
    logger.info({ ...fields(audit), result: audit.result }, 'admin redrive finished');
    res.json(report);
  });

  const dlq = { prefix: config.temporal.taskQueuePrefix };
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

  router.use((err: unknown, _req: Request, res: Response, next: NextFunction) => {
    let mapped = err;
    if (err instanceof PlanChangedError) mapped = new HttpError(409, 'plan_changed', err.message);
    else if (err instanceof DeadLetterNotFoundError) mapped = new HttpError(404, 'dead_letter_not_found', err.message);
    else if (err instanceof OpsInputError) mapped = new HttpError(400, 'invalid_request', err.message);
    else if (err instanceof WorkflowNotFoundError) mapped = new HttpError(404, 'workflow_not_found', err.message);
    auditOf(res).error = errorOf(mapped);
    next(mapped);
  });
  return router;
}
